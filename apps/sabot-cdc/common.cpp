#include <cstdio>

#include "commands.hpp"
#include "sabot/error.hpp"

namespace sabot::cli {

void ConnectionFlags::add_to(CLI::App& app) {
  app.add_option("--dsn", dsn,
                 "libpq connection string or URI (default: PGHOST, PGPORT, PGUSER, PGPASSWORD, "
                 "PGDATABASE and ~/.pgpass, as for psql)")
      ->envname("SABOT_DSN");
}

PostgresCdcConfig ConnectionFlags::to_config() const {
  PostgresCdcConfig config;
  config.dsn = dsn;
  return config;
}

int run_reporting_errors(const std::function<int()>& body) {
  try {
    return body();
  } catch (const CdcError& e) {
    std::fprintf(stderr, "sabot-cdc: error: %s\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    // The library only throws CdcError; anything else is a bug, still reported, never terminate.
    std::fprintf(stderr, "sabot-cdc: error: internal error: %s\n", e.what());
    return 1;
  } catch (...) {
    std::fprintf(stderr, "sabot-cdc: error: internal error: an unknown exception\n");
    return 1;
  }
}

std::vector<std::string> split_patterns(const std::string& text) {
  std::vector<std::string> out;
  std::string current;
  bool in_quotes = false;
  for (char c : text) {
    if (c == '"') in_quotes = !in_quotes;
    if (c == ',' && !in_quotes) {
      if (!current.empty()) out.push_back(current);
      current.clear();
      continue;
    }
    if ((c == ' ' || c == '\t') && !in_quotes) continue;
    current += c;
  }
  if (!current.empty()) out.push_back(current);
  return out;
}

}  // namespace sabot::cli
