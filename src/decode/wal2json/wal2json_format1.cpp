// Format 1: one document per transaction, written at commit; no TRUNCATE, no commit LSN. As
// wal2json 2.5 writes them with the options of wal2json_plugin_options(), one per XLogData
// payload, compact (no whitespace), keys in the order shown; the decoder accepts any key order
// and ignores keys it does not know.
//
//   {"xid":XID,"nextlsn":END_LSN,"timestamp":TS,"change":[CHANGE,...]}
//   {"change":[{"kind":"message","transactional":false,"prefix":S,"content":S}]}  (no xid)
//   CHANGE = {"kind":"insert"|"update"|"delete","schema":S,"table":S,
//             "columnnames":[S,...],"columntypes":[S,...],"columntypeoids":[N,...],
//             "columnvalues":[VALUE,...],                        (insert, update)
//             "pk":{"pknames":[S,...],"pktypes":[S,...]},        (tables with a primary key)
//             "oldkeys":{"keynames":[S,...],"keytypes":[S,...],"keytypeoids":[N,...],
//                        "keyvalues":[VALUE,...]}}               (update: optional, delete)
//          | {"kind":"message","transactional":true,"prefix":S,"content":S}
//
// XID, TS, LSN, VALUE: see wal2json_reader.hpp.
#include "decode/wal2json/wal2json_format1.hpp"

#include <cstdint>
#include <utility>

namespace sabot::decode::wal2json {

namespace {

// Keys of the document (the top level).
enum V1DocKey : KeySet {
  kDocXid = 1u << 0,
  kDocNextLsn = 1u << 1,
  kDocTimestamp = 1u << 2,
  kDocChange = 1u << 3,
};

// Keys of a "change" element.
enum V1Key : KeySet {
  kKind = 1u << 0,
  kSchema = 1u << 1,
  kTable = 1u << 2,
  kColumnNames = 1u << 3,
  kColumnTypes = 1u << 4,
  kColumnTypeOids = 1u << 5,
  kColumnValues = 1u << 6,
  kPk = 1u << 7,
  kOldKeys = 1u << 8,
  kTransactional = 1u << 9,
  kPrefix = 1u << 10,
  kContent = 1u << 11,
};

constexpr const char* kV1KeyNames[] = {
    "kind",         "schema", "table",   "columnnames",   "columntypes", "columntypeoids",
    "columnvalues", "pk",     "oldkeys", "transactional", "prefix",      "content"};

// Keys of an "oldkeys" object.
enum OldKeysKey : KeySet {
  kKeyNames = 1u << 0,
  kKeyTypes = 1u << 1,
  kKeyTypeOids = 1u << 2,
  kKeyValues = 1u << 3,
};

// Which keys each kind of change must have, and which others it may have.
struct V1Shape {
  std::string_view kind;
  Op op;
  KeySet required;
  KeySet optional;
};

constexpr KeySet kV1RowKeys = kKind | kSchema | kTable;
constexpr KeySet kV1NewRow = kColumnNames | kColumnValues;
constexpr KeySet kV1NewRowTypes = kColumnTypes | kColumnTypeOids | kPk;
constexpr V1Shape kV1Shapes[] = {
    {"insert", Op::Insert, kV1RowKeys | kV1NewRow, kV1NewRowTypes},
    {"update", Op::Update, kV1RowKeys | kV1NewRow, kV1NewRowTypes | kOldKeys},
    {"delete", Op::Delete, kV1RowKeys | kOldKeys, kPk},
    {"message", Op::Message, kKind | kTransactional | kPrefix | kContent, 0},
};

}  // namespace

// Called for every "change" element, from decode() only: forced inline, as the compiler chose
// when this was a function of internal linkage.
[[gnu::always_inline]] inline void Format1Decoder::read_change(od::value& v, ChangeEvent& event) {
  DocumentReader& r = reader_;
  od::object object;
  r.check(v.get_object().get(object), "\"change\" elements must be objects");
  KeySet seen = 0;
  bool transactional = false;
  size_t names = 0, values = 0;
  std::optional<size_t> types, oids;
  std::string_view kind;
  pk_scratch_.clear();
  for (auto entry : object) {
    r.check(entry.error(), "malformed \"change\" element");
    od::field& field = entry.value_unsafe();  // in place: copying it stalls
    const od::raw_json_string key = field.key();
    od::value& fv = field.value();
    if (key == "kind") {
      r.mark(seen, kKind, "kind");
      kind = r.read_string(fv, "\"kind\"");
    } else if (key == "schema") {
      r.mark(seen, kSchema, "schema");
      event.schema = r.read_string(fv, "\"schema\"");
    } else if (key == "table") {
      r.mark(seen, kTable, "table");
      event.table = r.read_string(fv, "\"table\"");
    } else if (key == "columnnames") {
      r.mark(seen, kColumnNames, "columnnames");
      names = read_parallel(fv, event.columns, Part::Name, "\"columnnames\"");
    } else if (key == "columntypes") {
      r.mark(seen, kColumnTypes, "columntypes");
      types = read_parallel(fv, event.columns, Part::Type, "\"columntypes\"");
    } else if (key == "columntypeoids") {
      r.mark(seen, kColumnTypeOids, "columntypeoids");
      oids = read_parallel(fv, event.columns, Part::TypeOid, "\"columntypeoids\"");
    } else if (key == "columnvalues") {
      r.mark(seen, kColumnValues, "columnvalues");
      values = read_parallel(fv, event.columns, Part::Value, "\"columnvalues\"");
    } else if (key == "pk") {
      r.mark(seen, kPk, "pk");
      read_pk(fv, pk_scratch_);
    } else if (key == "oldkeys") {
      r.mark(seen, kOldKeys, "oldkeys");
      read_old_keys(fv, event);
    } else if (key == "transactional") {
      r.mark(seen, kTransactional, "transactional");
      transactional = r.read_bool(fv, "\"transactional\"");
    } else if (key == "prefix") {
      r.mark(seen, kPrefix, "prefix");
      event.message_prefix.assign(r.read_string(fv, "\"prefix\""));
    } else if (key == "content") {
      r.mark(seen, kContent, "content");
      event.message_content.assign(r.read_string(fv, "\"content\""));
    }
  }
  if (!(seen & kKind)) r.fail("\"change\" element without \"kind\"");
  const V1Shape* shape = nullptr;
  for (const V1Shape& s : kV1Shapes) {
    if (s.kind == kind) shape = &s;
  }
  if (!shape) r.fail(fmt::format("unknown kind \"{}\"", escaped_prefix(kind)));
  const KeySet missing = shape->required & ~seen;
  if (missing) {
    r.fail(fmt::format("kind \"{}\" lacks {}", kind, key_list(missing, kV1KeyNames)));
  }
  const KeySet unexpected = seen & ~(shape->required | shape->optional);
  if (unexpected) {
    r.fail(fmt::format("kind \"{}\" must not have {}", kind, key_list(unexpected, kV1KeyNames)));
  }
  event.op = shape->op;
  if (event.op == Op::Message) {
    event.message_transactional = transactional;
  } else if (seen & kColumnNames) {
    check_counts(event.columns, names, values, types, oids, "column");  // may copy (bytea)
  }
  r.set_storage(event, pk_scratch_);  // last: after every arena copy made for this event
}

void Format1Decoder::decode(od::document& doc, DecodeHandler& out) {
  DocumentReader& r = reader_;
  od::object object;
  r.check(doc.get_object().get(object), "expected one complete JSON object");
  events_.clear();
  KeySet seen = 0;
  uint32_t xid = 0;
  Lsn nextlsn;
  std::string_view timestamp;
  bool any_transactional_message = false, any_non_transactional_message = false;
  bool any_row_change = false;
  for (auto entry : object) {
    r.check(entry.error(), "malformed JSON object");
    od::field& field = entry.value_unsafe();  // in place: copying it stalls
    const od::raw_json_string key = field.key();
    od::value& v = field.value();
    if (key == "xid") {
      r.mark(seen, kDocXid, "xid");
      xid = r.read_uint32(v, "\"xid\"");
    } else if (key == "nextlsn") {
      r.mark(seen, kDocNextLsn, "nextlsn");
      nextlsn = r.read_lsn(v, "\"nextlsn\"");
    } else if (key == "timestamp") {
      r.mark(seen, kDocTimestamp, "timestamp");
      timestamp = r.read_string(v, "\"timestamp\"");
    } else if (key == "change") {
      r.mark(seen, kDocChange, "change");
      od::array array;
      r.check(v.get_array().get(array), "\"change\" must be an array");
      for (auto element : array) {
        od::value ev;
        r.check(std::move(element).get(ev), "malformed \"change\" array");
        ChangeEvent& event = events_.emplace_back();
        read_change(ev, event);
        if (event.op != Op::Message) {
          any_row_change = true;
        } else if (event.message_transactional) {
          any_transactional_message = true;
        } else {
          any_non_transactional_message = true;
        }
      }
    }
  }
  if (!doc.current_location().error()) r.fail("trailing bytes after the JSON object");
  if (!(seen & kDocChange)) r.fail("no \"change\"");

  if (!(seen & kDocXid)) {
    // The only document without an xid: one non-transactional message, written when decoded.
    if (events_.empty() || any_row_change || any_transactional_message) {
      r.fail("a document without \"xid\" must hold non-transactional messages only");
    }
    for (ChangeEvent& event : events_) {
      event.lsn = r.wal_start();  // format 1 has no LSN in the message; the XLogData start is it
      out.on_message(std::move(event));
    }
    events_.clear();
    return;
  }
  if (!(seen & kDocNextLsn)) r.fail("transaction document lacks \"nextlsn\"");
  if (!(seen & kDocTimestamp)) r.fail("transaction document lacks \"timestamp\"");
  if (any_non_transactional_message) r.fail("non-transactional message inside a transaction");

  TxBegin b;
  b.xid = xid;
  b.commit_lsn = nextlsn;  // format 1 has no commit LSN; its end is the closest stable position
  b.commit_time = r.to_timestamp(timestamp, "\"timestamp\"");
  TxCommit c;
  c.xid = xid;
  c.commit_lsn = nextlsn;
  c.end_lsn = nextlsn;
  c.commit_time = b.commit_time;
  out.on_begin(b);
  for (ChangeEvent& event : events_) {
    event.lsn = nextlsn;
    out.on_change(std::move(event));
  }
  events_.clear();
  out.on_commit(c);
}

size_t Format1Decoder::read_parallel(od::value& v, std::vector<Column>& columns, Part part,
                                     std::string_view what) {
  DocumentReader& r = reader_;
  od::array array;
  r.check(v.get_array().get(array), "{} must be an array", what);
  size_t i = 0;
  for (auto element : array) {
    od::value ev;
    r.check(std::move(element).get(ev), "malformed {} array", what);
    if (i == columns.size()) columns.emplace_back();
    Column& column = columns[i];
    switch (part) {
      case Part::Name:
        column.name = r.read_string(ev, what);
        break;
      case Part::Type:
        column.type_name = r.read_string(ev, what);
        break;
      case Part::TypeOid:
        column.type_oid = r.read_uint32(ev, what);
        break;
      case Part::Value:
        column.value = r.read_value(ev, what, i);
        break;
    }
    ++i;
  }
  return i;
}

// The parallel arrays of one row must agree in length; then bytea values get their "\x" back.
void Format1Decoder::check_counts(std::vector<Column>& columns, size_t names, size_t values,
                                  std::optional<size_t> types, std::optional<size_t> oids,
                                  std::string_view what) {
  if (values != names || (types && *types != names) || (oids && *oids != names) ||
      columns.size() != names) {
    reader_.fail(fmt::format(
        "{} arrays disagree in length: {} names, {} values, {} types, {} type oids", what, names,
        values, types ? fmt::to_string(*types) : "no", oids ? fmt::to_string(*oids) : "no"));
  }
  for (Column& column : columns) reader_.finish_bytea(column);
}

void Format1Decoder::read_old_keys(od::value& v, ChangeEvent& event) {
  DocumentReader& r = reader_;
  od::object object;
  r.check(v.get_object().get(object), "\"oldkeys\" must be an object");
  std::vector<Column>& old = event.old.emplace();
  old.reserve(kInitialColumnsHint);  // format 1 keeps no widest-row hint
  KeySet seen = 0;
  size_t names = 0, values = 0;
  std::optional<size_t> types, oids;
  for (auto entry : object) {
    r.check(entry.error(), "malformed \"oldkeys\"");
    od::field& field = entry.value_unsafe();  // in place: copying it stalls
    const od::raw_json_string key = field.key();
    od::value& fv = field.value();
    if (key == "keynames") {
      r.mark(seen, kKeyNames, "keynames");
      names = read_parallel(fv, old, Part::Name, "\"keynames\"");
    } else if (key == "keytypes") {
      r.mark(seen, kKeyTypes, "keytypes");
      types = read_parallel(fv, old, Part::Type, "\"keytypes\"");
    } else if (key == "keytypeoids") {
      r.mark(seen, kKeyTypeOids, "keytypeoids");
      oids = read_parallel(fv, old, Part::TypeOid, "\"keytypeoids\"");
    } else if (key == "keyvalues") {
      r.mark(seen, kKeyValues, "keyvalues");
      values = read_parallel(fv, old, Part::Value, "\"keyvalues\"");
    }
  }
  if (!(seen & kKeyNames)) r.fail("\"oldkeys\" lacks \"keynames\"");
  if (!(seen & kKeyValues)) r.fail("\"oldkeys\" lacks \"keyvalues\"");
  check_counts(old, names, values, types, oids, "\"oldkeys\"");
}

void Format1Decoder::read_pk(od::value& v, std::vector<std::string_view>& out) {
  DocumentReader& r = reader_;
  od::object object;
  r.check(v.get_object().get(object), "\"pk\" must be an object");
  bool has_names = false;
  for (auto entry : object) {
    r.check(entry.error(), "malformed \"pk\"");
    od::field& field = entry.value_unsafe();  // in place: copying it stalls
    if (field.key() == "pknames") {
      if (has_names) r.fail("duplicate key \"pknames\"");
      has_names = true;
      od::array array;
      r.check(field.value().get_array().get(array), "\"pknames\" must be an array");
      for (auto element : array) {
        od::value ev;
        r.check(std::move(element).get(ev), "malformed \"pknames\" array");
        out.emplace_back(r.read_string(ev, "\"pknames\" element"));
      }
    }
    // "pktypes" / "pktypeoids" repeat what the columns say.
  }
  if (!has_names) r.fail("\"pk\" lacks \"pknames\"");
}

}  // namespace sabot::decode::wal2json
