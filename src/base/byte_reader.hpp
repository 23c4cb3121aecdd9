// ByteReader: a bounds-checked cursor over one binary message, reading PostgreSQL's network byte
// order (big-endian) as pqformat.c writes it (PostgreSQL docs, "Message Data Types": IntN is
// big-endian, String is NUL-terminated).
//
// Ownership and lifetime: the reader does not own the buffer. Every string_view it returns points
// into that buffer and is valid only as long as the buffer is.
//
// Errors: reading past the end, or a String without its terminating NUL, throws
// sabot::CdcError{ErrorKind::Protocol} naming the field being read and how many bytes were needed
// and left. The reader never returns a default value on underflow. The caller (a decoder) adds the
// LSN and the message type to the message.
//
// Thread-safety: none needed; a reader is a local value.
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

namespace sabot::base {

class ByteReader {
 public:
  explicit ByteReader(std::string_view buffer) noexcept
      : data_(buffer.data()), size_(buffer.size()) {}

  size_t remaining() const noexcept { return size_ - pos_; }
  size_t position() const noexcept { return pos_; }
  bool at_end() const noexcept { return pos_ == size_; }

  uint8_t read_u8(const char* field) {
    need(1, field);
    return static_cast<uint8_t>(data_[pos_++]);
  }

  uint16_t read_u16(const char* field) {
    need(2, field);
    uint16_t v;
    std::memcpy(&v, data_ + pos_, 2);
    pos_ += 2;
    return from_big_endian(v);
  }

  uint32_t read_u32(const char* field) {
    need(4, field);
    uint32_t v;
    std::memcpy(&v, data_ + pos_, 4);
    pos_ += 4;
    return from_big_endian(v);
  }

  uint64_t read_u64(const char* field) {
    need(8, field);
    uint64_t v;
    std::memcpy(&v, data_ + pos_, 8);
    pos_ += 8;
    return from_big_endian(v);
  }

  int16_t read_i16(const char* field) { return static_cast<int16_t>(read_u16(field)); }
  int32_t read_i32(const char* field) { return static_cast<int32_t>(read_u32(field)); }
  int64_t read_i64(const char* field) { return static_cast<int64_t>(read_u64(field)); }

  // A NUL-terminated string; the view excludes the NUL, the cursor moves past it.
  std::string_view read_cstring(const char* field) {
    const void* nul = pos_ < size_ ? std::memchr(data_ + pos_, '\0', size_ - pos_) : nullptr;
    if (nul == nullptr) throw_missing_nul(field);
    const size_t len = static_cast<const char*>(nul) - (data_ + pos_);
    std::string_view out(data_ + pos_, len);
    pos_ += len + 1;
    return out;
  }

  // The next n bytes.
  std::string_view read_bytes(size_t n, const char* field) {
    need(n, field);
    std::string_view out(data_ + pos_, n);
    pos_ += n;
    return out;
  }

  // Confirms the whole message was consumed: trailing bytes mean we misread its layout.
  void expect_end(const char* what) const {
    if (pos_ != size_) throw_trailing(what);
  }

 private:
  void need(size_t n, const char* field) const {
    if (n > size_ - pos_) throw_underflow(n, field);
  }

  static uint16_t from_big_endian(uint16_t v) noexcept {
    if constexpr (kLittleEndian) return __builtin_bswap16(v);
    return v;
  }
  static uint32_t from_big_endian(uint32_t v) noexcept {
    if constexpr (kLittleEndian) return __builtin_bswap32(v);
    return v;
  }
  static uint64_t from_big_endian(uint64_t v) noexcept {
    if constexpr (kLittleEndian) return __builtin_bswap64(v);
    return v;
  }
  static constexpr bool kLittleEndian = __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__;

  // Cold paths, out of line so the inline readers stay small.
  [[noreturn]] void throw_underflow(size_t needed, const char* field) const;
  [[noreturn]] void throw_missing_nul(const char* field) const;
  [[noreturn]] void throw_trailing(const char* what) const;

  const char* data_;
  size_t size_;
  size_t pos_ = 0;
};

}  // namespace sabot::base
