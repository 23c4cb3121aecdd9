// Example 04 — a cache-aside reader: looks random users and products up through the cache,
// filling misses from PostgreSQL, until SIGINT/SIGTERM; then prints what it did.
//
//   cache_reader --dsn "..." --redis redis://127.0.0.1:PORT [--seed S]
#include <CLI/CLI.hpp>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <exception>

#include "cache_reader.hpp"
#include "cache_setup.hpp"
#include "cli_args.hpp"

using namespace sabot::examples;

namespace {
std::atomic<bool> g_stop{false};
extern "C" void on_signal(int) {
  g_stop = true;
}
}  // namespace

int main(int argc, char** argv) {
  CLI::App app("Example 04: read rows through the Redis cache, filling misses from PostgreSQL");
  std::string dsn;
  std::string redis_url = "redis://127.0.0.1:6379";
  uint32_t seed = 1;
  int slow_down_us = 0;
  app.add_option("--dsn", dsn, "libpq connection string")->envname("SABOT_DSN");
  app.add_option("--redis", redis_url, "redis://HOST:PORT[/DB]")
      ->envname("SABOT_REDIS_URL")
      ->capture_default_str();
  app.add_option("--seed", seed)->capture_default_str();
  app.add_option("--slow-down-us", slow_down_us,
                 "pause between reading a row and filling the cache (a busy app server)")
      ->capture_default_str();
  bool check_args = false;
  add_check_args_flag(app, check_args);
  if (const auto status = parse_arguments(app, argc, argv)) return *status;
  if (check_args) return 0;
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);

  try {
    cache::CacheReader reader(dsn, cache::cache_options(redis_url), seed,
                              std::chrono::microseconds(slow_down_us));
    auto next_report = std::chrono::steady_clock::now() + std::chrono::seconds(1);
    while (!g_stop) {
      reader.lookup_random_row();
      if (std::chrono::steady_clock::now() >= next_report) {
        std::printf("cache_reader %u: %s\n", seed, cache::describe(reader.stats()).c_str());
        std::fflush(stdout);
        next_report += std::chrono::seconds(1);
      }
    }
    std::printf("cache_reader %u: done: %s\n", seed, cache::describe(reader.stats()).c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "cache_reader: %s\n", e.what());
    return 1;
  }
  return 0;
}
