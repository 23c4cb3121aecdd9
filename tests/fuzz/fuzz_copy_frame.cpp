// Fuzz target for the CopyData frame parser (decode/copy_frame.hpp). One input is one CopyData
// payload as PQgetCopyData hands it over. The parser's answer is checked against the grammar,
// computed here independently of it:
//
//   - 'w' and at least 25 bytes: XLogData whose positions are bytes 1-8 and 9-16 (big-endian)
//     and whose data is exactly the input after byte 25, pointing into the input;
//   - 'k' and exactly 18 bytes: a keepalive whose reply flag is byte 17 != 0;
//   - anything else: CdcError{Protocol} with a message; for a 'w' or 'k' frame it names the frame.
//
// Any other exception, a parse of a malformed frame, a rejection of a well-formed one, or a
// mismatch traps.
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "decode/copy_frame.hpp"
#include "sabot/error.hpp"

namespace {

uint64_t big_endian_u64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | p[i];
  return v;
}

void check(bool invariant) {
  if (!invariant) __builtin_trap();
}

void check_xlogdata(const sabot::decode::XLogData& frame, const uint8_t* data, size_t size) {
  check(size >= 25 && data[0] == 'w');
  check(frame.wal_start.value() == big_endian_u64(data + 1));
  check(frame.wal_end.value() == big_endian_u64(data + 9));
  check(static_cast<uint64_t>(frame.send_time) == big_endian_u64(data + 17));
  check(frame.data.size() == size - 25);
  check(frame.data.data() == reinterpret_cast<const char*>(data) + 25);
}

void check_keepalive(const sabot::decode::PrimaryKeepalive& frame, const uint8_t* data,
                     size_t size) {
  check(size == 18 && data[0] == 'k');
  check(frame.wal_end.value() == big_endian_u64(data + 1));
  check(static_cast<uint64_t>(frame.send_time) == big_endian_u64(data + 9));
  check(frame.reply_requested == (data[17] != 0));
}

void check_rejection(const sabot::CdcError& error, const uint8_t* data, size_t size) {
  check(error.kind() == sabot::ErrorKind::Protocol);
  const std::string_view message = error.what();
  check(!message.empty());
  if (size == 0) return;
  check(!(data[0] == 'w' && size >= 25));
  check(!(data[0] == 'k' && size == 18));
  if (data[0] == 'w') check(message.find("XLogData header") != std::string_view::npos);
  if (data[0] == 'k') check(message.find("primary keepalive message") != std::string_view::npos);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view payload(reinterpret_cast<const char*>(data), size);
  try {
    const sabot::decode::CopyFrame frame = sabot::decode::parse_copy_frame(payload);
    if (const auto* x = std::get_if<sabot::decode::XLogData>(&frame)) {
      check_xlogdata(*x, data, size);
    } else {
      check_keepalive(std::get<sabot::decode::PrimaryKeepalive>(frame), data, size);
    }
  } catch (const sabot::CdcError& e) {
    check_rejection(e, data, size);
  } catch (...) {
    __builtin_trap();
  }
  return 0;
}
