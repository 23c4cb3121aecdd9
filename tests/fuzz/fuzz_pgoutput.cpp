// Fuzz target for the pgoutput decoder. One input is a whole session fed to one decoder, so the
// transaction / stream / two-phase state machines and the relation cache are exercised:
//
//   input   := config:Byte1  { length:Int16 (big-endian) payload:Byte*length }
//   config  := bits 0-1: protocol version - 1; bit 2: spill held transactions beyond 512 bytes
//
// A final length running past the end takes the bytes that remain. Each payload is decoded at
// its own WAL position. A sabot::CdcError is the expected answer to bad input; the session goes on
// with the next payload (the decoder resets itself). Anything else escaping, a crash, or a
// handler call sequence that breaks the DecodeHandler contract (change or commit outside
// begin/commit, nested begin, commit xid differing from begin xid) is a bug.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "decode/pgoutput/pgoutput_decoder.hpp"
#include "files.hpp"
#include "sabot/error.hpp"

namespace {

class ContractCheckingHandler : public sabot::decode::DecodeHandler {
 public:
  void on_begin(const sabot::decode::TxBegin& begin) override {
    if (open_) __builtin_trap();
    open_ = true;
    xid_ = begin.xid;
  }
  void on_change(sabot::ChangeEvent&& event) override {
    if (!open_) __builtin_trap();
    if (event.op == sabot::Op::Message && !event.message_transactional) __builtin_trap();
  }
  void on_commit(const sabot::decode::TxCommit& commit) override {
    if (!open_ || commit.xid != xid_) __builtin_trap();
    open_ = false;
  }
  void on_message(sabot::ChangeEvent&& message) override {
    if (message.message_transactional) __builtin_trap();
  }
  // After a decoder error the assembler abandons the open transaction; so do we.
  void abandon() { open_ = false; }

 private:
  bool open_ = false;
  uint32_t xid_ = 0;
};

// Removed at exit.
const std::string& spill_dir() {
  static const sabot::test::TempDir dir("fuzz-pgoutput");
  return dir.path();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t config = data[0];
  sabot::decode::PgoutputOptions options;
  options.protocol_version = (config & 3) + 1;
  if ((config & 4) != 0) {
    options.spill_dir = spill_dir();
    options.memory_limit_bytes = 512;
  }
  sabot::decode::PgoutputDecoder decoder(options);
  ContractCheckingHandler handler;

  std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  uint64_t wal = 0x16B374D848ull;
  while (!rest.empty()) {
    size_t len = static_cast<uint8_t>(rest[0]);
    if (rest.size() >= 2) len = (len << 8) | static_cast<uint8_t>(rest[1]);
    rest.remove_prefix(rest.size() >= 2 ? 2 : 1);
    if (len > rest.size()) len = rest.size();
    const std::string_view payload = rest.substr(0, len);
    rest.remove_prefix(len);
    try {
      decoder.decode(payload, sabot::Lsn(wal), handler);
    } catch (const sabot::CdcError& e) {
      if (e.kind() != sabot::ErrorKind::Protocol) __builtin_trap();
      handler.abandon();
      if (decoder.in_transaction()) __builtin_trap();  // must have reset
    }
    wal += 0x28;
  }
  return 0;
}
