#include "base/byte_reader.hpp"

#include <fmt/format.h>

#include "sabot/error.hpp"

namespace sabot::base {

void ByteReader::throw_underflow(size_t needed, const char* field) const {
  throw CdcError(ErrorKind::Protocol,
                 fmt::format("truncated {}: needs {} byte{} at offset {}, {} left", field, needed,
                             needed == 1 ? "" : "s", pos_, size_ - pos_));
}

void ByteReader::throw_missing_nul(const char* field) const {
  throw CdcError(ErrorKind::Protocol,
                 fmt::format("truncated {}: string at offset {} has no terminating NUL ({} byte{} "
                             "left)",
                             field, pos_, size_ - pos_, size_ - pos_ == 1 ? "" : "s"));
}

void ByteReader::throw_trailing(const char* what) const {
  throw CdcError(ErrorKind::Protocol,
                 fmt::format("{} has {} unexpected trailing byte{} at offset {}", what,
                             size_ - pos_, size_ - pos_ == 1 ? "" : "s", pos_));
}

}  // namespace sabot::base
