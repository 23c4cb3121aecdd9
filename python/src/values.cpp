#include "values.hpp"

#include <datetime.h>

#include <charconv>
#include <chrono>
#include <cmath>
#include <limits>
#include <optional>
#include <unordered_map>

namespace sabot_py {
namespace {

namespace oid = sabot::type_oid;

constexpr uint32_t kName = 19, kChar = 18, kBpchar = 1042, kTime = 1083, kTimeTz = 1266;

std::optional<Kind> scalar_kind(uint32_t type) {
  switch (type) {
    case oid::kInt2: case oid::kInt4: case oid::kInt8: case oid::kOid: return Kind::Int;
    case oid::kFloat4: case oid::kFloat8: return Kind::Float;
    case oid::kBool: return Kind::Bool;
    case oid::kNumeric: return Kind::Numeric;
    case oid::kBytea: return Kind::Bytea;
    case oid::kDate: return Kind::Date;
    case kTime: return Kind::Time;
    case kTimeTz: return Kind::TimeTz;
    case oid::kTimestamp: return Kind::Timestamp;
    case oid::kTimestampTz: return Kind::TimestampTz;
    case oid::kUuid: return Kind::Uuid;
    case oid::kJson: case oid::kJsonb: return Kind::Json;
    case oid::kText: case oid::kVarchar: case kName: case kChar: case kBpchar: return Kind::Text;
    default: return std::nullopt;
  }
}

// pg_type.typarray of the types above (fixed OIDs).
std::optional<Kind> array_kind(uint32_t type) {
  switch (type) {
    case 1005: case 1007: case 1016: case 1028: return Kind::Int;
    case 1021: case 1022: return Kind::Float;
    case 1000: return Kind::Bool;
    case 1231: return Kind::Numeric;
    case 1001: return Kind::Bytea;
    case 1182: return Kind::Date;
    case 1183: return Kind::Time;
    case 1270: return Kind::TimeTz;
    case 1115: return Kind::Timestamp;
    case 1185: return Kind::TimestampTz;
    case 2951: return Kind::Uuid;
    case 199: case 3807: return Kind::Json;
    case 1009: case 1015: case 1003: case 1002: case 1014: return Kind::Text;
    default: return std::nullopt;
  }
}

// wal2json without type OIDs reports format_type() names: "numeric(12,2)", "integer[]".
std::optional<Kind> kind_by_name(std::string_view name) {
  if (auto paren = name.find('('); paren != std::string_view::npos) {
    auto close = name.find(')', paren);
    std::string_view rest = close == std::string_view::npos ? "" : name.substr(close + 1);
    name = name.substr(0, paren);
    while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
    // "timestamp(3) with time zone": the modifier sits in the middle.
    if (rest == " with time zone") return name == "time" ? Kind::TimeTz : Kind::TimestampTz;
    if (rest == " without time zone") return name == "time" ? Kind::Time : Kind::Timestamp;
  }
  struct Entry { std::string_view name; Kind kind; };
  static constexpr Entry kNames[] = {
      {"smallint", Kind::Int}, {"integer", Kind::Int}, {"bigint", Kind::Int}, {"oid", Kind::Int},
      {"real", Kind::Float}, {"double precision", Kind::Float}, {"boolean", Kind::Bool},
      {"numeric", Kind::Numeric}, {"bytea", Kind::Bytea}, {"date", Kind::Date},
      {"time without time zone", Kind::Time}, {"time", Kind::Time},
      {"time with time zone", Kind::TimeTz}, {"timestamp without time zone", Kind::Timestamp},
      {"timestamp", Kind::Timestamp}, {"timestamp with time zone", Kind::TimestampTz},
      {"uuid", Kind::Uuid}, {"json", Kind::Json}, {"jsonb", Kind::Json}};
  for (const Entry& e : kNames) {
    if (e.name == name) return e.kind;
  }
  return std::nullopt;
}

TypeInfo classify_type(uint32_t type, std::string_view type_name) {
  if (type != 0) {
    if (auto k = scalar_kind(type)) return {*k, false};
    if (auto k = array_kind(type)) return {*k, true};
    return {};
  }
  if (type_name.ends_with("[]")) {
    if (auto k = kind_by_name(type_name.substr(0, type_name.size() - 2))) return {*k, true};
    return {};
  }
  if (auto k = kind_by_name(type_name)) return {*k, false};
  return {};
}

// Module-lifetime references: never released, so no destructor runs after the interpreter ends.
PyObject* g_decimal = nullptr;
PyObject* g_uuid = nullptr;
PyObject* g_json_loads = nullptr;
PyObject* g_uuid_unknown = nullptr;  // uuid.SafeUUID.unknown, what UUID(str) sets is_safe to
PyObject* g_int_name = nullptr;
PyObject* g_is_safe_name = nullptr;

py::object str_of(std::string_view text) {
  return py::reinterpret_steal<py::object>(
      PyUnicode_DecodeUTF8(text.data(), static_cast<Py_ssize_t>(text.size()), "replace"));
}

py::object call1(PyObject* fn, std::string_view text) {
  py::object arg = str_of(text);
  PyObject* r = PyObject_CallOneArg(fn, arg.ptr());
  if (r == nullptr) throw py::error_already_set();
  return py::reinterpret_steal<py::object>(r);
}

// A small cursor over ISO date/time text; every reader returns false on a mismatch.
struct Cursor {
  std::string_view s;
  bool digits(size_t n, int& out) {
    if (s.size() < n) return false;
    int v = 0;
    for (size_t i = 0; i < n; ++i) {
      char c = s[i];
      if (c < '0' || c > '9') return false;
      v = v * 10 + (c - '0');
    }
    out = v;
    s.remove_prefix(n);
    return true;
  }
  bool lit(char c) {
    if (s.empty() || s.front() != c) return false;
    s.remove_prefix(1);
    return true;
  }
  bool date(int& y, int& m, int& d) {
    return digits(4, y) && lit('-') && digits(2, m) && lit('-') && digits(2, d);
  }
  // HH:MM:SS[.f{1,6}]
  bool time(int& h, int& mi, int& sec, int& us) {
    if (!(digits(2, h) && lit(':') && digits(2, mi) && lit(':') && digits(2, sec))) return false;
    us = 0;
    if (lit('.')) {
      int n = 0;
      while (!s.empty() && s.front() >= '0' && s.front() <= '9') {
        if (n < 6) us = us * 10 + (s.front() - '0');
        ++n;
        s.remove_prefix(1);
      }
      if (n == 0) return false;
      for (int i = n; i < 6; ++i) us *= 10;
    }
    return h < 24;  // "24:00:00" is valid in PostgreSQL, not in Python
  }
  // [+-]HH[:MM[:SS]] as seconds east of UTC.
  bool offset(int& seconds) {
    if (s.empty() || (s.front() != '+' && s.front() != '-')) return false;
    int sign = s.front() == '-' ? -1 : 1;
    s.remove_prefix(1);
    int h = 0, m = 0, sec = 0;
    if (!digits(2, h)) return false;
    if (lit(':') && !digits(2, m)) return false;
    if (lit(':') && !digits(2, sec)) return false;
    seconds = sign * (h * 3600 + m * 60 + sec);
    return true;
  }
};

PyObject* timezone_for(int offset_seconds) {
  if (offset_seconds == 0) {
    Py_INCREF(PyDateTime_TimeZone_UTC);
    return PyDateTime_TimeZone_UTC;
  }
  // A server reports few offsets: each one's timezone is made once (a bounded, never-freed set).
  static std::unordered_map<int, PyObject*>* made = new std::unordered_map<int, PyObject*>();
  if (auto it = made->find(offset_seconds); it != made->end()) {
    Py_INCREF(it->second);
    return it->second;
  }
  PyObject* delta = PyDelta_FromDSU(0, offset_seconds, 0);
  if (delta == nullptr) return nullptr;
  PyObject* tz = PyTimeZone_FromOffset(delta);
  Py_DECREF(delta);
  if (tz != nullptr && made->size() < 256) {
    Py_INCREF(tz);
    made->emplace(offset_seconds, tz);
  }
  return tz;
}

// nullptr (no Python error set) when the text is not plain ISO form: BC, infinity, year > 9999.
PyObject* parse_date(std::string_view text) {
  Cursor c{text};
  int y, m, d;
  if (!c.date(y, m, d) || !c.s.empty() || y < 1) return nullptr;
  PyObject* r = PyDate_FromDate(y, m, d);
  if (r == nullptr) PyErr_Clear();
  return r;
}

PyObject* parse_time(std::string_view text, bool with_zone) {
  Cursor c{text};
  int h, mi, sec, us, off = 0;
  if (!c.time(h, mi, sec, us)) return nullptr;
  if (with_zone && !c.offset(off)) return nullptr;
  if (!c.s.empty()) return nullptr;
  PyObject* tz = Py_None;
  if (with_zone) {
    tz = timezone_for(off);
    if (tz == nullptr) return PyErr_Clear(), nullptr;
  } else {
    Py_INCREF(tz);
  }
  PyObject* r = PyDateTimeAPI->Time_FromTime(h, mi, sec, us, tz, PyDateTimeAPI->TimeType);
  Py_DECREF(tz);
  if (r == nullptr) PyErr_Clear();
  return r;
}

PyObject* parse_timestamp(std::string_view text, bool with_zone) {
  Cursor c{text};
  int y, m, d, h, mi, sec, us, off = 0;
  if (!c.date(y, m, d) || !c.lit(' ') || !c.time(h, mi, sec, us) || y < 1) return nullptr;
  if (with_zone && !c.offset(off)) return nullptr;
  if (!c.s.empty()) return nullptr;
  PyObject* tz = Py_None;
  if (with_zone) {
    tz = timezone_for(off);
    if (tz == nullptr) return PyErr_Clear(), nullptr;
  } else {
    Py_INCREF(tz);
  }
  PyObject* r = PyDateTimeAPI->DateTime_FromDateAndTime(y, m, d, h, mi, sec, us, tz,
                                                         PyDateTimeAPI->DateTimeType);
  Py_DECREF(tz);
  if (r == nullptr) PyErr_Clear();
  return r;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// bytea's hex output form "\x0a1b" (the server's default bytea_output).
PyObject* parse_bytea(std::string_view text) {
  if (!text.starts_with("\\x") || text.size() % 2 != 0) return nullptr;
  const size_t n = (text.size() - 2) / 2;
  PyObject* r = PyBytes_FromStringAndSize(nullptr, static_cast<Py_ssize_t>(n));
  if (r == nullptr) return PyErr_Clear(), nullptr;
  char* out = PyBytes_AS_STRING(r);
  for (size_t i = 0; i < n; ++i) {
    int hi = hex_digit(text[2 + 2 * i]), lo = hex_digit(text[3 + 2 * i]);
    if (hi < 0 || lo < 0) {
      Py_DECREF(r);
      return nullptr;
    }
    out[i] = static_cast<char>(hi * 16 + lo);
  }
  return r;
}

// uuid.UUID(text) runs Python code (about 1.5 µs); this builds the same object the way UUID's
// own __init__ does (object.__setattr__ of its two slots) from the canonical form
// "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx". nullptr (no error set) for anything else.
PyObject* parse_uuid(std::string_view text) {
  if (text.size() != 36) return nullptr;
  char hex[33];
  size_t n = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash != (text[i] == '-')) return nullptr;
    if (dash) continue;
    if (hex_digit(text[i]) < 0) return nullptr;
    hex[n++] = text[i];
  }
  hex[n] = '\0';
  PyObject* value = PyLong_FromString(hex, nullptr, 16);
  if (value == nullptr) return PyErr_Clear(), nullptr;
  PyObject* args = PyTuple_New(0);
  PyObject* obj = args ? PyBaseObject_Type.tp_new(reinterpret_cast<PyTypeObject*>(g_uuid), args,
                                                  nullptr)
                       : nullptr;
  Py_XDECREF(args);
  if (obj == nullptr || PyObject_GenericSetAttr(obj, g_int_name, value) < 0 ||
      PyObject_GenericSetAttr(obj, g_is_safe_name, g_uuid_unknown) < 0) {
    PyErr_Clear();
    Py_XDECREF(obj);
    obj = nullptr;
  } else {
    // Immutable, no __dict__, holding an int and an enum member: it can be part of no cycle, so
    // the cyclic GC need not track it, nor the row dict holding it (about 15 % of the CPU time of
    // a drain that touches every value went to collections).
    PyObject_GC_UnTrack(obj);
  }
  Py_DECREF(value);
  return obj;
}

PyObject* parse_int(std::string_view text) {
  int64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec == std::errc() && end == text.data() + text.size()) return PyLong_FromLongLong(v);
  return nullptr;
}

PyObject* parse_float(std::string_view text) {
  double v = 0;
  if (text == "NaN") {
    v = std::numeric_limits<double>::quiet_NaN();
  } else if (text == "Infinity") {
    v = std::numeric_limits<double>::infinity();
  } else if (text == "-Infinity") {
    v = -std::numeric_limits<double>::infinity();
  } else {
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || end != text.data() + text.size()) return nullptr;
  }
  return PyFloat_FromDouble(v);
}

py::object scalar(std::string_view text, Kind kind) {
  PyObject* r = nullptr;
  switch (kind) {
    case Kind::Text: return str_of(text);
    case Kind::Int: r = parse_int(text); break;
    case Kind::Float: r = parse_float(text); break;
    case Kind::Bool:
      if (text == "t" || text == "true") return py::bool_(true);
      if (text == "f" || text == "false") return py::bool_(false);
      break;
    case Kind::Numeric: return call1(g_decimal, text);
    case Kind::Bytea: r = parse_bytea(text); break;
    case Kind::Date: r = parse_date(text); break;
    case Kind::Time: r = parse_time(text, false); break;
    case Kind::TimeTz: r = parse_time(text, true); break;
    case Kind::Timestamp: r = parse_timestamp(text, false); break;
    case Kind::TimestampTz: r = parse_timestamp(text, true); break;
    case Kind::Uuid:
      r = parse_uuid(text);
      if (r == nullptr) return call1(g_uuid, text);
      break;
    case Kind::Json: return call1(g_json_loads, text);
  }
  if (r != nullptr) return py::reinterpret_steal<py::object>(r);
  return str_of(text);  // not the plain form of its type: the text is the value
}

// PostgreSQL's array output: {1,2,NULL}, {"a b","c\"d"}, {{1,2},{3,4}}. Elements are separated
// by ',' (every type we parse uses it); an element is quoted when it needs to be.
class ArrayParser {
 public:
  ArrayParser(std::string_view text, Kind kind) : s_(text), kind_(kind) {}

  // nullopt when the text is not a plain array literal (e.g. '[0:1]={1,2}' bounds).
  std::optional<py::object> parse() {
    std::optional<py::object> r = level();
    if (!r || pos_ != s_.size()) return std::nullopt;
    return r;
  }

 private:
  std::optional<py::object> level() {
    if (pos_ >= s_.size() || s_[pos_] != '{') return std::nullopt;
    ++pos_;
    py::list out;
    if (pos_ < s_.size() && s_[pos_] == '}') return ++pos_, py::object(out);
    while (true) {
      std::optional<py::object> item = element();
      if (!item) return std::nullopt;
      out.append(*item);
      if (pos_ >= s_.size()) return std::nullopt;
      char c = s_[pos_++];
      if (c == '}') return py::object(out);
      if (c != ',') return std::nullopt;
    }
  }

  std::optional<py::object> element() {
    if (pos_ >= s_.size()) return std::nullopt;
    if (s_[pos_] == '{') return level();
    if (s_[pos_] == '"') {
      std::string text;
      ++pos_;
      while (pos_ < s_.size() && s_[pos_] != '"') {
        if (s_[pos_] == '\\' && pos_ + 1 < s_.size()) ++pos_;
        text.push_back(s_[pos_++]);
      }
      if (pos_ >= s_.size()) return std::nullopt;
      ++pos_;
      return scalar(text, kind_);
    }
    size_t start = pos_;
    while (pos_ < s_.size() && s_[pos_] != ',' && s_[pos_] != '}') ++pos_;
    std::string_view raw = s_.substr(start, pos_ - start);
    if (raw == "NULL") return py::none();
    return scalar(raw, kind_);
  }

  std::string_view s_;
  Kind kind_;
  size_t pos_ = 0;
};

}  // namespace

void init_value_conversion() {
  PyDateTime_IMPORT;
  if (PyDateTimeAPI == nullptr) throw py::error_already_set();
  g_decimal = py::module_::import("decimal").attr("Decimal").cast<py::object>().release().ptr();
  py::module_ uuid = py::module_::import("uuid");
  g_uuid = uuid.attr("UUID").cast<py::object>().release().ptr();
  g_uuid_unknown = uuid.attr("SafeUUID").attr("unknown").cast<py::object>().release().ptr();
  g_int_name = py::str("int").release().ptr();
  g_is_safe_name = py::str("is_safe").release().ptr();
  g_json_loads = py::module_::import("json").attr("loads").cast<py::object>().release().ptr();
}

TypeInfo classify(uint32_t type_oid, std::string_view type_name) {
  return classify_type(type_oid, type_name);
}

py::object to_python(const sabot::Value& value, TypeInfo info) {
  if (value.is_null()) return py::none();
  const std::string_view text = value.text();
  if (!info.array) return scalar(text, info.kind);
  if (auto list = ArrayParser(text, info.kind).parse()) return *list;
  return str_of(text);
}

py::object to_python(const sabot::Value& value, uint32_t type_oid, std::string_view type_name) {
  return to_python(value, classify_type(type_oid, type_name));
}

py::object datetime_from_timestamp(sabot::Timestamp ts) {
  using namespace std::chrono;
  const sys_days day = floor<days>(ts);
  const year_month_day ymd{day};
  const microseconds in_day = ts - day;
  const hh_mm_ss<microseconds> hms{in_day};
  PyObject* r = PyDateTimeAPI->DateTime_FromDateAndTime(
      static_cast<int>(ymd.year()), static_cast<int>(static_cast<unsigned>(ymd.month())),
      static_cast<int>(static_cast<unsigned>(ymd.day())), static_cast<int>(hms.hours().count()),
      static_cast<int>(hms.minutes().count()), static_cast<int>(hms.seconds().count()),
      static_cast<int>(hms.subseconds().count()), PyDateTime_TimeZone_UTC,
      PyDateTimeAPI->DateTimeType);
  if (r == nullptr) throw py::error_already_set();
  return py::reinterpret_steal<py::object>(r);
}

py::object text_or_none(const sabot::Value& value) {
  if (value.is_null()) return py::none();
  return str_of(value.text());
}

}  // namespace sabot_py
