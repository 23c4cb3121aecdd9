// Example 04 — the audit: compares every cached row with PostgreSQL and checks its TTL. Exit 0
// when the cache holds no stale row and every row has its table's TTL, 1 otherwise.
//
//   cache_audit --dsn "..." --redis redis://127.0.0.1:PORT
#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>

#include "cache_audit.hpp"
#include "cache_setup.hpp"
#include "cli_args.hpp"

using namespace sabot::examples;

int main(int argc, char** argv) {
  CLI::App app("Example 04: check the Redis cache against PostgreSQL");
  std::string dsn;
  std::string redis_url = "redis://127.0.0.1:6379";
  app.add_option("--dsn", dsn, "libpq connection string")->envname("SABOT_DSN");
  app.add_option("--redis", redis_url, "redis://HOST:PORT[/DB]")
      ->envname("SABOT_REDIS_URL")
      ->capture_default_str();
  bool check_args = false;
  add_check_args_flag(app, check_args);
  if (const auto status = parse_arguments(app, argc, argv)) return *status;
  if (check_args) return 0;

  try {
    PgSession db(dsn);
    sabot::RedisCacheClient cache(cache::cache_options(redis_url));
    const cache::AuditResult result = cache::audit_cache(db, cache);
    std::fputs(cache::describe(result).c_str(), stdout);
    return result.clean() ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "cache_audit: %s\n", e.what());
    return 1;
  }
}
