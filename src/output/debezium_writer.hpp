// Debezium's PostgreSQL envelope for one event (value and key), and its transaction metadata
// events, as JsonConverter writes them with schemas.enable=false. Field order is Debezium's
// schema order. Column values: debezium_values.hpp. The public face is sabot::EventRenderer
// (include/sabot/format.hpp), which also keeps the per-transaction counts.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "output/jsonl_writer.hpp"
#include "sabot/change_event.hpp"
#include "sabot/format.hpp"

namespace sabot::output {

// The event's place in its transaction (Debezium's "transaction" block), 1-based.
struct DebeziumTransactionOrder {
  std::string_view id;
  uint64_t total_order = 0;
  uint64_t data_collection_order = 0;
};

// False for events Debezium writes no data-topic message for (schema changes).
bool debezium_has_value(const ChangeEvent& event);

// Appends the envelope; `order` null writes "transaction":null. `processed_at` is the top-level
// ts_ms (Debezium: when the connector processed the event).
void append_debezium_envelope(std::string& out, const ChangeEvent& event,
                              const DebeziumOptions& options, const DebeziumTransactionOrder* order,
                              Timestamp processed_at);

// Appends the key ({"id":1}, {"prefix":..} for a message); false (nothing appended) when the
// event has none.
bool append_debezium_key(std::string& out, const ChangeEvent& event);

// "XID:COMMIT_LSN", the LSN as a decimal number.
std::string debezium_transaction_id(uint32_t xid, Lsn commit_lsn);

void append_debezium_begin(std::string& out, std::string_view id, Timestamp commit_time);
void append_debezium_end(std::string& out, std::string_view id, Timestamp commit_time,
                         uint64_t event_count,
                         const std::vector<std::pair<std::string, uint64_t>>& per_table);

// Appends {"name":value,...} of the event's key columns (new row first, old row for a delete)
// with `append_value` for each; false (nothing appended) without key columns.
template <typename AppendValue>
bool append_key_object(std::string& out, const ChangeEvent& event, AppendValue&& append_value) {
  if (event.key_columns.empty()) return false;
  const bool from_old = event.op == Op::Delete;
  out += '{';
  bool first = true;
  for (const std::string& name : event.key_columns) {
    const Column* column = from_old ? event.old_column(name) : event.column(name);
    if (column == nullptr) column = from_old ? event.column(name) : event.old_column(name);
    if (!first) out += ',';
    first = false;
    append_json_string(out, name);
    out += ':';
    if (column == nullptr) {
      out += "null";
    } else {
      append_value(out, *column);
    }
  }
  out += '}';
  return true;
}

}  // namespace sabot::output
