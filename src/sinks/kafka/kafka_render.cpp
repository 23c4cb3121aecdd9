// The default renderings of a Kafka message's value and key (include/sabot/kafka_sink.hpp).
#include <string>

#include "output/jsonl_writer.hpp"
#include "sabot/kafka_sink.hpp"

namespace sabot {

namespace {

// The key columns' values as a JSON object, looked up in `row` (columns, or old).
void append_key_object(std::string& out, const NameList& key_columns,
                       const std::vector<Column>& row) {
  out += '{';
  bool first = true;
  for (const std::string& name : key_columns) {
    for (const Column& column : row) {
      if (column.name != name) continue;
      if (!first) out += ',';
      first = false;
      output::append_json_string(out, column.name);
      out += ':';
      output::append_json_value(out, column);
      break;
    }
  }
  out += '}';
}

}  // namespace

void append_kafka_default_value(std::string& out, const ChangeEvent& event) {
  output::append_event_jsonl(out, event);
  if (!out.empty() && out.back() == '\n') out.pop_back();
}

void append_kafka_default_key(std::string& out, const ChangeEvent& event) {
  if (event.key_columns.empty()) return;  // no key: a null key
  const bool from_old = event.op == Op::Delete && event.old;
  append_key_object(out, event.key_columns, from_old ? *event.old : event.columns);
}

}  // namespace sabot
