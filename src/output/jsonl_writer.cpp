#include "output/jsonl_writer.hpp"

#include <algorithm>

namespace sabot::output {

namespace {

constexpr char kHex[] = "0123456789abcdef";

// A PostgreSQL integer/float text form that is also a valid JSON number.
bool is_json_number(std::string_view t) {
  size_t i = 0;
  if (i < t.size() && t[i] == '-') ++i;
  if (i >= t.size() || !(t[i] >= '0' && t[i] <= '9')) return false;
  if (t[i] == '0' && i + 1 < t.size() && t[i + 1] >= '0' && t[i + 1] <= '9') return false;
  while (i < t.size() && t[i] >= '0' && t[i] <= '9') ++i;
  if (i < t.size() && t[i] == '.') {
    ++i;
    if (i >= t.size() || !(t[i] >= '0' && t[i] <= '9')) return false;
    while (i < t.size() && t[i] >= '0' && t[i] <= '9') ++i;
  }
  if (i < t.size() && (t[i] == 'e' || t[i] == 'E')) {
    ++i;
    if (i < t.size() && (t[i] == '+' || t[i] == '-')) ++i;
    if (i >= t.size() || !(t[i] >= '0' && t[i] <= '9')) return false;
    while (i < t.size() && t[i] >= '0' && t[i] <= '9') ++i;
  }
  return i == t.size();
}

bool is_numeric_type(uint32_t oid) {
  return oid == type_oid::kInt2 || oid == type_oid::kInt4 || oid == type_oid::kInt8 ||
         oid == type_oid::kFloat4 || oid == type_oid::kFloat8;
}

void append_lsn(std::string& out, const char* key, Lsn lsn) {
  out += key;
  out += '"';
  out += lsn.to_string();
  out += '"';
}

void append_columns_object(std::string& out, const std::vector<Column>& columns) {
  out += '{';
  bool first = true;
  for (const Column& c : columns) {
    if (c.unchanged_toast) continue;  // never a fake value: listed in unchanged_toast instead
    if (!first) out += ',';
    first = false;
    append_json_string(out, c.name);
    out += ':';
    append_json_value(out, c);
  }
  out += '}';
}

}  // namespace

void append_json_string(std::string& out, std::string_view text) {
  out += '"';
  size_t run_start = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(text.data() + run_start, i - run_start);
    run_start = i + 1;
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        out += "\\u00";
        out += kHex[c >> 4];
        out += kHex[c & 0xf];
    }
  }
  out.append(text.data() + run_start, text.size() - run_start);
  out += '"';
}

void append_json_value(std::string& out, const Column& column) {
  const auto& text = column.value.text_or_null();
  if (!text) {
    out += "null";
    return;
  }
  if (column.type_oid == type_oid::kBool && (*text == "t" || *text == "f")) {
    out += (*text == "t") ? "true" : "false";
    return;
  }
  if (is_numeric_type(column.type_oid) && is_json_number(*text)) {
    out += *text;
    return;
  }
  append_json_string(out, *text);  // NaN, Infinity and every other type: text form
}

void append_event_jsonl(std::string& out, const ChangeEvent& event) {
  out += "{\"op\":\"";
  out += to_string(event.op);
  out += "\",\"schema\":";
  append_json_string(out, event.schema);
  out += ",\"table\":";
  append_json_string(out, event.table);
  out += ",\"columns\":";
  append_columns_object(out, event.columns);
  out += ",\"old\":";
  if (event.old) {
    append_columns_object(out, *event.old);
  } else {
    out += "null";
  }
  out += ",\"xid\":";
  out += std::to_string(event.transaction_id);
  append_lsn(out, ",\"lsn\":", event.lsn);
  append_lsn(out, ",\"commit_lsn\":", event.commit_lsn);
  out += ",\"commit_time\":\"";
  out += format_iso8601(event.commit_time);
  out += "\",\"seq\":";
  out += std::to_string(event.seq);

  const bool any_unchanged = std::any_of(event.columns.begin(), event.columns.end(),
                                         [](const Column& c) { return c.unchanged_toast; });
  if (any_unchanged) {
    out += ",\"unchanged_toast\":[";
    bool first = true;
    for (const Column& c : event.columns) {
      if (!c.unchanged_toast) continue;
      if (!first) out += ',';
      first = false;
      append_json_string(out, c.name);
    }
    out += ']';
  }
  if (event.op == Op::Message) {
    out += ",\"prefix\":";
    append_json_string(out, event.message_prefix);
    out += ",\"content\":";
    append_json_string(out, event.message_content);
    out += event.message_transactional ? ",\"transactional\":true" : ",\"transactional\":false";
  } else if (event.op == Op::Truncate) {
    out += event.truncate_cascade ? ",\"cascade\":true" : ",\"cascade\":false";
    out += event.truncate_restart_identity ? ",\"restart_identity\":true"
                                           : ",\"restart_identity\":false";
  } else if (event.op == Op::SchemaChange) {
    out += ",\"ddl\":";
    append_json_string(out, event.ddl);
  }
  out += "}\n";
}

}  // namespace sabot::output
