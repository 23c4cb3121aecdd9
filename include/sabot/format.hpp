// Output formats of change events: sabot's own JSON (the JSON Lines of `sabot-cdc stream`, see
// jsonl.hpp) or Debezium's PostgreSQL connector envelope, as Kafka Connect's JsonConverter writes
// it with schemas.enable=false and decimal.handling.mode=string (README "Debezium format" lists
// every type's rendering and where we differ). Every sink that writes events takes one:
//
//   sabot::FormatOptions format{sabot::EventFormat::Debezium};
//   format.debezium.database = "shop";
//   auto sink = sabot::make_jsonl_file_sink("changes.jsonl", format);
//
// Or render events yourself (a Kafka producer, say) with an EventRenderer, e.g. as the value and
// key functions of a sink:
//
//   auto renderer = std::make_shared<sabot::EventRenderer>(format);
//   std::function<void(std::string&, const sabot::ChangeEvent&)> value =
//       [renderer](std::string& out, const sabot::ChangeEvent& e) { renderer->append_value(out, e); };
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sabot/change_batch.hpp"
#include "sabot/change_event.hpp"

namespace sabot {

enum class EventFormat { Sabot, Debezium };

// "sabot" | "debezium"; throws CdcError{Config} naming the choices for anything else.
EventFormat parse_event_format(std::string_view text);
std::string_view to_string(EventFormat format);  // "sabot", "debezium"

struct DebeziumOptions {
  // Debezium's topic.prefix: source.name, and the prefix of its topic names.
  std::string name = "sabot";
  // source.db: the database the events come from (the CLI asks the server when not given).
  std::string database;
  // source.version. Ours, not a Debezium release: consumers that check it see what wrote it.
  std::string version = "sabot-cdc-0.1.0";
  // Debezium's provide.transaction.metadata: every event gets a "transaction" block
  // {"id","total_order","data_collection_order"}, and BEGIN / END events can be rendered.
  bool transaction_metadata = false;
};

struct FormatOptions {
  EventFormat format = EventFormat::Sabot;
  DebeziumOptions debezium;
};

// Renders events in one format. Values, keys and transaction events are JSON without a trailing
// newline; each append_* function appends nothing when the format has no such message for the
// event (then send nothing: for a key, that means a null key).
//
// Debezium positions: every Debezium value carries sabot's position in its source block
// ("sabot_commit_lsn": "16/B374D848", "sabot_seq": 3; Debezium consumers ignore unknown
// fields), so parse_event_position() (jsonl.hpp) reads it back, as from a sabot line.
//
// State: with transaction metadata, append_value() numbers the events of each transaction
// (total_order, data_collection_order) and append_transaction_end() reports and resets the
// counts, so render the events of a stream in order, through one renderer. Not thread-safe.
class EventRenderer {
 public:
  explicit EventRenderer(FormatOptions options = {});

  const FormatOptions& options() const { return options_; }

  // The event's value. Sabot: the JSON Lines object (jsonl.hpp). Debezium: the envelope with
  // op c/u/d/r/t, or m for a logical decoding message; nothing for a schema change (Debezium
  // writes none to its data topics). Throws CdcError{ValueConversion} for a value whose text it
  // cannot map (README "Debezium format").
  void append_value(std::string& out, const ChangeEvent& event);

  // The message key: an object of the table's key (replica identity) columns, {"id":1}, with
  // values rendered as in the value; the new row's key for insert/update/read, the old one's for
  // delete. Debezium: {"prefix":...} for a message. Nothing for a truncate, a schema change, or
  // a table without key columns.
  void append_key(std::string& out, const ChangeEvent& event) const;

  // Debezium transaction metadata of `batch`'s transaction (only with transaction_metadata, in
  // the Debezium format, for a batch with a transaction id that is not a snapshot's):
  // {"status":"BEGIN","id":"XID:COMMIT_LSN","ts_ms":..,"event_count":null,"data_collections":null}
  void append_transaction_begin(std::string& out, const ChangeBatch& batch) const;
  // {"status":"END",...,"event_count":N,"data_collections":[{"data_collection":"s.t",
  // "event_count":n},...]}: the events append_value() rendered for the transaction. Resets them.
  void append_transaction_end(std::string& out, const ChangeBatch& batch);
  // The key of a BEGIN / END event: {"id":"XID:COMMIT_LSN"}.
  void append_transaction_key(std::string& out, const ChangeBatch& batch) const;

  // JSON Lines of a batch: its BEGIN line when it is first_in_transaction (and `with_begin`),
  // a line per rendered event, its END line when it is last_in_transaction.
  void append_batch_lines(std::string& out, const ChangeBatch& batch, bool with_begin = true);

 private:
  bool has_transaction_events(const ChangeBatch& batch) const;

  struct TransactionCounts {
    uint32_t xid = 0;
    Lsn commit_lsn;
    uint64_t total = 0;
    std::vector<std::pair<std::string, uint64_t>> per_table;  // in order of first event
  };

  FormatOptions options_;
  TransactionCounts counts_;
};

}  // namespace sabot
