// CacheSyncer: the change stream into the Redis cache — a PostgresCdcConnector feeding a
// RedisSink in refresh mode. Each batch is acknowledged to PostgreSQL only after Redis confirmed
// every write of it, so a crash never loses a change the cache still needs.
#pragma once

#include <functional>
#include <memory>
#include <sabot/redis_sink.hpp>
#include <sabot/sabot.hpp>
#include <string>

namespace sabot::examples::cache {

class CacheSyncer {
 public:
  CacheSyncer(const PostgresCdcConfig& config, const RedisSinkOptions& options);

  // Streams until the connector stops (end LSN, request_stop()), or after the workload's done
  // message when stop_at_done_message is set. Throws CdcError (Redis errors: kind Consumer).
  // on_batch (optional) runs after every confirmed batch, e.g. to show progress.
  void run(bool stop_at_done_message,
           const std::function<void(const RedisSinkStats&)>& on_batch = nullptr);
  // Safe from another thread or a signal handler.
  void request_stop() { connector_.request_stop(); }
  PostgresCdcConnector& connector() { return connector_; }
  const RedisSinkStats& stats() const { return sink_->stats(); }

 private:
  PostgresCdcConnector connector_;
  std::unique_ptr<RedisSink> sink_;
};

// "applied 1200 batches: 830 rows refreshed, 95 deleted, 2400 not cached, 0 stale"
std::string describe(const RedisSinkStats& stats);

}  // namespace sabot::examples::cache
