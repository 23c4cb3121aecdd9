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
#include <unordered_map>
#include <vector>

#include "sabot/redis_sink.hpp"
#include "sinks/redis/redis_connection.hpp"
#include "sinks/redis/redis_options.hpp"

namespace sabot::sinks::redis {

class RedisSinkImpl final : public RedisSink {
 public:
  // Row changes per apply-script call: bounds how long one call holds Redis.
  static constexpr size_t kRowsPerScript = 1000;
  static constexpr size_t kMaxInFlight = 32;

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
  // A command waiting in the pipeline, and what its reply means.
  struct Queued {
    enum class Kind { Apply, StreamAdd, Plain };
    Kind kind;
    std::vector<std::string> args;
    std::string key;  // named in error messages
  };
  // A submitted batch: its commands, sent and not yet answered (done: already answered).
  struct InFlight {
    std::vector<Queued> commands;
    bool done = false;
  };
  // The apply-script call being built: keys and per-row arguments (see kApplyBatchScript).
  struct ScriptCall {
    std::vector<std::string> keys;
    std::vector<std::string> row_args;
    std::string first_key;
    size_t rows = 0;
  };

  RedisConnection& connection();
  void queue_change(const ChangeEvent& event);
  void queue_row_change(const ChangeEvent& event);
  void queue_apply(const char* action, const ChangeEvent& event, const std::string& key_suffix);
  void queue_stream_entry(const ChangeEvent& event);
  // Whether the event carries every column of its row: pgoutput flags the unchanged TOAST values
  // it leaves out, wal2json leaves them out silently — so an update lacking a column the table's
  // last insert had counts as partial too.
  bool has_every_column(const ChangeEvent& event, bool none_flagged_unchanged);
  void remove_table_keys(const ChangeEvent& truncate);
  uint64_t delete_matching(const std::string& pattern);  // returns how many keys it deleted
  // Moves the script call being built into the queue as one EVALSHA.
  void seal_script();
  // Sends the queue and checks every reply; the queue is empty afterwards.
  void flush();
  // Reads the replies of every batch in flight, so synchronous commands can follow.
  void finish_in_flight();
  void check_replies(const std::vector<Queued>& commands);
  void account(const Queued& command, const RedisReply& reply);

  RedisSinkOptions options_;
  RedisUrl url_;
  TableSettings tables_;
  std::unique_ptr<RedisConnection> connection_;
  std::string apply_sha_;
  std::vector<Queued> queue_;
  ScriptCall script_;
  std::deque<InFlight> in_flight_;
  std::unordered_map<std::string, std::vector<std::string>> known_columns_;  // by table
  RedisSinkStats stats_;
  EventRenderer stream_renderer_;
};

}  // namespace sabot::sinks::redis
