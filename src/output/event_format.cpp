// sabot::EventRenderer and the format parser (include/sabot/format.hpp) over the sabot JSON
// writer (jsonl_writer.hpp) and the Debezium writer (debezium_writer.hpp).
#include <fmt/format.h>

#include <algorithm>
#include <chrono>

#include "output/debezium_writer.hpp"
#include "output/jsonl_writer.hpp"
#include "sabot/error.hpp"
#include "sabot/format.hpp"

namespace sabot {

EventFormat parse_event_format(std::string_view text) {
  if (text == "sabot") return EventFormat::Sabot;
  if (text == "debezium") return EventFormat::Debezium;
  throw CdcError(ErrorKind::Config,
                 fmt::format("unknown event format '{}': use sabot (sabot-cdc's JSON) or debezium "
                             "(Debezium's PostgreSQL envelope)",
                             text));
}

std::string_view to_string(EventFormat format) {
  return format == EventFormat::Debezium ? "debezium" : "sabot";
}

EventRenderer::EventRenderer(FormatOptions options) : options_(std::move(options)) {}

void EventRenderer::append_value(std::string& out, const ChangeEvent& event) {
  if (options_.format == EventFormat::Sabot) {
    output::append_event_jsonl(out, event);
    out.pop_back();  // the newline
    return;
  }
  if (!output::debezium_has_value(event)) return;
  const auto now =
      std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now());
  const bool ordered = options_.debezium.transaction_metadata && event.transaction_id != 0 &&
                       event.op != Op::Read && event.op != Op::Message;
  if (!ordered) {
    return output::append_debezium_envelope(out, event, options_.debezium, nullptr, now);
  }
  if (counts_.xid != event.transaction_id || counts_.commit_lsn != event.commit_lsn) {
    counts_ = TransactionCounts{event.transaction_id, event.commit_lsn, 0, {}};
  }
  const std::string table = fmt::format("{}.{}", event.schema, event.table);
  auto it = std::find_if(counts_.per_table.begin(), counts_.per_table.end(),
                         [&](const auto& entry) { return entry.first == table; });
  if (it == counts_.per_table.end()) it = counts_.per_table.insert(it, {table, 0});
  const std::string id = output::debezium_transaction_id(event.transaction_id, event.commit_lsn);
  const output::DebeziumTransactionOrder order{id, ++counts_.total, ++it->second};
  output::append_debezium_envelope(out, event, options_.debezium, &order, now);
}

void EventRenderer::append_key(std::string& out, const ChangeEvent& event) const {
  if (options_.format == EventFormat::Debezium) {
    output::append_debezium_key(out, event);
    return;
  }
  if (event.op == Op::Truncate || event.op == Op::Message || event.op == Op::SchemaChange) return;
  output::append_key_object(
      out, event, [](std::string& o, const Column& c) { output::append_json_value(o, c); });
}

bool EventRenderer::has_transaction_events(const ChangeBatch& batch) const {
  return options_.format == EventFormat::Debezium && options_.debezium.transaction_metadata &&
         batch.transaction_id != 0 && !batch.from_snapshot;
}

void EventRenderer::append_transaction_begin(std::string& out, const ChangeBatch& batch) const {
  if (!has_transaction_events(batch)) return;
  output::append_debezium_begin(
      out, output::debezium_transaction_id(batch.transaction_id, batch.commit_lsn),
      batch.commit_time);
}

void EventRenderer::append_transaction_end(std::string& out, const ChangeBatch& batch) {
  if (!has_transaction_events(batch)) return;
  const bool counted =
      counts_.xid == batch.transaction_id && counts_.commit_lsn == batch.commit_lsn;
  output::append_debezium_end(
      out, output::debezium_transaction_id(batch.transaction_id, batch.commit_lsn),
      batch.commit_time, counted ? counts_.total : 0,
      counted ? counts_.per_table : decltype(counts_.per_table){});
  counts_ = TransactionCounts{};
}

void EventRenderer::append_transaction_key(std::string& out, const ChangeBatch& batch) const {
  out += "{\"id\":";
  output::append_json_string(
      out, output::debezium_transaction_id(batch.transaction_id, batch.commit_lsn));
  out += '}';
}

void EventRenderer::append_batch_lines(std::string& out, const ChangeBatch& batch,
                                       bool with_begin) {
  auto line = [&out](size_t before) {
    if (out.size() != before) out += '\n';
  };
  if (batch.first_in_transaction && with_begin) {
    const size_t before = out.size();
    append_transaction_begin(out, batch);
    line(before);
  }
  for (const ChangeEvent& event : batch.events) {
    const size_t before = out.size();
    append_value(out, event);
    line(before);
  }
  if (batch.last_in_transaction) {
    const size_t before = out.size();
    append_transaction_end(out, batch);
    line(before);
  }
}

}  // namespace sabot
