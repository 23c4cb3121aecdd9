// Spill record layout (big-endian, so base::ByteReader reads it back; str = Int32 length + bytes):
//
//   record  Int32 body_length  body
//   body    Int32 subxid  Int8 op  str schema  str table  columns  Int8 has_old [columns]
//           Int32 nkeys str*nkeys  Int64 lsn  Int32 transaction_id  Int64 commit_time_us
//           Int64 commit_lsn  Int32 seq  str message_prefix  str message_content
//           Int8 flags(1 transactional, 2 cascade, 4 restart identity)  str ddl
//           Int8 has_table_schema [table_schema]
//   columns Int32 n  { str name  Int32 type_oid  str type_name  Int8 flags(1 null, 2 unchanged
//           toast)  [str value unless null] } * n
//   table_schema  str schema  str table  Int32 relation_oid  str replica_identity
//           Int8 dropped  str ddl  Int64 lsn  Int32 n  { str name  Int32 type_oid  str type_name
//           Int8 nullable(0 no, 1 yes, 2 unknown)  Int8 key } * n
#include "spill/event_record.hpp"

#include <fmt/format.h>

#include "base/byte_arena.hpp"
#include "base/byte_reader.hpp"
#include "sabot/error.hpp"

namespace sabot::spill {

namespace {


void put_u8(std::string& out, uint8_t v) {
  out.push_back(static_cast<char>(v));
}
void put_u32(std::string& out, uint32_t v) {
  const char b[4] = {static_cast<char>(v >> 24), static_cast<char>(v >> 16),
                     static_cast<char>(v >> 8), static_cast<char>(v)};
  out.append(b, 4);
}
void put_u64(std::string& out, uint64_t v) {
  put_u32(out, static_cast<uint32_t>(v >> 32));
  put_u32(out, static_cast<uint32_t>(v));
}
void put_str(std::string& out, std::string_view s) {
  put_u32(out, static_cast<uint32_t>(s.size()));
  out.append(s);
}

void put_columns(std::string& out, const std::vector<Column>& columns) {
  put_u32(out, static_cast<uint32_t>(columns.size()));
  for (const Column& c : columns) {
    put_str(out, c.name);
    put_u32(out, c.type_oid);
    put_str(out, c.type_name);
    put_u8(out, static_cast<uint8_t>((c.value.is_null() ? 1 : 0) | (c.unchanged_toast ? 2 : 0)));
    if (!c.value.is_null()) put_str(out, c.value.text());
  }
}

void put_table_schema(std::string& out, const TableSchema& t) {
  put_str(out, t.schema);
  put_str(out, t.table);
  put_u32(out, t.relation_oid);
  put_str(out, t.replica_identity);
  put_u8(out, t.dropped ? 1 : 0);
  put_str(out, t.ddl);
  put_u64(out, t.lsn.value());
  put_u32(out, static_cast<uint32_t>(t.columns.size()));
  for (const SchemaColumn& c : t.columns) {
    put_str(out, c.name);
    put_u32(out, c.type_oid);
    put_str(out, c.type_name);
    put_u8(out, c.nullable ? (*c.nullable ? 1 : 0) : 2);
    put_u8(out, c.key ? 1 : 0);
  }
}

}  // namespace

void serialize_event_record(std::string& out, uint32_t subxid, const ChangeEvent& e) {
  out.clear();
  put_u32(out, 0);  // body length, patched below
  put_u32(out, subxid);
  put_u8(out, static_cast<uint8_t>(e.op));
  put_str(out, e.schema);
  put_str(out, e.table);
  put_columns(out, e.columns);
  put_u8(out, e.old ? 1 : 0);
  if (e.old) put_columns(out, *e.old);
  put_u32(out, static_cast<uint32_t>(e.key_columns.size()));
  for (std::string_view k : e.key_columns) put_str(out, k);
  put_u64(out, e.lsn.value());
  put_u32(out, e.transaction_id);
  put_u64(out, static_cast<uint64_t>(e.commit_time.time_since_epoch().count()));
  put_u64(out, e.commit_lsn.value());
  put_u32(out, e.seq);
  put_str(out, e.message_prefix);
  put_str(out, e.message_content);
  put_u8(out,
         static_cast<uint8_t>((e.message_transactional ? 1 : 0) | (e.truncate_cascade ? 2 : 0) |
                              (e.truncate_restart_identity ? 4 : 0)));
  put_str(out, e.ddl);
  put_u8(out, e.table_schema ? 1 : 0);
  if (e.table_schema) put_table_schema(out, *e.table_schema);
  const uint32_t body = static_cast<uint32_t>(out.size() - 4);
  std::string len;
  put_u32(len, body);
  std::memcpy(out.data(), len.data(), 4);
}

// A view into the record: deserialize() detaches the event from it at the end.
namespace {

std::string_view get_view(base::ByteReader& in, const char* field) {
  const uint32_t len = in.read_u32(field);
  return in.read_bytes(len, field);
}

std::string get_str(base::ByteReader& in, const char* field) {
  return std::string(get_view(in, field));
}

std::vector<Column> get_columns(base::ByteReader& in) {
  const uint32_t n = in.read_u32("column count");
  if (n > in.remaining()) throw CdcError(ErrorKind::Protocol, "column count exceeds record");
  std::vector<Column> columns;
  columns.reserve(n);
  for (uint32_t i = 0; i < n; ++i) {
    Column c;
    c.name = get_view(in, "column name");
    c.type_oid = in.read_u32("column type OID");
    c.type_name = get_view(in, "column type name");
    const uint8_t flags = in.read_u8("column flags");
    c.unchanged_toast = (flags & 2) != 0;
    if ((flags & 1) == 0) c.value = Value::view(get_view(in, "column value"));
    columns.push_back(std::move(c));
  }
  return columns;
}

std::shared_ptr<const TableSchema> get_table_schema(base::ByteReader& in) {
  auto t = std::make_shared<TableSchema>();
  t->schema = get_str(in, "schema of table schema");
  t->table = get_str(in, "table of table schema");
  t->relation_oid = in.read_u32("relation OID");
  t->replica_identity = get_str(in, "replica identity");
  t->dropped = in.read_u8("dropped") != 0;
  t->ddl = get_str(in, "ddl of table schema");
  t->lsn = Lsn(in.read_u64("table schema lsn"));
  const uint32_t n = in.read_u32("schema column count");
  if (n > in.remaining()) throw CdcError(ErrorKind::Protocol, "schema column count exceeds record");
  t->columns.reserve(n);
  for (uint32_t i = 0; i < n; ++i) {
    SchemaColumn& c = t->columns.emplace_back();
    c.name = get_str(in, "schema column name");
    c.type_oid = in.read_u32("schema column type OID");
    c.type_name = get_str(in, "schema column type name");
    const uint8_t nullable = in.read_u8("schema column nullable");
    if (nullable < 2) c.nullable = nullable == 1;
    c.key = in.read_u8("schema column key") != 0;
  }
  return t;
}

}  // namespace

ChangeEvent parse_event_record(std::string_view body, uint32_t& subxid) {
  base::ByteReader in(body);
  ChangeEvent e;
  subxid = in.read_u32("subxid");
  const uint8_t op = in.read_u8("op");
  if (op > static_cast<uint8_t>(Op::Read)) {
    throw CdcError(ErrorKind::Protocol, fmt::format("unknown op {}", op));
  }
  e.op = static_cast<Op>(op);
  e.schema = get_view(in, "schema");
  e.table = get_view(in, "table");
  e.columns = get_columns(in);
  if (in.read_u8("has old") != 0) e.old = get_columns(in);
  const uint32_t nkeys = in.read_u32("key count");
  if (nkeys > in.remaining()) throw CdcError(ErrorKind::Protocol, "key count exceeds record");
  std::vector<std::string> keys;
  keys.reserve(nkeys);
  for (uint32_t i = 0; i < nkeys; ++i) keys.push_back(get_str(in, "key column"));
  e.key_columns = keys;
  e.lsn = Lsn(in.read_u64("lsn"));
  e.transaction_id = in.read_u32("transaction id");
  e.commit_time = Timestamp(std::chrono::microseconds(in.read_i64("commit time")));
  e.commit_lsn = Lsn(in.read_u64("commit lsn"));
  e.seq = in.read_u32("seq");
  e.message_prefix = get_str(in, "message prefix");
  e.message_content = get_str(in, "message content");
  const uint8_t flags = in.read_u8("flags");
  e.message_transactional = (flags & 1) != 0;
  e.truncate_cascade = (flags & 2) != 0;
  e.truncate_restart_identity = (flags & 4) != 0;
  e.ddl = get_str(in, "ddl");
  if (in.read_u8("has table schema") != 0) e.table_schema = get_table_schema(in);
  in.expect_end("spill record");
  base::detach_event_storage(e);  // copies out of the record (and keys) into the event's own
  return e;
}

}  // namespace sabot::spill
