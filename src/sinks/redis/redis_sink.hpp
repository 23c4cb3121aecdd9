// RedisSinkImpl: the sabot::RedisSink behind make_redis_sink() (behaviour documented in
// include/sabot/redis_sink.hpp).
//
// One write() = one pipeline: every command of the batch is queued, sent together, and each reply
// checked. Row changes go through the fenced apply script; stream entries are XADD with an ID made
// from the event's position. A truncate (row modes) first flushes what is queued, then scans and
// deletes the table's keys, so it lands between the changes before and after it.
#pragma once

#include <cstdint>
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
  explicit RedisSinkImpl(const RedisSinkOptions& options);  // connects; throws CdcError
  void write(const ChangeBatch& batch) override;
  const RedisSinkStats& stats() const override { return stats_; }

 private:
  // A command waiting in the pipeline, and what its reply means.
  struct Queued {
    enum class Kind { Apply, StreamAdd, Plain };
    Kind kind;
    std::vector<std::string> args;
    std::string key;  // named in error messages
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
  // Sends the queue and checks every reply; the queue is empty afterwards.
  void flush();
  std::vector<RedisReply> send(const std::vector<Queued>& commands);
  void account(const Queued& command, const RedisReply& reply);

  RedisSinkOptions options_;
  RedisUrl url_;
  TableSettings tables_;
  std::unique_ptr<RedisConnection> connection_;
  std::string apply_sha_;
  std::vector<Queued> queue_;
  std::unordered_map<std::string, std::vector<std::string>> known_columns_;  // by table
  RedisSinkStats stats_;
  EventRenderer stream_renderer_;
};

}  // namespace sabot::sinks::redis
