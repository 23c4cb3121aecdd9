#include "cache_syncer.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "plural.hpp"
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
      "{} {}: {} cached {} refreshed, {} {} deleted, {} {} to rows not cached, {} stale {} "
      "skipped",
      s.batches, plural(s.batches, "batch", "batches"), s.rows_written,
      plural(s.rows_written, "row", "rows"), s.rows_deleted, plural(s.rows_deleted, "key", "keys"),
      s.not_cached, plural(s.not_cached, "change", "changes"), s.stale_skipped,
      plural(s.stale_skipped, "change", "changes"));
}

}  // namespace sabot::examples::cache
