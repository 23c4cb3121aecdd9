// RedisSinkImpl: the sabot::RedisSink behind make_redis_sink() (behaviour documented in
// include/sabot/redis_sink.hpp).
//
// One batch = one pipeline: its row changes go to the fenced apply script in one call per up to
// kRowsPerScript rows, stream entries are XADD with an ID made from the event's position. submit()
// sends a batch's commands and returns; await_oldest() reads the replies of the oldest batch sent
// and checks each, so up to max_in_flight() batches are on the wire at once (one connection: Redis
// applies them in order, which keeps per-key order). A truncate (row modes) first waits for
// everything in flight and what is queued, then scans and deletes the table's keys, so it lands
// between the changes before and after it.
//
// Errors: a lost or refused connection, a timeout, and the replies LOADING, BUSY, TRYAGAIN,
// MASTERDOWN, READONLY, CLUSTERDOWN, OOM and NOSCRIPT are RetryableSinkError; reset() drops the
// connection (the next call reconnects and loads the script again). Any other error reply (a
// script error, WRONGTYPE on a key someone else wrote, AUTH refused) is permanent.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "sabot/redis_sink.hpp"
#include "sinks/redis/redis_connection.hpp"
#include "sinks/redis/redis_options.hpp"
#include "sinks/redis/resp_commands.hpp"

namespace sabot::sinks::redis {

class RedisSinkImpl final : public RedisSink {
 public:
  // Row changes per apply-script call: bounds how long one call holds Redis.
  static constexpr size_t kRowsPerScript = 1000;
  static constexpr size_t kMaxInFlight = 32;
  // What the reused buffers keep between batches (more only while a batch needs it).
  static constexpr size_t kKeptBufferBytes = size_t{1} << 20;

  // Connects unless options.connect_lazily; throws CdcError.
  explicit RedisSinkImpl(const RedisSinkOptions& options);
  void connect() override { connection(); }
  void write(const ChangeBatch& batch) override;
  void submit(const ChangeBatch& batch) override;
  void await_oldest() override;
  size_t max_in_flight() const override { return kMaxInFlight; }
  void reset() override;
  std::string name() const override { return url_.text; }
  const RedisSinkStats& stats() const override { return stats_; }

 private:
  // A command waiting in the pipeline (its bytes are in commands_ until sent), and what its reply
  // means.
  struct Queued {
    enum class Kind { Apply, StreamAdd, Plain };
    Kind kind;
    std::string_view name;           // the command, named in error messages
    std::string key;                 // the key named in error messages (Apply, Plain)
    const std::string* stream = nullptr;  // StreamAdd: the stream (owned by the sink)
    std::string_view named_key() const { return stream ? std::string_view(*stream) : key; }
  };
  // A submitted batch: its commands, sent and not yet answered (done: already answered).
  struct InFlight {
    std::vector<Queued> commands;
    bool done = false;
  };
  // The apply-script call being built: keys and per-row arguments (see kApplyBatchScript).
  struct ScriptCall {
    RespArgs keys;
    RespArgs row_args;
    std::string first_key;
    size_t rows = 0;
  };
  // What the sink knows of one table, resolved at its first change and kept (entries never move).
  struct TableState {
    std::string schema;
    std::string table;
    std::string qualified;     // "<schema>.<table>"
    std::string row_prefix;    // row_key() without the suffix
    std::string fence_prefix;  // fence_key() without the suffix
    std::string stream_key;    // the stream its entries go to (Stream mode)
    uint64_t ttl_ms = 0;
    const std::vector<std::string>* key_columns = nullptr;  // configured ones, or nullptr
    std::vector<std::string> known_columns;                 // those of its last insert
  };

  RedisConnection& connection();
  TableState& table_state(const ChangeEvent& event);
  void queue_change(const ChangeEvent& event);
  void queue_row_change(const ChangeEvent& event);
  void queue_apply(const char* action, const ChangeEvent& event, TableState& table,
                   const std::string& key_suffix);
  void queue_row_values(const ChangeEvent& event, TableState& table, std::string_view fence);
  void queue_stream_entry(const ChangeEvent& event);
  // Whether the event carries every column of its row: pgoutput flags the unchanged TOAST values
  // it leaves out, wal2json leaves them out silently — so an update lacking a column the table's
  // last insert had counts as partial too.
  static bool has_every_column(const ChangeEvent& event, TableState& table,
                               bool none_flagged_unchanged);
  void remove_table_keys(const ChangeEvent& truncate);
  uint64_t delete_matching(const std::string& pattern);  // returns how many keys it deleted
  // Moves the script call being built into the queue as one EVALSHA.
  void seal_script();
  // Sends the queue and checks every reply; the queue is empty afterwards.
  void flush();
  // Hands the queued commands to the connection (not yet written); the queue is empty afterwards.
  std::vector<Queued> append_queue();
  // Reads the replies of every batch in flight, so synchronous commands can follow.
  void finish_in_flight();
  void check_replies(const std::vector<Queued>& commands);
  void account(const Queued& command, const RedisReply& reply);
  void clear_queue();

  RedisSinkOptions options_;
  RedisUrl url_;
  TableSettings tables_;
  std::unique_ptr<RedisConnection> connection_;
  std::string apply_sha_;
  RespCommands commands_;       // the queue's bytes
  std::vector<Queued> queue_;   // the queue's commands, one per command in commands_
  ScriptCall script_;
  std::deque<InFlight> in_flight_;
  std::unordered_map<std::string, TableState> table_states_;  // by qualified name
  TableState* last_table_ = nullptr;
  std::vector<RedisReply> replies_;  // reused for every batch's replies
  std::string event_json_;           // reused for every stream entry's event
  RedisSinkStats stats_;
  EventRenderer stream_renderer_;
};

}  // namespace sabot::sinks::redis
