#include "output/debezium_writer.hpp"

#include <chrono>

#include "output/debezium_values.hpp"
#include "output/jsonl_writer.hpp"

namespace sabot::output {

namespace {

int64_t epoch_micros(Timestamp ts) {
  return ts.time_since_epoch().count();
}

int64_t floor_millis(Timestamp ts) {
  return std::chrono::floor<std::chrono::milliseconds>(ts).time_since_epoch().count();
}

void append_number(std::string& out, const char* key, int64_t value) {
  out += key;
  out += std::to_string(value);
}

char op_letter(Op op) {
  switch (op) {
    case Op::Insert:
      return 'c';
    case Op::Update:
      return 'u';
    case Op::Delete:
      return 'd';
    case Op::Truncate:
      return 't';
    case Op::Message:
      return 'm';
    case Op::Read:
      return 'r';
    case Op::SchemaChange:
      break;
  }
  return '?';
}

// {"col":value,...} in the event's column order, Debezium's placeholder for unchanged TOAST.
void append_row(std::string& out, const std::vector<Column>& columns) {
  out += '{';
  bool first = true;
  for (const Column& column : columns) {
    if (!first) out += ',';
    first = false;
    append_json_string(out, column.name);
    out += ':';
    append_debezium_value(out, column);
  }
  out += '}';
}

// ts_ms, ts_us, ts_ns of one instant (Debezium 2.6+ writes all three).
void append_times(std::string& out, Timestamp ts) {
  append_number(out, "\"ts_ms\":", floor_millis(ts));
  append_number(out, ",\"ts_us\":", epoch_micros(ts));
  append_number(out, ",\"ts_ns\":", epoch_micros(ts) * 1000);
}

void append_source(std::string& out, const ChangeEvent& event, const DebeziumOptions& options) {
  const bool is_message = event.op == Op::Message;
  out += "{\"version\":";
  append_json_string(out, options.version);
  out += ",\"connector\":\"postgresql\",\"name\":";
  append_json_string(out, options.name);
  out += ',';
  append_number(out, "\"ts_ms\":", floor_millis(event.commit_time));
  // Snapshot rows are "true" each: we do not know which row is the snapshot's last ("last").
  out += event.op == Op::Read ? ",\"snapshot\":\"true\"" : ",\"snapshot\":\"false\"";
  out += ",\"db\":";
  append_json_string(out, options.database);
  out += ",\"sequence\":";
  append_json_string(out, "[\"" + std::to_string(event.commit_lsn.value()) + "\",\"" +
                              std::to_string(event.lsn.value()) + "\"]");
  append_number(out, ",\"ts_us\":", epoch_micros(event.commit_time));
  append_number(out, ",\"ts_ns\":", epoch_micros(event.commit_time) * 1000);
  out += ",\"schema\":";
  append_json_string(out, is_message ? std::string_view() : event.schema);
  out += ",\"table\":";
  append_json_string(out, is_message ? std::string_view() : event.table);
  if (event.transaction_id != 0) {
    append_number(out, ",\"txId\":", event.transaction_id);
  } else {
    out += ",\"txId\":null";
  }
  append_number(out, ",\"lsn\":", static_cast<int64_t>(event.lsn.value()));
  out += ",\"xmin\":null,\"sabot_commit_lsn\":\"";
  out += event.commit_lsn.to_string();
  append_number(out, "\",\"sabot_seq\":", event.seq);
  out += '}';
}

void append_transaction_block(std::string& out, const DebeziumTransactionOrder* order) {
  if (order == nullptr) {
    out += "null";
    return;
  }
  out += "{\"id\":";
  append_json_string(out, order->id);
  append_number(out, ",\"total_order\":", static_cast<int64_t>(order->total_order));
  append_number(out,
                ",\"data_collection_order\":", static_cast<int64_t>(order->data_collection_order));
  out += '}';
}

// A logical decoding message: source, op "m", ts_ms, and the message (content in base64, as
// binary.handling.mode=bytes writes it).
void append_message(std::string& out, const ChangeEvent& event, const DebeziumOptions& options,
                    Timestamp processed_at) {
  out += "{\"source\":";
  append_source(out, event, options);
  out += ",\"op\":\"m\",";
  append_times(out, processed_at);
  out += ",\"message\":{\"prefix\":";
  append_json_string(out, event.message_prefix);
  out += ",\"content\":\"";
  append_base64(out, event.message_content);
  out += "\"}}";
}

}  // namespace

bool debezium_has_value(const ChangeEvent& event) {
  return event.op != Op::SchemaChange;
}

void append_debezium_envelope(std::string& out, const ChangeEvent& event,
                              const DebeziumOptions& options, const DebeziumTransactionOrder* order,
                              Timestamp processed_at) {
  if (!debezium_has_value(event)) return;
  if (event.op == Op::Message) return append_message(out, event, options, processed_at);
  out += "{\"before\":";
  if (event.old && (event.op == Op::Update || event.op == Op::Delete)) {
    append_row(out, *event.old);
  } else {
    out += "null";
  }
  out += ",\"after\":";
  if (event.op == Op::Insert || event.op == Op::Update || event.op == Op::Read) {
    append_row(out, event.columns);
  } else {
    out += "null";
  }
  out += ",\"source\":";
  append_source(out, event, options);
  out += ",\"transaction\":";
  append_transaction_block(out, order);
  out += ",\"op\":\"";
  out += op_letter(event.op);
  out += "\",";
  append_times(out, processed_at);
  out += '}';
}

bool append_debezium_key(std::string& out, const ChangeEvent& event) {
  if (event.op == Op::Message) {
    out += "{\"prefix\":";
    append_json_string(out, event.message_prefix);
    out += '}';
    return true;
  }
  if (event.op == Op::Truncate || event.op == Op::SchemaChange) return false;
  return append_key_object(out, event,
                           [](std::string& o, const Column& c) { append_debezium_value(o, c); });
}

std::string debezium_transaction_id(uint32_t xid, Lsn commit_lsn) {
  return std::to_string(xid) + ":" + std::to_string(commit_lsn.value());
}

void append_debezium_begin(std::string& out, std::string_view id, Timestamp commit_time) {
  out += "{\"status\":\"BEGIN\",\"id\":";
  append_json_string(out, id);
  append_number(out, ",\"ts_ms\":", floor_millis(commit_time));
  out += ",\"event_count\":null,\"data_collections\":null}";
}

void append_debezium_end(std::string& out, std::string_view id, Timestamp commit_time,
                         uint64_t event_count,
                         const std::vector<std::pair<std::string, uint64_t>>& per_table) {
  out += "{\"status\":\"END\",\"id\":";
  append_json_string(out, id);
  append_number(out, ",\"ts_ms\":", floor_millis(commit_time));
  append_number(out, ",\"event_count\":", static_cast<int64_t>(event_count));
  out += ",\"data_collections\":[";
  bool first = true;
  for (const auto& [table, count] : per_table) {
    if (!first) out += ',';
    first = false;
    out += "{\"data_collection\":";
    append_json_string(out, table);
    append_number(out, ",\"event_count\":", static_cast<int64_t>(count));
    out += '}';
  }
  out += "]}";
}

}  // namespace sabot::output
