// Format 2: one document per action, as wal2json 2.5 writes them with the options of
// wal2json_plugin_options(), one per XLogData payload, compact (no whitespace), keys in the order
// shown; the decoder accepts any key order and ignores keys it does not know.
//
//   {"action":"B","xid":XID,"timestamp":TS,"lsn":COMMIT_LSN,"nextlsn":END_LSN}
//   {"action":"I","xid":XID,"timestamp":TS,"lsn":LSN,"schema":S,"table":S,"columns":[COL,...],
//    "pk":[PK,...]}
//   {"action":"U", ...as I..., "identity":[COL,...]}         identity: old key or old row (FULL)
//   {"action":"D","xid":XID,"timestamp":TS,"lsn":LSN,"schema":S,"table":S,"identity":[COL,...],
//    "pk":[PK,...]}
//   {"action":"T","xid":XID,"timestamp":TS,"lsn":LSN,"schema":S,"table":S}    one per relation
//   {"action":"M","xid":XID|null,"timestamp":TS|null,"lsn":LSN,"transactional":BOOL,"prefix":S,
//    "content":S}                         a non-transactional M (xid null) comes outside B..C
//   {"action":"C","xid":XID,"timestamp":TS,"lsn":COMMIT_LSN,"nextlsn":END_LSN}
//   COL = {"name":S,"type":S,"typeoid":N,"value":VALUE}    PK = {"name":S,"type":S,"typeoid":N}
//
// XID, TS, LSN, VALUE: see wal2json_reader.hpp.
#include "decode/wal2json/wal2json_format2.hpp"

#include <algorithm>
#include <cstdint>
#include <utility>

#include "base/column_pool.hpp"

namespace sabot::decode::wal2json {

namespace {

// Top-level keys.
enum V2Key : KeySet {
  kAction = 1u << 0,
  kXid = 1u << 1,
  kTimestamp = 1u << 2,
  kLsn = 1u << 3,
  kNextLsn = 1u << 4,
  kSchema = 1u << 5,
  kTable = 1u << 6,
  kColumns = 1u << 7,
  kIdentity = 1u << 8,
  kPk = 1u << 9,
  kTransactional = 1u << 10,
  kPrefix = 1u << 11,
  kContent = 1u << 12,
};

constexpr const char* kV2KeyNames[] = {
    "action",  "xid",      "timestamp", "lsn",           "nextlsn", "schema", "table",
    "columns", "identity", "pk",        "transactional", "prefix",  "content"};

// Keys of a COL object ("columns" and "identity" elements).
enum ColumnKey : KeySet {
  kColumnName = 1u << 0,
  kColumnType = 1u << 1,
  kColumnTypeOid = 1u << 2,
  kColumnValue = 1u << 3,
};

// Which keys each action must have, and which others it may have.
struct V2Shape {
  char action;
  KeySet required;
  KeySet optional;
};

constexpr KeySet kRowKeys = kAction | kXid | kLsn | kSchema | kTable;
constexpr V2Shape kV2Shapes[] = {
    {'B', kAction | kXid | kTimestamp | kLsn, kNextLsn},
    {'C', kAction | kXid | kLsn | kNextLsn, kTimestamp},
    {'I', kRowKeys | kColumns, kTimestamp | kPk},
    {'U', kRowKeys | kColumns, kTimestamp | kPk | kIdentity},
    {'D', kRowKeys | kIdentity, kTimestamp | kPk},
    {'T', kRowKeys, kTimestamp},
    {'M', kAction | kLsn | kTransactional | kPrefix | kContent, kXid | kTimestamp},
};

}  // namespace

// Fields of one document: views into the arena copy of the document (or next to it).
struct V2Doc {
  KeySet seen = 0;
  char action = 0;
  bool xid_null = false;
  uint32_t xid = 0;
  bool timestamp_null = false;
  std::string_view timestamp;
  Lsn lsn;
  Lsn nextlsn;
  std::string_view schema;
  std::string_view table;
  std::string_view prefix;
  std::string_view content;
  bool transactional = false;
  std::vector<Column> columns;
  std::vector<Column> identity;
};

// Called for every key of every document, from decode() only: forced inline, as the compiler
// chose when this was a function of internal linkage (a call per key costs about 1.5%).
[[gnu::always_inline]] inline void Format2Decoder::read_field(od::field& field, V2Doc& doc) {
  DocumentReader& r = reader_;
  const od::raw_json_string key = field.key();
  od::value& v = field.value();
  if (key == "action") {
    r.mark(doc.seen, kAction, "action");
    const std::string_view action = r.read_string(v, "\"action\"");
    if (action.size() != 1) r.fail(fmt::format("unknown action \"{}\"", escaped_prefix(action)));
    doc.action = action[0];
  } else if (key == "xid") {
    r.mark(doc.seen, kXid, "xid");
    doc.xid_null = !r.read_nullable_uint32(v, "\"xid\"", doc.xid);
  } else if (key == "timestamp") {
    r.mark(doc.seen, kTimestamp, "timestamp");
    doc.timestamp_null = !r.read_nullable_string(v, "\"timestamp\"", doc.timestamp);
  } else if (key == "lsn") {
    r.mark(doc.seen, kLsn, "lsn");
    doc.lsn = r.read_lsn(v, "\"lsn\"");
  } else if (key == "nextlsn") {
    r.mark(doc.seen, kNextLsn, "nextlsn");
    doc.nextlsn = r.read_lsn(v, "\"nextlsn\"");
  } else if (key == "schema") {
    r.mark(doc.seen, kSchema, "schema");
    doc.schema = r.read_string(v, "\"schema\"");
  } else if (key == "table") {
    r.mark(doc.seen, kTable, "table");
    doc.table = r.read_string(v, "\"table\"");
  } else if (key == "columns") {
    r.mark(doc.seen, kColumns, "columns");
    if (doc.columns.capacity() == 0) doc.columns = base::take_column_vector(columns_hint_);
    read_columns(v, doc.columns, "\"columns\"");
  } else if (key == "identity") {
    r.mark(doc.seen, kIdentity, "identity");
    if (doc.identity.capacity() == 0) {
      doc.identity =
          base::take_column_vector(doc.columns.empty() ? columns_hint_ : doc.columns.size());
    }
    read_columns(v, doc.identity, "\"identity\"");
  } else if (key == "pk") {
    r.mark(doc.seen, kPk, "pk");
    read_pk(v, pk_scratch_);
  } else if (key == "transactional") {
    r.mark(doc.seen, kTransactional, "transactional");
    doc.transactional = r.read_bool(v, "\"transactional\"");
  } else if (key == "prefix") {
    r.mark(doc.seen, kPrefix, "prefix");
    doc.prefix = r.read_string(v, "\"prefix\"");
  } else if (key == "content") {
    r.mark(doc.seen, kContent, "content");
    doc.content = r.read_string(v, "\"content\"");
  }
  // Any other key: an option we did not ask for (include-origin, ...); its value is skipped.
}

void Format2Decoder::decode(od::document& doc, DecodeHandler& out) {
  od::object object;
  reader_.check(doc.get_object().get(object), "expected one complete JSON object");
  V2Doc fields;
  pk_scratch_.clear();
  for (auto entry : object) {
    reader_.check(entry.error(), "malformed JSON object");
    od::field& field = entry.value_unsafe();  // in place: copying it stalls
    read_field(field, fields);
  }
  // Anything after the object (a second document, garbage) is an error, not something to skip.
  if (!doc.current_location().error()) reader_.fail("trailing bytes after the JSON object");
  dispatch(fields, out);
}

void Format2Decoder::read_columns(od::value& v, std::vector<Column>& out, std::string_view what) {
  DocumentReader& r = reader_;
  od::array array;
  r.check(v.get_array().get(array), "{} must be an array", what);
  for (auto element : array) {
    od::object object;
    r.check(element.get_object().get(object), "{} element {} must be an object", what, out.size());
    Column& column = out.emplace_back();
    KeySet seen = 0;
    for (auto entry : object) {
      r.check(entry.error(), "malformed {} element", what);
      od::field& field = entry.value_unsafe();  // in place: copying it stalls
      const od::raw_json_string key = field.key();
      od::value& fv = field.value();
      if (key == "name") {
        r.mark(seen, kColumnName, "name");
        column.name = r.read_string(fv, "column \"name\"");
      } else if (key == "type") {
        r.mark(seen, kColumnType, "type");
        column.type_name = r.read_string(fv, "column \"type\"");
      } else if (key == "typeoid") {
        r.mark(seen, kColumnTypeOid, "typeoid");
        column.type_oid = r.read_uint32(fv, "column \"typeoid\"");
      } else if (key == "value") {
        r.mark(seen, kColumnValue, "value");
        column.value = r.read_value(fv, what, out.size() - 1);
      }
    }
    if (!(seen & kColumnName)) {
      r.fail(fmt::format("{} element {} has no \"name\"", what, out.size() - 1));
    }
    if (!(seen & kColumnValue)) {
      r.fail(fmt::format("{} element {} (\"{}\") has no \"value\"", what, out.size() - 1,
                         column.name));
    }
    r.finish_bytea(column);
  }
}

void Format2Decoder::read_pk(od::value& v, std::vector<std::string_view>& out) {
  DocumentReader& r = reader_;
  od::array array;
  r.check(v.get_array().get(array), "\"pk\" must be an array");
  for (auto element : array) {
    od::object object;
    r.check(element.get_object().get(object), "\"pk\" elements must be objects");
    bool has_name = false;
    for (auto entry : object) {
      r.check(entry.error(), "malformed \"pk\" element");
      od::field& field = entry.value_unsafe();  // in place: copying it stalls
      if (field.key() == "name") {
        if (has_name) r.fail("duplicate key \"name\" in \"pk\"");
        has_name = true;
        out.emplace_back(r.read_string(field.value(), "\"pk\" \"name\""));
      }
      // "type" and "typeoid" repeat what the columns say.
    }
    if (!has_name) r.fail("\"pk\" element without \"name\"");
  }
}

ChangeEvent Format2Decoder::make_event(V2Doc& doc, Op op) {
  ChangeEvent event;
  event.op = op;
  event.schema = doc.schema;
  event.table = doc.table;
  event.lsn = doc.lsn;
  columns_hint_ = std::max(columns_hint_, doc.columns.size());  // the widest table seen
  event.columns = std::move(doc.columns);
  if (doc.seen & kIdentity) event.old = std::move(doc.identity);
  // Last: every arena copy for this event (unescaped strings, bytea) is made by now.
  reader_.set_storage(event, (doc.seen & kPk) ? pk_scratch_ : std::vector<std::string_view>{});
  return event;
}

void Format2Decoder::dispatch(V2Doc& doc, DecodeHandler& out) {
  DocumentReader& r = reader_;
  if (!(doc.seen & kAction)) r.fail("no \"action\"");
  const V2Shape* shape = nullptr;
  for (const V2Shape& s : kV2Shapes) {
    if (s.action == doc.action) shape = &s;
  }
  if (!shape) r.fail(fmt::format("unknown action \"{}\"", escaped_prefix({&doc.action, 1})));
  const KeySet missing = shape->required & ~doc.seen;
  if (missing) {
    r.fail(fmt::format("action \"{}\" lacks {}", doc.action, key_list(missing, kV2KeyNames)));
  }
  const KeySet unexpected = doc.seen & ~(shape->required | shape->optional);
  if (unexpected) {
    r.fail(fmt::format("action \"{}\" must not have {}", doc.action,
                       key_list(unexpected, kV2KeyNames)));
  }
  const bool non_transactional_message = doc.action == 'M' && !doc.transactional;
  if (doc.xid_null && !non_transactional_message) {
    r.fail(fmt::format("action \"{}\" has \"xid\":null", doc.action));
  }
  if (doc.timestamp_null && (doc.action == 'B' || doc.action == 'C')) {
    r.fail(fmt::format("action \"{}\" has \"timestamp\":null", doc.action));
  }

  if (non_transactional_message) {
    // Logical decoding replays a transaction in one piece, and wal2json does not stream
    // in-progress transactions, so a non-transactional message never falls inside B..C.
    if (in_tx_) {
      r.fail(fmt::format("non-transactional message inside transaction {}", begin_.xid));
    }
    ChangeEvent event = make_event(doc, Op::Message);
    event.message_transactional = false;
    event.message_prefix.assign(doc.prefix);
    event.message_content.assign(doc.content);
    if ((doc.seen & kTimestamp) && !doc.timestamp_null) {
      event.commit_time = r.to_timestamp(doc.timestamp, "\"timestamp\"");
    }
    out.on_message(std::move(event));
    return;
  }

  if (doc.action == 'B') {
    if (in_tx_) {
      r.fail(
          fmt::format("BEGIN of transaction {} while transaction {} is open", doc.xid, begin_.xid));
    }
    TxBegin b;
    b.xid = doc.xid;
    b.commit_lsn = doc.lsn;
    b.commit_time = r.to_timestamp(doc.timestamp, "\"timestamp\"");
    begin_ = b;
    in_tx_ = true;
    out.on_begin(begin_);
    return;
  }

  if (!in_tx_) {
    r.fail(doc.action == 'C' ? fmt::format("COMMIT of transaction {} without BEGIN", doc.xid)
                             : fmt::format("action \"{}\" outside a transaction", doc.action));
  }
  if (doc.xid != begin_.xid) {
    r.fail(fmt::format("action \"{}\" of transaction {} inside transaction {}", doc.action, doc.xid,
                       begin_.xid));
  }

  switch (doc.action) {
    case 'C': {
      if (doc.lsn != begin_.commit_lsn) {
        r.fail(fmt::format("COMMIT lsn {} differs from BEGIN's {}", doc.lsn.to_string(),
                           begin_.commit_lsn.to_string()));
      }
      TxCommit c;
      c.xid = doc.xid;
      c.commit_lsn = doc.lsn;
      c.end_lsn = doc.nextlsn;
      c.commit_time = (doc.seen & kTimestamp) ? r.to_timestamp(doc.timestamp, "\"timestamp\"")
                                              : begin_.commit_time;
      in_tx_ = false;
      out.on_commit(c);
      return;
    }
    case 'I':
      out.on_change(make_event(doc, Op::Insert));
      return;
    case 'U':
      out.on_change(make_event(doc, Op::Update));
      return;
    case 'D':
      out.on_change(make_event(doc, Op::Delete));
      return;
    case 'T':
      out.on_change(make_event(doc, Op::Truncate));
      return;
    case 'M': {
      ChangeEvent event = make_event(doc, Op::Message);
      event.message_transactional = true;
      event.message_prefix.assign(doc.prefix);
      event.message_content.assign(doc.content);
      out.on_change(std::move(event));
      return;
    }
    default:
      r.fail(fmt::format("unknown action \"{}\"", escaped_prefix({&doc.action, 1})));
  }
}

}  // namespace sabot::decode::wal2json
