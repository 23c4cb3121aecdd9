// DocumentReader: the payload's parse and the scalar readers of both formats, with their fast
// paths. Shapes read here (the formats' documents are in wal2json_format2.cpp and
// wal2json_format1.cpp):
//   string  "..."                 read_string, read_lsn ("X/Y"), timestamps (see pg_text.hpp)
//   number  unsigned, <= 2^32-1   read_uint32 (xids, type OIDs)
//   true | false                  read_bool
//   VALUE   string | number | true | false | null      read_value (wal2json_decoder.hpp)
#include "decode/wal2json/wal2json_reader.hpp"

#include <algorithm>
#include <optional>

#include "decode/pg_text.hpp"
#include "sabot/error.hpp"

namespace sabot::decode::wal2json {

namespace {

constexpr size_t kPayloadPrefixBytes = 96;

constexpr char kZeroPadding[simdjson::SIMDJSON_PADDING] = {};

// JSON whitespace after a raw token (raw_json_token() includes it).
std::string_view trim_json_whitespace(std::string_view token) {
  while (!token.empty()) {
    const char c = token.back();
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
    token.remove_suffix(1);
  }
  return token;
}

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

}  // namespace

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

// ---------------------------------------------------------------------------------------------
// The document

void DocumentReader::fail(std::string_view what) const {
  throw CdcError(ErrorKind::Protocol,
                 fmt::format("wal2json (format-version {}) message at {} is invalid: {}; "
                             "payload ({} bytes) begins \"{}\"",
                             format_version_, wal_start_.to_string(), what, payload_.size(),
                             escaped_prefix(payload_)),
                 "", wal_start_);
}

od::document DocumentReader::parse(std::string_view payload, Lsn wal_start) {
  payload_ = payload;
  wal_start_ = wal_start;
  if (payload_.empty()) fail("empty payload");
  // Room for the document, its padding, and a little for unescaped strings and bytea "\x"
  // prefixes (more chains a new chunk: see ByteArena).
  arena_.begin_record(payload_.size() + simdjson::SIMDJSON_PADDING + 256);
  const std::string_view padded =
      arena_.copy_concat(payload_, std::string_view(kZeroPadding, simdjson::SIMDJSON_PADDING));
  backslashes_.reset(padded.substr(0, payload_.size()));
  od::document doc;
  const simdjson::error_code ec =
      parser_.iterate(simdjson::padded_string_view(padded.data(), payload_.size(), padded.size()))
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

void DocumentReader::set_storage(ChangeEvent& event, const std::vector<std::string_view>& pk) {
  if (!pk.empty()) {
    std::shared_ptr<const std::vector<std::string>> keys = key_names_.intern(pk);
    event.key_columns = *keys;
    event.storage.names = std::move(keys);
  }
  event.storage.values = arena_.owner();
}

// ---------------------------------------------------------------------------------------------
// Scalars

// A view that stays valid as long as the arena chunk: into the document, or a copy of the
// unescaped string (simdjson unescapes into its own buffer, reused by the next document).
std::string_view DocumentReader::read_string(od::value& v, std::string_view what) {
  if (const std::optional<std::string_view> plain = plain_string(v, backslashes_)) return *plain;
  std::string_view s;
  check(v.get_string().get(s), "{} must be a string", what);
  return arena_.copy(s);
}

bool DocumentReader::read_bool(od::value& v, std::string_view what) {
  bool b = false;
  check(v.get_bool().get(b), "{} must be true or false", what);
  return b;
}

uint32_t DocumentReader::read_uint32(od::value& v, std::string_view what) {
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

bool DocumentReader::read_nullable_uint32(od::value& v, std::string_view what, uint32_t& out) {
  bool is_null = false;
  check(v.is_null().get(is_null), "{} must be a number or null", what);
  if (is_null) return false;
  out = read_uint32(v, what);
  return true;
}

bool DocumentReader::read_nullable_string(od::value& v, std::string_view what,
                                          std::string_view& out) {
  bool is_null = false;
  check(v.is_null().get(is_null), "{} must be a string or null", what);
  if (is_null) return false;
  out = read_string(v, what);
  return true;
}

Lsn DocumentReader::read_lsn(od::value& v, std::string_view what) {
  const std::string_view text = read_string(v, what);
  const std::optional<Lsn> lsn = Lsn::parse(text);
  if (!lsn) fail(fmt::format("{} \"{}\" is not an LSN (X/Y)", what, escaped_prefix(text)));
  return *lsn;
}

Timestamp DocumentReader::to_timestamp(std::string_view text, std::string_view what) {
  if (!last_timestamp_text_.empty() && text == last_timestamp_text_) return last_timestamp_;
  const std::optional<Timestamp> ts = parse_pg_timestamptz(text);
  if (!ts) {
    fail(fmt::format("{} \"{}\" is not a timestamptz in ISO format", what, escaped_prefix(text)));
  }
  last_timestamp_text_.assign(text);
  last_timestamp_ = *ts;
  return *ts;
}

// ---------------------------------------------------------------------------------------------
// Column values

Value DocumentReader::read_value(od::value& v, std::string_view what, size_t index) {
  od::json_type type = od::json_type::null;  // set by type(); initialised for -O3's flow analysis
  check(v.type().get(type), "{} element {} is not a JSON value", what, index);
  switch (type) {
    case od::json_type::string: {
      if (const std::optional<std::string_view> plain = plain_string(v, backslashes_)) {
        return Value::view(*plain);
      }
      std::string_view s;
      check(v.get_string().get(s), "{} element {} is not a valid string", what, index);
      return Value::view(arena_.copy(s));
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
void DocumentReader::finish_bytea(Column& column) {
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
  column.value = Value::view(arena_.copy_concat("\\x", hex));
}

}  // namespace sabot::decode::wal2json
