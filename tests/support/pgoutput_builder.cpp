#include "pgoutput_builder.hpp"

namespace sabot::test::pgwire {

Msg& tuple(Msg& m, const Tuple& cols) {
  m.u16(static_cast<uint16_t>(cols.size()));
  for (const TCol& c : cols) {
    m.u8(static_cast<uint8_t>(c.kind));
    if (c.kind == 't' || c.kind == 'b') m.u32(static_cast<uint32_t>(c.value.size())).raw(c.value);
  }
  return m;
}

std::string relation_msg(uint32_t oid, std::string_view ns, std::string_view name, char ident,
                         const std::vector<RelCol>& cols, Xid xid) {
  Msg m('R');
  m.xid(xid).u32(oid).str(ns).str(name).u8(static_cast<uint8_t>(ident));
  m.u16(static_cast<uint16_t>(cols.size()));
  for (const RelCol& c : cols) {
    m.u8(c.flags).str(c.name).u32(c.type_oid).u32(static_cast<uint32_t>(c.typmod));
  }
  return m;
}
std::string type_msg(uint32_t oid, std::string_view ns, std::string_view name, Xid xid) {
  return Msg('Y').xid(xid).u32(oid).str(ns).str(name);
}
std::string begin_msg(uint64_t final_lsn, int64_t ts, uint32_t xid) {
  return Msg('B').u64(final_lsn).u64(static_cast<uint64_t>(ts)).u32(xid);
}
std::string commit_msg(uint64_t commit_lsn, uint64_t end_lsn, int64_t ts, uint8_t flags) {
  return Msg('C').u8(flags).u64(commit_lsn).u64(end_lsn).u64(static_cast<uint64_t>(ts));
}
std::string origin_msg(uint64_t lsn, std::string_view name) {
  return Msg('O').u64(lsn).str(name);
}
std::string insert_msg(uint32_t oid, const Tuple& t, Xid xid) {
  Msg m('I');
  m.xid(xid).u32(oid).u8('N');
  return tuple(m, t);
}
std::string update_msg(uint32_t oid, char old_kind, const Tuple& old, const Tuple& t, Xid xid) {
  Msg m('U');
  m.xid(xid).u32(oid);
  if (old_kind != 0) tuple(m.u8(static_cast<uint8_t>(old_kind)), old);
  return tuple(m.u8('N'), t);
}
std::string delete_msg(uint32_t oid, char old_kind, const Tuple& old, Xid xid) {
  Msg m('D');
  m.xid(xid).u32(oid).u8(static_cast<uint8_t>(old_kind));
  return tuple(m, old);
}
std::string truncate_msg(const std::vector<uint32_t>& oids, uint8_t options, Xid xid) {
  Msg m('T');
  m.xid(xid).u32(static_cast<uint32_t>(oids.size())).u8(options);
  for (uint32_t oid : oids) m.u32(oid);
  return m;
}
std::string message_msg(bool transactional, uint64_t lsn, std::string_view prefix,
                        std::string_view content, Xid xid) {
  return Msg('M')
      .xid(xid)
      .u8(transactional ? 1 : 0)
      .u64(lsn)
      .str(prefix)
      .u32(static_cast<uint32_t>(content.size()))
      .raw(content);
}
std::string stream_start_msg(uint32_t xid, bool first) {
  return Msg('S').u32(xid).u8(first ? 1 : 0);
}
std::string stream_stop_msg() {
  return Msg('E');
}
std::string stream_commit_msg(uint32_t xid, uint64_t commit_lsn, uint64_t end_lsn, int64_t ts) {
  return Msg('c').u32(xid).u8(0).u64(commit_lsn).u64(end_lsn).u64(static_cast<uint64_t>(ts));
}
std::string stream_abort_msg(uint32_t xid, uint32_t subxid) {
  return Msg('A').u32(xid).u32(subxid);
}
std::string begin_prepare_msg(uint64_t prepare_lsn, uint64_t end_lsn, int64_t ts, uint32_t xid,
                              std::string_view gid) {
  return Msg('b').u64(prepare_lsn).u64(end_lsn).u64(static_cast<uint64_t>(ts)).u32(xid).str(gid);
}
std::string prepare_msg(char type, uint64_t prepare_lsn, uint64_t end_lsn, int64_t ts, uint32_t xid,
                        std::string_view gid) {
  return Msg(type)
      .u8(0)
      .u64(prepare_lsn)
      .u64(end_lsn)
      .u64(static_cast<uint64_t>(ts))
      .u32(xid)
      .str(gid);
}
std::string commit_prepared_msg(uint64_t commit_lsn, uint64_t end_lsn, int64_t ts, uint32_t xid,
                                std::string_view gid) {
  return Msg('K')
      .u8(0)
      .u64(commit_lsn)
      .u64(end_lsn)
      .u64(static_cast<uint64_t>(ts))
      .u32(xid)
      .str(gid);
}
std::string rollback_prepared_msg(uint64_t prepare_end, uint64_t rollback_end, int64_t prepare_ts,
                                  int64_t rollback_ts, uint32_t xid, std::string_view gid) {
  return Msg('r')
      .u8(0)
      .u64(prepare_end)
      .u64(rollback_end)
      .u64(static_cast<uint64_t>(prepare_ts))
      .u64(static_cast<uint64_t>(rollback_ts))
      .u32(xid)
      .str(gid);
}

}  // namespace sabot::test::pgwire
