// JsonText: a growable text buffer for rendering JSON, written through a raw pointer.
//
// The JSON Lines writer appends dozens of small pieces per event (quotes, names, values,
// separators). Through std::string each piece is an out-of-line call with its own capacity check;
// here a caller reserves room once (reserve_more) and then writes with put(), which is a store and
// a pointer bump. The checked operators (+=, append) reserve for themselves.
//
// Not thread-safe; one buffer per renderer (or per thread). view() is valid until the next write.
#pragma once

#include <cstddef>
#include <cstring>
#include <memory>
#include <string_view>

namespace sabot::output {

class JsonText {
 public:
  JsonText() = default;
  JsonText(const JsonText&) = delete;
  JsonText& operator=(const JsonText&) = delete;

  // Makes room for at least `bytes` more bytes; put() may then write that many.
  void reserve_more(size_t bytes) {
    if (static_cast<size_t>(capacity_end_ - end_) < bytes) grow(bytes);
  }
  void put(char c) { *end_++ = c; }
  void put(std::string_view text) {
    std::memcpy(end_, text.data(), text.size());
    end_ += text.size();
  }

  // The write position, for a caller that reserved room and writes the bytes itself; commit(end)
  // then makes them part of the text (end within what was reserved).
  char* cursor() { return end_; }
  void commit(char* new_end) { end_ = new_end; }

  JsonText& operator+=(char c) {
    reserve_more(1);
    put(c);
    return *this;
  }
  JsonText& operator+=(std::string_view text) {
    reserve_more(text.size());
    put(text);
    return *this;
  }
  void append(const char* data, size_t size) { *this += std::string_view(data, size); }

  std::string_view view() const { return {data_.get(), static_cast<size_t>(end_ - data_.get())}; }
  size_t size() const { return static_cast<size_t>(end_ - data_.get()); }
  void clear() { end_ = data_.get(); }
  // Empties the buffer and gives its memory back when it holds more than `bytes` (after one huge
  // line, so a long-lived buffer does not keep that much for good).
  void release_if_larger_than(size_t bytes) {
    if (static_cast<size_t>(capacity_end_ - data_.get()) <= bytes) return;
    data_.reset();
    end_ = capacity_end_ = nullptr;
  }

 private:
  void grow(size_t bytes);

  std::unique_ptr<char[]> data_;
  char* end_ = nullptr;
  char* capacity_end_ = nullptr;
};

}  // namespace sabot::output
