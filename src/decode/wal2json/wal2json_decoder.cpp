// Wal2jsonDecoder: the entry points. A payload is parsed by the DocumentReader
// (wal2json_reader.hpp) and decoded by the decoder of its format:
//   format 2, one document per action      wal2json_format2.cpp
//   format 1, one document per transaction wal2json_format1.cpp
// The options that make wal2json write these documents: wal2json_options.hpp.
#include "decode/wal2json/wal2json_decoder.hpp"

#include <fmt/format.h>

#include "decode/wal2json/wal2json_format1.hpp"
#include "decode/wal2json/wal2json_format2.hpp"
#include "decode/wal2json/wal2json_reader.hpp"
#include "sabot/error.hpp"

namespace sabot::decode {

struct Wal2jsonDecoder::Impl {
  explicit Impl(int version) : reader(version) {}

  wal2json::DocumentReader reader;
  // Only the one of format_version is used; the other stays empty.
  wal2json::Format2Decoder format2{reader};
  wal2json::Format1Decoder format1{reader};
};

Wal2jsonDecoder::Wal2jsonDecoder(int format_version) {
  if (format_version != 1 && format_version != 2) {
    throw CdcError(ErrorKind::Config,
                   fmt::format("wal2json format-version must be 1 or 2, not {}", format_version));
  }
  impl_ = std::make_unique<Impl>(format_version);
}

Wal2jsonDecoder::~Wal2jsonDecoder() = default;

int Wal2jsonDecoder::format_version() const {
  return impl_->reader.format_version();
}
bool Wal2jsonDecoder::in_transaction() const {
  return impl_->format2.in_transaction();
}

void Wal2jsonDecoder::reset() {
  impl_->format2.reset();
}

void Wal2jsonDecoder::decode(std::string_view payload, Lsn wal_start, DecodeHandler& out) {
  try {
    wal2json::od::document doc = impl_->reader.parse(payload, wal_start);
    if (impl_->reader.format_version() == 2) {
      impl_->format2.decode(doc, out);
    } else {
      impl_->format1.decode(doc, out);
    }
  } catch (...) {
    // Whatever failed (a bad document or the handler), the transaction in progress can no longer
    // be completed correctly from here; the stream resumes at a transaction boundary.
    reset();
    impl_->reader.forget_payload();
    throw;
  }
  impl_->reader.forget_payload();
}

}  // namespace sabot::decode
