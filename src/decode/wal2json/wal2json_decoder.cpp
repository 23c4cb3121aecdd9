// Wal2jsonDecoder. The documents wal2json 2.5 writes with the options of
// wal2json_plugin_options(), one per XLogData payload, compact (no whitespace), keys in the order
// shown; the decoder accepts any key order and ignores keys it does not know.
//
// Format 2: one document per action.
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
// Format 1: one document per transaction, written at commit; no TRUNCATE, no commit LSN.
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
// XID: JSON number (uint32). TS: timestamptz text, see pg_text.hpp. LSN: "X/Y".
// VALUE: string | number | true | false | null; see the header for the text form of each.
#include "decode/wal2json/wal2json_decoder.hpp"

#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <string>

#include "base/byte_arena.hpp"
#include "decode/pg_text.hpp"
#include "sabot/error.hpp"

namespace sabot::decode {

namespace {

namespace od = simdjson::ondemand;

// Why ondemand and not the DOM parser: the DOM parser turns every number into a double or an
// int64 while building its tape, so numeric(40,9) would be rounded and 1.50 would become 1.5;
// ondemand gives the number's raw token. It is also the faster of the two for these documents:
// we read every field exactly once, in document order, and ondemand never builds a tape.

constexpr size_t kPayloadPrefixBytes = 96;

// Escapes a prefix of the payload for an error message: printable ASCII as is, the rest \xNN.
std::string escaped_prefix(std::string_view payload) {
  std::string out;
  const size_t n = std::min(payload.size(), kPayloadPrefixBytes);
  out.reserve(n + 8);
  for (size_t i = 0; i < n; ++i) {
    const auto c = static_cast<unsigned char>(payload[i]);
    if (c == '\\') {
      out += "\\\\";
    } else if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("\\x{:02x}", c);
    }
  }
  if (payload.size() > n) out += "...";
  return out;
}

// JSON whitespace after a raw token (raw_json_token() includes it).
std::string_view trim_json_whitespace(std::string_view token) {
  while (!token.empty()) {
    const char c = token.back();
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
    token.remove_suffix(1);
  }
  return token;
}

// Where the backslashes of a document are, found lazily: whether a range holds one costs a
// comparison, and each backslash is searched for (memchr) about once, as long as ranges are asked
// for in document order (the order simdjson's on-demand reader visits values). A range asked for
// out of order just searches again from its start.
class BackslashCursor {
 public:
  void reset(std::string_view document) {
    end_ = document.data() + document.size();
    search(document.data());
  }
  // Precondition: [begin, end) lies within the document.
  bool any_in(const char* begin, const char* end) {
    // next_ is the first backslash at or after from_: valid for any begin in [from_, next_].
    if (begin < from_ || next_ < begin) search(begin);
    return next_ < end;
  }

 private:
  void search(const char* from) {
    from_ = from;
    const void* hit = std::memchr(from, '\\', static_cast<size_t>(end_ - from));
    next_ = hit != nullptr ? static_cast<const char*>(hit) : end_;
  }
  const char* end_ = nullptr;
  const char* from_ = nullptr;
  const char* next_ = nullptr;
};

// Fast path for the common string without escapes: its content is the raw bytes between the
// quotes, so it need not be unescaped into simdjson's string buffer first (a copy saved per
// string). Stage 1 has already checked the document's UTF-8 and that every string is closed and
// holds no unescaped control character; anything else (escapes, not a string) returns nullopt
// and takes the checked get_string() path.
std::optional<std::string_view> plain_string(od::value& v, BackslashCursor& backslashes) {
  const std::string_view token = trim_json_whitespace(v.raw_json_token());
  if (token.size() < 2 || token.front() != '"' || token.back() != '"') return std::nullopt;
  // The token runs from the opening quote to the next structural character, and any further '"'
  // would open a new (structural) string, so ending in '"' with no backslash means exactly one
  // string without escapes.
  const std::string_view content = token.substr(1, token.size() - 2);
  if (backslashes.any_in(content.data(), content.data() + content.size())) return std::nullopt;
  return content;
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// RFC 8259 number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? . ondemand classifies a value
// as a number by its first byte only, so the token is checked before it is kept as text.
bool is_json_number(std::string_view s) {
  size_t i = 0;
  const size_t n = s.size();
  if (i < n && s[i] == '-') ++i;
  if (i >= n) return false;
  if (s[i] == '0') {
    ++i;
  } else if (is_digit(s[i])) {
    while (i < n && is_digit(s[i])) ++i;
  } else {
    return false;
  }
  if (i < n && s[i] == '.') {
    ++i;
    if (i >= n || !is_digit(s[i])) return false;
    while (i < n && is_digit(s[i])) ++i;
  }
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < n && (s[i] == '+' || s[i] == '-')) ++i;
    if (i >= n || !is_digit(s[i])) return false;
    while (i < n && is_digit(s[i])) ++i;
  }
  return i == n;
}

bool is_hex_digits(std::string_view s) {
  for (char c : s) {
    if (!is_digit(c) && !(c >= 'a' && c <= 'f') && !(c >= 'A' && c <= 'F')) return false;
  }
  return true;
}

// Presence bits of the keys of one JSON object, to find duplicates, missing and misplaced keys.
using KeySet = uint32_t;

// Format 2 top-level keys.
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

// Format 1 keys of a "change" element (the top level only has xid, nextlsn, timestamp, change).
enum V1Key : KeySet {
  kKind = 1u << 0,
  kV1Schema = 1u << 1,
  kV1Table = 1u << 2,
  kColumnNames = 1u << 3,
  kColumnTypes = 1u << 4,
  kColumnTypeOids = 1u << 5,
  kColumnValues = 1u << 6,
  kV1Pk = 1u << 7,
  kOldKeys = 1u << 8,
  kV1Transactional = 1u << 9,
  kV1Prefix = 1u << 10,
  kV1Content = 1u << 11,
};

constexpr const char* kV1KeyNames[] = {
    "kind",         "schema", "table",   "columnnames",   "columntypes", "columntypeoids",
    "columnvalues", "pk",     "oldkeys", "transactional", "prefix",      "content"};

template <size_t N>
std::string key_list(KeySet keys, const char* const (&names)[N]) {
  std::string out;
  for (size_t i = 0; i < N; ++i) {
    if (keys & (KeySet{1} << i)) {
      if (!out.empty()) out += ", ";
      out += '"';
      out += names[i];
      out += '"';
    }
  }
  return out;
}

// Which keys each format-2 action must have, and which others it may have.
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

struct V1Shape {
  std::string_view kind;
  Op op;
  KeySet required;
  KeySet optional;
};

constexpr KeySet kV1RowKeys = kKind | kV1Schema | kV1Table;
constexpr KeySet kV1NewRow = kColumnNames | kColumnValues;
constexpr KeySet kV1NewRowTypes = kColumnTypes | kColumnTypeOids | kV1Pk;
constexpr V1Shape kV1Shapes[] = {
    {"insert", Op::Insert, kV1RowKeys | kV1NewRow, kV1NewRowTypes},
    {"update", Op::Update, kV1RowKeys | kV1NewRow, kV1NewRowTypes | kOldKeys},
    {"delete", Op::Delete, kV1RowKeys | kOldKeys, kV1Pk},
    {"message", Op::Message, kKind | kV1Transactional | kV1Prefix | kV1Content, 0},
};

constexpr char kZeroPadding[simdjson::SIMDJSON_PADDING] = {};

// Shared, immutable key-name lists: the events of a table all point at one (storage.names).
class KeyNameCache {
 public:
  std::shared_ptr<const std::vector<std::string>> intern(const std::vector<std::string_view>& names) {
    for (const auto& entry : entries_) {
      if (std::equal(entry->begin(), entry->end(), names.begin(), names.end())) return entry;
    }
    auto fresh = std::make_shared<const std::vector<std::string>>(names.begin(), names.end());
    if (entries_.size() == kMaxEntries) entries_.erase(entries_.begin());
    entries_.push_back(fresh);
    return fresh;
  }

 private:
  static constexpr size_t kMaxEntries = 64;
  std::vector<std::shared_ptr<const std::vector<std::string>>> entries_;
};

// Fields of one format-2 document: views into the arena copy of the document (or next to it).
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

// One entry of a format-1 "change" array, decoded, before the transaction around it is known.
struct V1Change {
  KeySet seen = 0;
  const V1Shape* shape = nullptr;
  bool transactional = false;
};

}  // namespace

struct Wal2jsonDecoder::Impl {
  explicit Impl(int version) : format_version(version) {}

  int format_version;
  od::parser parser;
  // The payload is copied into the arena (with simdjson's padding) and parsed in place: names and
  // values without escapes are views into that copy, the rest are copied next to it. Events keep
  // the chunk (storage.values).
  base::ByteArena arena;
  // Key column names, shared by the events of a table (storage.names).
  KeyNameCache key_names;
  BackslashCursor backslashes;  // over the document being decoded
  std::vector<std::string_view> pk_scratch;

  // The call being decoded, for error messages.
  std::string_view payload;
  Lsn wal_start;

  // Format 2: the open transaction.
  bool in_tx = false;
  TxBegin begin;
  // Column count of the widest row seen, to size each row's vectors in one allocation.
  size_t columns_hint = 8;
  // Format 1: the events of the transaction being decoded (reused across calls).
  std::vector<ChangeEvent> v1_events;

  void decode(std::string_view data, Lsn start, DecodeHandler& out);
  od::document parse();

  [[noreturn]] void fail(std::string_view what) const;
  // The message is only formatted when there is an error: check() runs for every value.
  template <typename... Args>
  void check(simdjson::error_code ec, fmt::format_string<Args...> format, Args&&... args) const {
    if (ec) [[unlikely]] {
      fail(fmt::format("{} ({})", fmt::format(format, std::forward<Args>(args)...),
                       simdjson::error_message(ec)));
    }
  }
  void mark(KeySet& seen, KeySet key, std::string_view name) const {
    if (seen & key) fail(fmt::format("duplicate key \"{}\"", name));
    seen |= key;
  }

  // Scalars.
  std::string_view read_string(od::value& v, std::string_view what);
  bool read_bool(od::value& v, std::string_view what);
  uint32_t read_uint32(od::value& v, std::string_view what);
  bool read_nullable_uint32(od::value& v, std::string_view what, uint32_t& out);
  bool read_nullable_string(od::value& v, std::string_view what, std::string_view& out);
  Lsn read_lsn(od::value& v, std::string_view what);
  Timestamp to_timestamp(std::string_view text, std::string_view what);
  // The last timestamp parsed: a transaction's BEGIN and COMMIT carry the same one.
  std::string last_timestamp_text;
  Timestamp last_timestamp{};
  // `index`: the element of the array `what` the value is in (for error messages only).
  Value read_value(od::value& v, std::string_view what, size_t index);
  void finish_bytea(Column& column);

  // Format 2.
  void decode_v2(od::document& doc, DecodeHandler& out);
  void read_v2_field(od::field& field, V2Doc& doc);
  void read_v2_columns(od::value& v, std::vector<Column>& out, std::string_view what);
  void read_v2_pk(od::value& v, std::vector<std::string_view>& out);
  void dispatch_v2(V2Doc& doc, DecodeHandler& out);
  ChangeEvent make_v2_event(V2Doc& doc, Op op);

  // Format 1.
  void decode_v1(od::document& doc, DecodeHandler& out);
  void read_v1_change(od::value& v, ChangeEvent& event, V1Change& change);
  enum class Part { Name, Type, TypeOid, Value };
  size_t read_v1_parallel(od::value& v, std::vector<Column>& columns, Part part,
                          std::string_view what);
  void read_v1_keys(od::value& v, ChangeEvent& event);
  void read_v1_pk(od::value& v, std::vector<std::string_view>& out);
  void set_storage(ChangeEvent& event, const std::vector<std::string_view>& pk);
  void check_v1_counts(std::vector<Column>& columns, size_t names, size_t values,
                       std::optional<size_t> types, std::optional<size_t> oids,
                       std::string_view what);
};

// ---------------------------------------------------------------------------------------------
// Entry points

Wal2jsonDecoder::Wal2jsonDecoder(int format_version) {
  if (format_version != 1 && format_version != 2) {
    throw CdcError(ErrorKind::Config,
                   fmt::format("wal2json format-version must be 1 or 2, not {}", format_version));
  }
  impl_ = std::make_unique<Impl>(format_version);
}

Wal2jsonDecoder::~Wal2jsonDecoder() = default;

int Wal2jsonDecoder::format_version() const {
  return impl_->format_version;
}
bool Wal2jsonDecoder::in_transaction() const {
  return impl_->in_tx;
}

void Wal2jsonDecoder::reset() {
  impl_->in_tx = false;
  impl_->begin = TxBegin{};
}

void Wal2jsonDecoder::decode(std::string_view payload, Lsn wal_start, DecodeHandler& out) {
  try {
    impl_->decode(payload, wal_start, out);
  } catch (...) {
    // Whatever failed (a bad document or the handler), the transaction in progress can no longer
    // be completed correctly from here; the stream resumes at a transaction boundary.
    reset();
    impl_->payload = {};
    throw;
  }
  impl_->payload = {};
}

void Wal2jsonDecoder::Impl::fail(std::string_view what) const {
  throw CdcError(ErrorKind::Protocol,
                 fmt::format("wal2json (format-version {}) message at {} is invalid: {}; "
                             "payload ({} bytes) begins \"{}\"",
                             format_version, wal_start.to_string(), what, payload.size(),
                             escaped_prefix(payload)));
}

void Wal2jsonDecoder::Impl::decode(std::string_view data, Lsn start, DecodeHandler& out) {
  payload = data;
  wal_start = start;
  od::document doc = parse();
  if (format_version == 2) {
    decode_v2(doc, out);
  } else {
    decode_v1(doc, out);
  }
}

od::document Wal2jsonDecoder::Impl::parse() {
  if (payload.empty()) fail("empty payload");
  // Room for the document, its padding, and a little for unescaped strings and bytea "\x"
  // prefixes (more chains a new chunk: see ByteArena).
  arena.begin_record(payload.size() + simdjson::SIMDJSON_PADDING + 256);
  const std::string_view padded =
      arena.copy_concat(payload, std::string_view(kZeroPadding, simdjson::SIMDJSON_PADDING));
  backslashes.reset(padded.substr(0, payload.size()));
  od::document doc;
  const simdjson::error_code ec =
      parser.iterate(simdjson::padded_string_view(padded.data(), payload.size(), padded.size()))
          .get(doc);
  if (ec == simdjson::UTF8_ERROR) {
    fail(
        "not valid UTF-8; wal2json writes text in the database encoding, which must be UTF8, "
        "and copies logical message content verbatim (binary message content cannot be "
        "carried by wal2json)");
  }
  check(ec, "not a JSON document");
  return doc;
}

// ---------------------------------------------------------------------------------------------
// Scalars

// A view that stays valid as long as the arena chunk: into the document, or a copy of the
// unescaped string (simdjson unescapes into its own buffer, reused by the next document).
std::string_view Wal2jsonDecoder::Impl::read_string(od::value& v, std::string_view what) {
  if (const std::optional<std::string_view> plain = plain_string(v, backslashes)) return *plain;
  std::string_view s;
  check(v.get_string().get(s), "{} must be a string", what);
  return arena.copy(s);
}

bool Wal2jsonDecoder::Impl::read_bool(od::value& v, std::string_view what) {
  bool b = false;
  check(v.get_bool().get(b), "{} must be true or false", what);
  return b;
}

uint32_t Wal2jsonDecoder::Impl::read_uint32(od::value& v, std::string_view what) {
  // Fast path for the usual 1-10 plain digits (type OIDs, xids); the rest goes to simdjson.
  const std::string_view token = trim_json_whitespace(v.raw_json_token());
  if (!token.empty() && token.size() <= 9 && (token[0] != '0' || token.size() == 1)) {
    uint32_t value = 0;
    bool digits = true;
    for (char c : token) {
      if (!is_digit(c)) {
        digits = false;
        break;
      }
      value = value * 10 + static_cast<uint32_t>(c - '0');
    }
    if (digits) return value;
  }
  uint64_t n = 0;
  check(v.get_uint64().get(n), "{} must be an unsigned integer", what);
  if (n > UINT32_MAX) fail(fmt::format("{} {} does not fit in 32 bits", what, n));
  return static_cast<uint32_t>(n);
}

// Returns false for JSON null.
bool Wal2jsonDecoder::Impl::read_nullable_uint32(od::value& v, std::string_view what,
                                                 uint32_t& out) {
  bool is_null = false;
  check(v.is_null().get(is_null), "{} must be a number or null", what);
  if (is_null) return false;
  out = read_uint32(v, what);
  return true;
}

bool Wal2jsonDecoder::Impl::read_nullable_string(od::value& v, std::string_view what,
                                                 std::string_view& out) {
  bool is_null = false;
  check(v.is_null().get(is_null), "{} must be a string or null", what);
  if (is_null) return false;
  out = read_string(v, what);
  return true;
}

Lsn Wal2jsonDecoder::Impl::read_lsn(od::value& v, std::string_view what) {
  const std::string_view text = read_string(v, what);
  const std::optional<Lsn> lsn = Lsn::parse(text);
  if (!lsn) fail(fmt::format("{} \"{}\" is not an LSN (X/Y)", what, escaped_prefix(text)));
  return *lsn;
}

Timestamp Wal2jsonDecoder::Impl::to_timestamp(std::string_view text, std::string_view what) {
  if (!last_timestamp_text.empty() && text == last_timestamp_text) return last_timestamp;
  const std::optional<Timestamp> ts = parse_pg_timestamptz(text);
  if (!ts) {
    fail(fmt::format("{} \"{}\" is not a timestamptz in ISO format", what, escaped_prefix(text)));
  }
  last_timestamp_text.assign(text);
  last_timestamp = *ts;
  return *ts;
}

Value Wal2jsonDecoder::Impl::read_value(od::value& v, std::string_view what, size_t index) {
  od::json_type type = od::json_type::null;  // set by type(); initialised for -O3's flow analysis
  check(v.type().get(type), "{} element {} is not a JSON value", what, index);
  switch (type) {
    case od::json_type::string: {
      if (const std::optional<std::string_view> plain = plain_string(v, backslashes)) {
        return Value::view(*plain);
      }
      std::string_view s;
      check(v.get_string().get(s), "{} element {} is not a valid string", what, index);
      return Value::view(arena.copy(s));
    }
    case od::json_type::number: {
      // The token as wal2json wrote it: PostgreSQL's own output of int2/4/8, oid, float4/8 and
      // numeric. Never converted, so numeric keeps every digit and its scale ("1.50").
      const std::string_view token = trim_json_whitespace(v.raw_json_token());
      if (!is_json_number(token)) {
        fail(fmt::format("{} element {} \"{}\" is not a JSON number", what, index,
                         escaped_prefix(token)));
      }
      return Value::view(token);
    }
    case od::json_type::boolean: {
      bool b = false;
      check(v.get_bool().get(b), "{} element {} is not true or false", what, index);
      return Value::view(b ? "t" : "f");
    }
    case od::json_type::null: {
      // Also how wal2json writes float/numeric NaN and +-Infinity (JSON has no such numbers):
      // those cannot be told apart from SQL NULL. A wal2json limitation.
      bool is_null = false;
      check(v.is_null().get(is_null), "{} element {} is not null", what, index);
      if (!is_null) fail(fmt::format("{} element {} is not null", what, index));
      return Value::null();
    }
    case od::json_type::array:
    case od::json_type::object:
      break;
  }
  fail(fmt::format("{} element {} is a JSON object or array, not a column value", what, index));
}

// wal2json writes bytea (type OID 17 exactly; domains over bytea keep their full text) without
// the "\x" of PostgreSQL's hex output. Put it back, so the value is PostgreSQL's text form.
void Wal2jsonDecoder::Impl::finish_bytea(Column& column) {
  const bool is_bytea =
      column.type_oid != 0 ? column.type_oid == type_oid::kBytea : column.type_name == "bytea";
  if (!is_bytea || column.value.is_null()) return;
  const std::string_view hex = column.value.text();
  if (hex.size() % 2 != 0 || !is_hex_digits(hex)) {
    fail(
        fmt::format("bytea column \"{}\" holds \"{}\", not hex digits: the walsender's "
                    "bytea_output must be 'hex' (wal2json cuts the first two characters off "
                    "bytea output); set bytea_output = hex for the replication role",
                    column.name, escaped_prefix(hex)));
  }
  column.value = Value::view(arena.copy_concat("\\x", hex));
}

// ---------------------------------------------------------------------------------------------
// Format 2

void Wal2jsonDecoder::Impl::decode_v2(od::document& doc, DecodeHandler& out) {
  od::object object;
  check(doc.get_object().get(object), "expected one complete JSON object");
  V2Doc fields;
  pk_scratch.clear();
  for (auto entry : object) {
    check(entry.error(), "malformed JSON object");
    od::field& field = entry.value_unsafe();  // in place: copying it stalls
    read_v2_field(field, fields);
  }
  // Anything after the object (a second document, garbage) is an error, not something to skip.
  if (!doc.current_location().error()) fail("trailing bytes after the JSON object");
  dispatch_v2(fields, out);
}

void Wal2jsonDecoder::Impl::read_v2_field(od::field& field, V2Doc& doc) {
  const od::raw_json_string key = field.key();
  od::value& v = field.value();
  if (key == "action") {
    mark(doc.seen, kAction, "action");
    const std::string_view action = read_string(v, "\"action\"");
    if (action.size() != 1) fail(fmt::format("unknown action \"{}\"", escaped_prefix(action)));
    doc.action = action[0];
  } else if (key == "xid") {
    mark(doc.seen, kXid, "xid");
    doc.xid_null = !read_nullable_uint32(v, "\"xid\"", doc.xid);
  } else if (key == "timestamp") {
    mark(doc.seen, kTimestamp, "timestamp");
    doc.timestamp_null = !read_nullable_string(v, "\"timestamp\"", doc.timestamp);
  } else if (key == "lsn") {
    mark(doc.seen, kLsn, "lsn");
    doc.lsn = read_lsn(v, "\"lsn\"");
  } else if (key == "nextlsn") {
    mark(doc.seen, kNextLsn, "nextlsn");
    doc.nextlsn = read_lsn(v, "\"nextlsn\"");
  } else if (key == "schema") {
    mark(doc.seen, kSchema, "schema");
    doc.schema = read_string(v, "\"schema\"");
  } else if (key == "table") {
    mark(doc.seen, kTable, "table");
    doc.table = read_string(v, "\"table\"");
  } else if (key == "columns") {
    mark(doc.seen, kColumns, "columns");
    doc.columns.reserve(columns_hint);
    read_v2_columns(v, doc.columns, "\"columns\"");
  } else if (key == "identity") {
    mark(doc.seen, kIdentity, "identity");
    doc.identity.reserve(doc.columns.empty() ? columns_hint : doc.columns.size());
    read_v2_columns(v, doc.identity, "\"identity\"");
  } else if (key == "pk") {
    mark(doc.seen, kPk, "pk");
    read_v2_pk(v, pk_scratch);
  } else if (key == "transactional") {
    mark(doc.seen, kTransactional, "transactional");
    doc.transactional = read_bool(v, "\"transactional\"");
  } else if (key == "prefix") {
    mark(doc.seen, kPrefix, "prefix");
    doc.prefix = read_string(v, "\"prefix\"");
  } else if (key == "content") {
    mark(doc.seen, kContent, "content");
    doc.content = read_string(v, "\"content\"");
  }
  // Any other key: an option we did not ask for (include-origin, ...); its value is skipped.
}

void Wal2jsonDecoder::Impl::read_v2_columns(od::value& v, std::vector<Column>& out,
                                            std::string_view what) {
  od::array array;
  check(v.get_array().get(array), "{} must be an array", what);
  for (auto element : array) {
    od::object object;
    check(element.get_object().get(object), "{} element {} must be an object", what, out.size());
    Column& column = out.emplace_back();
    KeySet seen = 0;
    for (auto entry : object) {
      check(entry.error(), "malformed {} element", what);
      od::field& field = entry.value_unsafe();  // in place: copying it stalls
      const od::raw_json_string key = field.key();
      od::value& fv = field.value();
      if (key == "name") {
        mark(seen, 1, "name");
        column.name = read_string(fv, "column \"name\"");
      } else if (key == "type") {
        mark(seen, 2, "type");
        column.type_name = read_string(fv, "column \"type\"");
      } else if (key == "typeoid") {
        mark(seen, 4, "typeoid");
        column.type_oid = read_uint32(fv, "column \"typeoid\"");
      } else if (key == "value") {
        mark(seen, 8, "value");
        column.value = read_value(fv, what, out.size() - 1);
      }
    }
    if (!(seen & 1)) fail(fmt::format("{} element {} has no \"name\"", what, out.size() - 1));
    if (!(seen & 8)) {
      fail(fmt::format("{} element {} (\"{}\") has no \"value\"", what, out.size() - 1,
                       column.name));
    }
    finish_bytea(column);
  }
}

void Wal2jsonDecoder::Impl::read_v2_pk(od::value& v, std::vector<std::string_view>& out) {
  od::array array;
  check(v.get_array().get(array), "\"pk\" must be an array");
  for (auto element : array) {
    od::object object;
    check(element.get_object().get(object), "\"pk\" elements must be objects");
    bool has_name = false;
    for (auto entry : object) {
      check(entry.error(), "malformed \"pk\" element");
      od::field& field = entry.value_unsafe();  // in place: copying it stalls
      if (field.key() == "name") {
        if (has_name) fail("duplicate key \"name\" in \"pk\"");
        has_name = true;
        out.emplace_back(read_string(field.value(), "\"pk\" \"name\""));
      }
      // "type" and "typeoid" repeat what the columns say.
    }
    if (!has_name) fail("\"pk\" element without \"name\"");
  }
}

void Wal2jsonDecoder::Impl::set_storage(ChangeEvent& event,
                                        const std::vector<std::string_view>& pk) {
  if (!pk.empty()) {
    std::shared_ptr<const std::vector<std::string>> keys = key_names.intern(pk);
    event.key_columns = *keys;
    event.storage.names = std::move(keys);
  }
  event.storage.values = arena.owner();
}

ChangeEvent Wal2jsonDecoder::Impl::make_v2_event(V2Doc& doc, Op op) {
  ChangeEvent event;
  event.op = op;
  event.schema = doc.schema;
  event.table = doc.table;
  event.lsn = doc.lsn;
  columns_hint = std::max(columns_hint, doc.columns.size());  // the widest table seen
  event.columns = std::move(doc.columns);
  if (doc.seen & kIdentity) event.old = std::move(doc.identity);
  // Last: every arena copy for this event (unescaped strings, bytea) is made by now.
  set_storage(event, (doc.seen & kPk) ? pk_scratch : std::vector<std::string_view>{});
  return event;
}

void Wal2jsonDecoder::Impl::dispatch_v2(V2Doc& doc, DecodeHandler& out) {
  if (!(doc.seen & kAction)) fail("no \"action\"");
  const V2Shape* shape = nullptr;
  for (const V2Shape& s : kV2Shapes) {
    if (s.action == doc.action) shape = &s;
  }
  if (!shape) fail(fmt::format("unknown action \"{}\"", escaped_prefix({&doc.action, 1})));
  const KeySet missing = shape->required & ~doc.seen;
  if (missing) {
    fail(fmt::format("action \"{}\" lacks {}", doc.action, key_list(missing, kV2KeyNames)));
  }
  const KeySet unexpected = doc.seen & ~(shape->required | shape->optional);
  if (unexpected) {
    fail(fmt::format("action \"{}\" must not have {}", doc.action,
                     key_list(unexpected, kV2KeyNames)));
  }
  const bool non_transactional_message = doc.action == 'M' && !doc.transactional;
  if (doc.xid_null && !non_transactional_message) {
    fail(fmt::format("action \"{}\" has \"xid\":null", doc.action));
  }
  if (doc.timestamp_null && (doc.action == 'B' || doc.action == 'C')) {
    fail(fmt::format("action \"{}\" has \"timestamp\":null", doc.action));
  }

  if (non_transactional_message) {
    // Logical decoding replays a transaction in one piece, and wal2json does not stream
    // in-progress transactions, so a non-transactional message never falls inside B..C.
    if (in_tx) {
      fail(fmt::format("non-transactional message inside transaction {}", begin.xid));
    }
    ChangeEvent event = make_v2_event(doc, Op::Message);
    event.message_transactional = false;
    event.message_prefix.assign(doc.prefix);
    event.message_content.assign(doc.content);
    if ((doc.seen & kTimestamp) && !doc.timestamp_null) {
      event.commit_time = to_timestamp(doc.timestamp, "\"timestamp\"");
    }
    out.on_message(std::move(event));
    return;
  }

  if (doc.action == 'B') {
    if (in_tx) {
      fail(fmt::format("BEGIN of transaction {} while transaction {} is open", doc.xid, begin.xid));
    }
    TxBegin b;
    b.xid = doc.xid;
    b.commit_lsn = doc.lsn;
    b.commit_time = to_timestamp(doc.timestamp, "\"timestamp\"");
    begin = b;
    in_tx = true;
    out.on_begin(begin);
    return;
  }

  if (!in_tx) {
    fail(doc.action == 'C' ? fmt::format("COMMIT of transaction {} without BEGIN", doc.xid)
                           : fmt::format("action \"{}\" outside a transaction", doc.action));
  }
  if (doc.xid != begin.xid) {
    fail(fmt::format("action \"{}\" of transaction {} inside transaction {}", doc.action, doc.xid,
                     begin.xid));
  }

  switch (doc.action) {
    case 'C': {
      if (doc.lsn != begin.commit_lsn) {
        fail(fmt::format("COMMIT lsn {} differs from BEGIN's {}", doc.lsn.to_string(),
                         begin.commit_lsn.to_string()));
      }
      TxCommit c;
      c.xid = doc.xid;
      c.commit_lsn = doc.lsn;
      c.end_lsn = doc.nextlsn;
      c.commit_time = (doc.seen & kTimestamp) ? to_timestamp(doc.timestamp, "\"timestamp\"")
                                              : begin.commit_time;
      in_tx = false;
      out.on_commit(c);
      return;
    }
    case 'I':
      out.on_change(make_v2_event(doc, Op::Insert));
      return;
    case 'U':
      out.on_change(make_v2_event(doc, Op::Update));
      return;
    case 'D':
      out.on_change(make_v2_event(doc, Op::Delete));
      return;
    case 'T':
      out.on_change(make_v2_event(doc, Op::Truncate));
      return;
    case 'M': {
      ChangeEvent event = make_v2_event(doc, Op::Message);
      event.message_transactional = true;
      event.message_prefix.assign(doc.prefix);
      event.message_content.assign(doc.content);
      out.on_change(std::move(event));
      return;
    }
    default:
      fail(fmt::format("unknown action \"{}\"", escaped_prefix({&doc.action, 1})));
  }
}

// ---------------------------------------------------------------------------------------------
// Format 1

void Wal2jsonDecoder::Impl::decode_v1(od::document& doc, DecodeHandler& out) {
  od::object object;
  check(doc.get_object().get(object), "expected one complete JSON object");
  v1_events.clear();
  bool has_xid = false, has_nextlsn = false, has_timestamp = false, has_change = false;
  uint32_t xid = 0;
  Lsn nextlsn;
  std::string_view timestamp;
  bool any_transactional_message = false, any_non_transactional_message = false;
  bool any_row_change = false;
  for (auto entry : object) {
    check(entry.error(), "malformed JSON object");
    od::field& field = entry.value_unsafe();  // in place: copying it stalls
    const od::raw_json_string key = field.key();
    od::value& v = field.value();
    if (key == "xid") {
      if (has_xid) fail("duplicate key \"xid\"");
      has_xid = true;
      xid = read_uint32(v, "\"xid\"");
    } else if (key == "nextlsn") {
      if (has_nextlsn) fail("duplicate key \"nextlsn\"");
      has_nextlsn = true;
      nextlsn = read_lsn(v, "\"nextlsn\"");
    } else if (key == "timestamp") {
      if (has_timestamp) fail("duplicate key \"timestamp\"");
      has_timestamp = true;
      timestamp = read_string(v, "\"timestamp\"");
    } else if (key == "change") {
      if (has_change) fail("duplicate key \"change\"");
      has_change = true;
      od::array array;
      check(v.get_array().get(array), "\"change\" must be an array");
      for (auto element : array) {
        od::value ev;
        check(std::move(element).get(ev), "malformed \"change\" array");
        ChangeEvent& event = v1_events.emplace_back();
        V1Change change;
        read_v1_change(ev, event, change);
        if (event.op != Op::Message) {
          any_row_change = true;
        } else if (change.transactional) {
          any_transactional_message = true;
        } else {
          any_non_transactional_message = true;
        }
      }
    }
  }
  if (!doc.current_location().error()) fail("trailing bytes after the JSON object");
  if (!has_change) fail("no \"change\"");

  if (!has_xid) {
    // The only document without an xid: one non-transactional message, written when decoded.
    if (v1_events.empty() || any_row_change || any_transactional_message) {
      fail("a document without \"xid\" must hold non-transactional messages only");
    }
    for (ChangeEvent& event : v1_events) {
      event.lsn = wal_start;  // format 1 has no LSN in the message; the XLogData start is it
      out.on_message(std::move(event));
    }
    v1_events.clear();
    return;
  }
  if (!has_nextlsn) fail("transaction document lacks \"nextlsn\"");
  if (!has_timestamp) fail("transaction document lacks \"timestamp\"");
  if (any_non_transactional_message) fail("non-transactional message inside a transaction");

  TxBegin b;
  b.xid = xid;
  b.commit_lsn = nextlsn;  // format 1 has no commit LSN; its end is the closest stable position
  b.commit_time = to_timestamp(timestamp, "\"timestamp\"");
  TxCommit c;
  c.xid = xid;
  c.commit_lsn = nextlsn;
  c.end_lsn = nextlsn;
  c.commit_time = b.commit_time;
  out.on_begin(b);
  for (ChangeEvent& event : v1_events) {
    event.lsn = nextlsn;
    out.on_change(std::move(event));
  }
  v1_events.clear();
  out.on_commit(c);
}

void Wal2jsonDecoder::Impl::read_v1_change(od::value& v, ChangeEvent& event, V1Change& change) {
  od::object object;
  check(v.get_object().get(object), "\"change\" elements must be objects");
  size_t names = 0, values = 0;
  std::optional<size_t> types, oids;
  std::string_view kind;
  pk_scratch.clear();
  for (auto entry : object) {
    check(entry.error(), "malformed \"change\" element");
    od::field& field = entry.value_unsafe();  // in place: copying it stalls
    const od::raw_json_string key = field.key();
    od::value& fv = field.value();
    if (key == "kind") {
      mark(change.seen, kKind, "kind");
      kind = read_string(fv, "\"kind\"");
    } else if (key == "schema") {
      mark(change.seen, kV1Schema, "schema");
      event.schema = read_string(fv, "\"schema\"");
    } else if (key == "table") {
      mark(change.seen, kV1Table, "table");
      event.table = read_string(fv, "\"table\"");
    } else if (key == "columnnames") {
      mark(change.seen, kColumnNames, "columnnames");
      names = read_v1_parallel(fv, event.columns, Part::Name, "\"columnnames\"");
    } else if (key == "columntypes") {
      mark(change.seen, kColumnTypes, "columntypes");
      types = read_v1_parallel(fv, event.columns, Part::Type, "\"columntypes\"");
    } else if (key == "columntypeoids") {
      mark(change.seen, kColumnTypeOids, "columntypeoids");
      oids = read_v1_parallel(fv, event.columns, Part::TypeOid, "\"columntypeoids\"");
    } else if (key == "columnvalues") {
      mark(change.seen, kColumnValues, "columnvalues");
      values = read_v1_parallel(fv, event.columns, Part::Value, "\"columnvalues\"");
    } else if (key == "pk") {
      mark(change.seen, kV1Pk, "pk");
      read_v1_pk(fv, pk_scratch);
    } else if (key == "oldkeys") {
      mark(change.seen, kOldKeys, "oldkeys");
      read_v1_keys(fv, event);
    } else if (key == "transactional") {
      mark(change.seen, kV1Transactional, "transactional");
      change.transactional = read_bool(fv, "\"transactional\"");
    } else if (key == "prefix") {
      mark(change.seen, kV1Prefix, "prefix");
      event.message_prefix.assign(read_string(fv, "\"prefix\""));
    } else if (key == "content") {
      mark(change.seen, kV1Content, "content");
      event.message_content.assign(read_string(fv, "\"content\""));
    }
  }
  if (!(change.seen & kKind)) fail("\"change\" element without \"kind\"");
  for (const V1Shape& shape : kV1Shapes) {
    if (shape.kind == kind) change.shape = &shape;
  }
  if (!change.shape) fail(fmt::format("unknown kind \"{}\"", escaped_prefix(kind)));
  const KeySet missing = change.shape->required & ~change.seen;
  if (missing) {
    fail(fmt::format("kind \"{}\" lacks {}", kind, key_list(missing, kV1KeyNames)));
  }
  const KeySet unexpected = change.seen & ~(change.shape->required | change.shape->optional);
  if (unexpected) {
    fail(fmt::format("kind \"{}\" must not have {}", kind, key_list(unexpected, kV1KeyNames)));
  }
  event.op = change.shape->op;
  if (event.op == Op::Message) {
    event.message_transactional = change.transactional;
  } else if (change.seen & kColumnNames) {
    check_v1_counts(event.columns, names, values, types, oids, "column");  // may copy (bytea)
  }
  set_storage(event, pk_scratch);  // last: after every arena copy made for this event
}

size_t Wal2jsonDecoder::Impl::read_v1_parallel(od::value& v, std::vector<Column>& columns,
                                               Part part, std::string_view what) {
  od::array array;
  check(v.get_array().get(array), "{} must be an array", what);
  size_t i = 0;
  for (auto element : array) {
    od::value ev;
    check(std::move(element).get(ev), "malformed {} array", what);
    if (i == columns.size()) columns.emplace_back();
    Column& column = columns[i];
    switch (part) {
      case Part::Name:
        column.name = read_string(ev, what);
        break;
      case Part::Type:
        column.type_name = read_string(ev, what);
        break;
      case Part::TypeOid:
        column.type_oid = read_uint32(ev, what);
        break;
      case Part::Value:
        column.value = read_value(ev, what, i);
        break;
    }
    ++i;
  }
  return i;
}

// The parallel arrays of one row must agree in length; then bytea values get their "\x" back.
void Wal2jsonDecoder::Impl::check_v1_counts(std::vector<Column>& columns, size_t names,
                                            size_t values, std::optional<size_t> types,
                                            std::optional<size_t> oids, std::string_view what) {
  if (values != names || (types && *types != names) || (oids && *oids != names) ||
      columns.size() != names) {
    fail(fmt::format("{} arrays disagree in length: {} names, {} values, {} types, {} type oids",
                     what, names, values, types ? fmt::to_string(*types) : "no",
                     oids ? fmt::to_string(*oids) : "no"));
  }
  for (Column& column : columns) finish_bytea(column);
}

void Wal2jsonDecoder::Impl::read_v1_keys(od::value& v, ChangeEvent& event) {
  od::object object;
  check(v.get_object().get(object), "\"oldkeys\" must be an object");
  std::vector<Column>& old = event.old.emplace();
  old.reserve(columns_hint);
  KeySet seen = 0;
  size_t names = 0, values = 0;
  std::optional<size_t> types, oids;
  for (auto entry : object) {
    check(entry.error(), "malformed \"oldkeys\"");
    od::field& field = entry.value_unsafe();  // in place: copying it stalls
    const od::raw_json_string key = field.key();
    od::value& fv = field.value();
    if (key == "keynames") {
      mark(seen, 1, "keynames");
      names = read_v1_parallel(fv, old, Part::Name, "\"keynames\"");
    } else if (key == "keytypes") {
      mark(seen, 2, "keytypes");
      types = read_v1_parallel(fv, old, Part::Type, "\"keytypes\"");
    } else if (key == "keytypeoids") {
      mark(seen, 4, "keytypeoids");
      oids = read_v1_parallel(fv, old, Part::TypeOid, "\"keytypeoids\"");
    } else if (key == "keyvalues") {
      mark(seen, 8, "keyvalues");
      values = read_v1_parallel(fv, old, Part::Value, "\"keyvalues\"");
    }
  }
  if (!(seen & 1)) fail("\"oldkeys\" lacks \"keynames\"");
  if (!(seen & 8)) fail("\"oldkeys\" lacks \"keyvalues\"");
  check_v1_counts(old, names, values, types, oids, "\"oldkeys\"");
}

void Wal2jsonDecoder::Impl::read_v1_pk(od::value& v, std::vector<std::string_view>& out) {
  od::object object;
  check(v.get_object().get(object), "\"pk\" must be an object");
  bool has_names = false;
  for (auto entry : object) {
    check(entry.error(), "malformed \"pk\"");
    od::field& field = entry.value_unsafe();  // in place: copying it stalls
    if (field.key() == "pknames") {
      if (has_names) fail("duplicate key \"pknames\"");
      has_names = true;
      od::array array;
      check(field.value().get_array().get(array), "\"pknames\" must be an array");
      for (auto element : array) {
        od::value ev;
        check(std::move(element).get(ev), "malformed \"pknames\" array");
        out.emplace_back(read_string(ev, "\"pknames\" element"));
      }
    }
    // "pktypes" / "pktypeoids" repeat what the columns say.
  }
  if (!has_names) fail("\"pk\" lacks \"pknames\"");
}

}  // namespace sabot::decode
