#include "cache_syncer.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "transactions.hpp"

namespace sabot::examples::cache {

CacheSyncer::CacheSyncer(const PostgresCdcConfig& config, const RedisSinkOptions& options)
    : connector_(config), sink_(make_redis_sink(options)) {}

void CacheSyncer::run(bool stop_at_done_message,
                      const std::function<void(const RedisSinkStats&)>& on_batch) {
  connector_.open();
  while (auto batch = connector_.next_batch()) {
    if (!batch->empty()) sink_->write(*batch);  // returns once Redis confirmed every command
    connector_.acknowledge(*batch);
    if (on_batch) on_batch(sink_->stats());
    if (stop_at_done_message &&
        std::any_of(batch->events.begin(), batch->events.end(), is_done_message)) {
      break;
    }
  }
  connector_.close();
}

std::string describe(const RedisSinkStats& s) {
  return fmt::format(
      "{} batches: {} cached rows refreshed, {} keys deleted, {} changes to rows not cached, {} "
      "stale changes skipped",
      s.batches, s.rows_written, s.rows_deleted, s.not_cached, s.stale_skipped);
}

}  // namespace sabot::examples::cache
