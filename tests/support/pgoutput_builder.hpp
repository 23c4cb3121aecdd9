// Test support: pgoutput logical replication messages built byte by byte (big-endian, as the
// walsender sends them), for decoder tests that need exact or deliberately broken input.
//
//   decoder.decode(begin_msg(0x200, kPgTs, 5), Lsn(0x100), rec);
//   decoder.decode(insert_msg(16384, {txt("1"), kNull}), Lsn(0x100), rec);
//   decoder.decode(Msg('I').u32(16384).u8('X'), Lsn(0x100), rec);  // a bad tuple marker
//
// `xid` arguments are the transaction ids of streamed messages (protocol 2+); leave them out for
// ordinary ones.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sabot::test::pgwire {

// Appends big-endian fields to a message that starts with its type byte.
class Msg {
 public:
  explicit Msg(char type) { bytes_.push_back(type); }
  Msg& u8(uint8_t v) {
    bytes_.push_back(static_cast<char>(v));
    return *this;
  }
  Msg& u16(uint16_t v) { return u8(static_cast<uint8_t>(v >> 8)).u8(static_cast<uint8_t>(v)); }
  Msg& u32(uint32_t v) { return u16(static_cast<uint16_t>(v >> 16)).u16(static_cast<uint16_t>(v)); }
  Msg& u64(uint64_t v) { return u32(static_cast<uint32_t>(v >> 32)).u32(static_cast<uint32_t>(v)); }
  Msg& str(std::string_view s) {  // a NUL-terminated string
    bytes_.append(s);
    bytes_.push_back('\0');
    return *this;
  }
  Msg& raw(std::string_view s) {
    bytes_.append(s);
    return *this;
  }
  Msg& xid(std::optional<uint32_t> x) { return x ? u32(*x) : *this; }
  operator std::string() const { return bytes_; }
  const std::string& bytes() const { return bytes_; }

 private:
  std::string bytes_;
};

using Xid = std::optional<uint32_t>;

// One TupleData column: kind 'n' (NULL), 'u' (unchanged TOAST), 't' (text) or 'b' (binary).
struct TCol {
  char kind;
  std::string value;
};
inline TCol txt(std::string v) {
  return {'t', std::move(v)};
}
inline const TCol kNull{'n', ""};
inline const TCol kToast{'u', ""};
using Tuple = std::vector<TCol>;

// Appends TupleData (column count, then each column) to `m`.
Msg& tuple(Msg& m, const Tuple& cols);

// One column of a Relation message: flags (1: part of the key), name, type OID, type modifier.
struct RelCol {
  uint8_t flags;
  std::string name;
  uint32_t type_oid;
  int32_t typmod;
};

std::string relation_msg(uint32_t oid, std::string_view ns, std::string_view name, char ident,
                         const std::vector<RelCol>& cols, Xid xid = {});
std::string type_msg(uint32_t oid, std::string_view ns, std::string_view name, Xid xid = {});
std::string begin_msg(uint64_t final_lsn, int64_t ts, uint32_t xid);
std::string commit_msg(uint64_t commit_lsn, uint64_t end_lsn, int64_t ts, uint8_t flags = 0);
std::string origin_msg(uint64_t lsn, std::string_view name);
std::string insert_msg(uint32_t oid, const Tuple& t, Xid xid = {});
// old_kind: 'K' (key) or 'O' (old row) with `old`, or 0 for no old tuple.
std::string update_msg(uint32_t oid, char old_kind, const Tuple& old, const Tuple& t, Xid xid = {});
std::string delete_msg(uint32_t oid, char old_kind, const Tuple& old, Xid xid = {});
std::string truncate_msg(const std::vector<uint32_t>& oids, uint8_t options, Xid xid = {});
std::string message_msg(bool transactional, uint64_t lsn, std::string_view prefix,
                        std::string_view content, Xid xid = {});
std::string stream_start_msg(uint32_t xid, bool first);
std::string stream_stop_msg();
std::string stream_commit_msg(uint32_t xid, uint64_t commit_lsn, uint64_t end_lsn, int64_t ts);
std::string stream_abort_msg(uint32_t xid, uint32_t subxid);
std::string begin_prepare_msg(uint64_t prepare_lsn, uint64_t end_lsn, int64_t ts, uint32_t xid,
                              std::string_view gid);
// type 'P' (Prepare) or 'p' (Stream Prepare).
std::string prepare_msg(char type, uint64_t prepare_lsn, uint64_t end_lsn, int64_t ts, uint32_t xid,
                        std::string_view gid);
std::string commit_prepared_msg(uint64_t commit_lsn, uint64_t end_lsn, int64_t ts, uint32_t xid,
                                std::string_view gid);
std::string rollback_prepared_msg(uint64_t prepare_end, uint64_t rollback_end, int64_t prepare_ts,
                                  int64_t rollback_ts, uint32_t xid, std::string_view gid);

}  // namespace sabot::test::pgwire
