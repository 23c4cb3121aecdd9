// PostgresCdcConfig: everything a connector needs. Mirrors the seed's PostgreSQLCDCConfig.
//
// Connection: either `dsn` (a libpq conninfo "host=... port=..." or URI "postgresql://..."),
// or the discrete fields host/port/user/password/database. Unset fields fall back to libpq's
// environment variables (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE, PGSSLMODE...), .pgpass and
// service files, exactly as for any libpq client. Discrete fields override the same keys of dsn.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "sabot/lsn.hpp"

namespace sabot {

enum class Plugin { Pgoutput, Wal2json };

struct PostgresCdcConfig {
  std::string dsn;
  std::string host;
  std::optional<int> port;
  std::string user;
  std::string password;
  std::string database;

  std::string slot_name = "sabot_cdc_slot";
  std::string publication_name = "sabot_cdc";  // pgoutput only
  // Table patterns: "schema.table", "*" and "?" wildcards in either part, a bare name means
  // "public.name". Empty = every table. An invalid pattern is a CdcError{Config} at open().
  std::vector<std::string> tables;

  Plugin plugin = Plugin::Wal2json;
  int wal2json_format_version = 2;  // 1 or 2

  // Batching: a batch holds at most batch_size events (and about max_batch_bytes of values) of one
  // transaction; a partial batch of a transaction still open on the server is handed out after
  // max_batch_latency.
  size_t batch_size = 100;
  size_t max_batch_bytes = 8 * 1024 * 1024;
  std::chrono::milliseconds max_batch_latency{100};

  // Where to start: nullopt = the slot's confirmed position (the normal, lossless choice).
  std::optional<Lsn> start_lsn;
  // Stop once the stream has passed this LSN (like pg_recvlogical --endpos). nullopt = forever.
  std::optional<Lsn> end_lsn;

  // Extra output-plugin options sent with START_REPLICATION (name, value), after ours; a name we
  // already send is replaced.
  std::vector<std::pair<std::string, std::string>> plugin_options;

  bool create_slot_if_missing = false;
  bool create_publication_if_missing = false;  // pgoutput: FOR ALL TABLES or FOR TABLE matches
  bool temporary_slot = false;

  // How often a standby status update is sent when nothing else prompts one.
  std::chrono::milliseconds status_interval{10000};
  std::chrono::seconds connect_timeout{10};
};

}  // namespace sabot
