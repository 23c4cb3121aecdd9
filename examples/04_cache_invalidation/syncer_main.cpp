// Example 04 — the cache syncer: keeps the Redis cache of ex04.users and ex04.products in
// step with PostgreSQL. Refresh mode: a change to a cached row refreshes it (and its TTL), a
// change to a row nobody cached is skipped, a delete removes the key; every write is fenced by
// the change's LSN so an older change never overwrites a newer one.
//
//   cache_syncer --dsn "..." --redis redis://127.0.0.1:PORT [--plugin pgoutput|wal2json]
#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <exception>

#include "cache_setup.hpp"
#include "cache_syncer.hpp"
#include "cli_args.hpp"
#include "stream_flags.hpp"
#include "transactions.hpp"

using namespace sabot;
using namespace sabot::examples;

int main(int argc, char** argv) {
  CLI::App app("Example 04: keep a Redis cache of rows in step with the change stream");
  StreamFlags flags("ex04_slot", "ex04_pub");
  flags.add_to(app);
  std::string redis_url = "redis://127.0.0.1:6379";
  app.add_option("--redis", redis_url, "redis://HOST:PORT[/DB]")
      ->envname("SABOT_REDIS_URL")
      ->capture_default_str();
  if (const auto status = parse_arguments(app, argc, argv)) return *status;

  try {
    PostgresCdcConfig config = flags.config();
    config.tables = {"ex04.users", "ex04.products"};
    if (flags.check_args) return 0;
    const RedisSinkOptions options = cache::cache_options(redis_url);
    cache::CacheSyncer syncer(config, options);
    stop_on_signals(syncer.connector());
    std::printf("cache_syncer: %s → %s, refresh mode, keys %s:%s.<table>:<id>, TTL",
                config.slot_name.c_str(), redis_url.c_str(), options.prefix.c_str(),
                cache::kSchema);
    for (const cache::CachedTable& table : cache::cached_tables()) {
      std::printf(" %s %llds", table.name.c_str(), static_cast<long long>(table.ttl.count()));
    }
    std::printf("\n");
    std::fflush(stdout);
    auto next_report = std::chrono::steady_clock::now() + std::chrono::seconds(1);
    syncer.run(/*stop_at_done_message=*/true, [&](const RedisSinkStats& stats) {
      if (std::chrono::steady_clock::now() < next_report) return;
      std::printf("cache_syncer: %s\n", cache::describe(stats).c_str());
      std::fflush(stdout);
      next_report += std::chrono::seconds(1);
    });
    std::printf("cache_syncer: done: %s\n", cache::describe(syncer.stats()).c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "cache_syncer: %s\n", e.what());
    return 1;
  }
  return 0;
}
