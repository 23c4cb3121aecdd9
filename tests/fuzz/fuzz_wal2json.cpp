// Fuzz target for the wal2json decoder. Input: the first byte chooses the format (odd: 2, even: 1);
// the rest is one or more XLogData payloads separated by '\n' (wal2json's compact JSON never
// holds a raw newline), decoded in order by one decoder, so sequences such as B, I, C and the
// recovery after an error are exercised too. A payload may also be fed without any newline.
//
// Expected: CdcError{Protocol} for bad input, caught here. Anything else — another exception, a
// crash, a sanitizer report, an event that breaks the decoder's own guarantees — is a bug.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "decode/wal2json/wal2json_decoder.hpp"
#include "sabot/error.hpp"

namespace {

// Discards events, checking what every decoded event must satisfy.
class CheckingHandler : public sabot::decode::DecodeHandler {
 public:
  void on_begin(const sabot::decode::TxBegin&) override {
    if (open_) std::abort();  // the decoder must reject BEGIN inside a transaction
    open_ = true;
  }
  void on_change(sabot::ChangeEvent&& event) override {
    if (!open_) std::abort();  // changes only inside a transaction
    check_columns(event);
  }
  void on_commit(const sabot::decode::TxCommit&) override {
    if (!open_) std::abort();
    open_ = false;
  }
  void on_message(sabot::ChangeEvent&& message) override {
    if (open_ || message.op != sabot::Op::Message) std::abort();
  }
  void reset() { open_ = false; }

 private:
  static void check_columns(const sabot::ChangeEvent& event) {
    for (const sabot::Column& c : event.columns) {
      // bytea values always come out in PostgreSQL's hex form.
      if (c.type_oid == 17 && !c.value.is_null() && c.value.text().rfind("\\x", 0) != 0) {
        std::abort();
      }
    }
  }
  bool open_ = false;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const int format_version = (data[0] & 1) ? 2 : 1;
  std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  sabot::decode::Wal2jsonDecoder decoder(format_version);
  CheckingHandler handler;
  uint64_t position = 1;
  while (true) {
    const size_t newline = rest.find('\n');
    const std::string_view payload = rest.substr(0, newline);
    try {
      decoder.decode(payload, sabot::Lsn(position++), handler);
    } catch (const sabot::CdcError& e) {
      if (e.kind() != sabot::ErrorKind::Protocol) std::abort();
      if (decoder.in_transaction()) std::abort();  // an error always resets the decoder
      handler.reset();
    }
    if (newline == std::string_view::npos) break;
    rest.remove_prefix(newline + 1);
  }
  return 0;
}
