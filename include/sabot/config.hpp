// PostgresCdcConfig: everything a connector needs. Mirrors the seed's PostgreSQLCDCConfig.
//
// Connection: either `dsn` (a libpq conninfo "host=... port=..." or URI "postgresql://..."),
// or the discrete fields host/port/user/password/database. Unset fields fall back to libpq's
// environment variables (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE, PGSSLMODE...), .pgpass and
// service files, exactly as for any libpq client. Discrete fields override the same keys of dsn.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sabot/lsn.hpp"

namespace sabot {

struct StreamMetrics;  // metrics.hpp

enum class Plugin { Pgoutput, Wal2json };
const char* to_string(Plugin plugin);        // "pgoutput", "wal2json"
Plugin parse_plugin(std::string_view name);  // throws CdcError{Config} naming the choices

// Slot names: lower-case letters, digits, underscore, at most 63 (PostgreSQL's rule). Throws
// CdcError{Config} saying so.
void validate_slot_name(std::string_view name);

// What the connector does when the connection breaks or the server restarts: reconnect after
// initial_delay, doubling up to max_delay, each wait randomised by ±25 % (jitter), and resume from
// the last acknowledged position. Permanent errors (authentication, slot dropped, wal_level) are
// never retried.
struct ReconnectPolicy {
  bool enabled = true;
  std::chrono::milliseconds initial_delay{100};
  std::chrono::milliseconds max_delay{10000};
  int max_attempts = 0;  // consecutive failed attempts before giving up; 0 = never give up
};

// Snapshots (README "Snapshots"): the rows that existed before the stream.
//   Never    only changes (the default).
//   Initial  every captured table is read once, as Op::Read events, while the stream goes on; a
//            snapshot that completed for this slot is not repeated on the next start.
//   Only     like Initial, then the stream stops once the tables were read (the changes committed
//            meanwhile are delivered too, so the output is the tables as of where it stopped).
enum class SnapshotMode { Never, Initial, Only };
const char* to_string(SnapshotMode mode);          // "never", "initial", "only"
SnapshotMode parse_snapshot_mode(std::string_view name);  // throws CdcError{Config}

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

  Plugin plugin = Plugin::Pgoutput;  // built into PostgreSQL; wal2json needs its package
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

  ReconnectPolicy reconnect;
  // Every interval, a non-transactional logical message (prefix "sabot_heartbeat", never handed
  // to the consumer) is written through a second, regular connection, so even a database with no
  // writes at all gives the slot a position to confirm. 0 = off.
  std::chrono::milliseconds heartbeat_interval{0};

  // pgoutput streamed (in-progress) transactions are held in memory up to memory_limit_bytes,
  // then spill to files in spill_directory (default: $TMPDIR/sabot-cdc-spill/<system id>-<slot>).
  size_t memory_limit_bytes = 64 * 1024 * 1024;
  std::string spill_directory;

  SnapshotMode snapshot = SnapshotMode::Never;
  // Chunks of tables (several of one table too) are read by this many worker connections at once.
  int snapshot_workers = 2;
  // Rows per chunk of a table with a key (each chunk is one short REPEATABLE READ transaction);
  // tables without a primary key or replica identity index are read whole, in one chunk.
  int64_t snapshot_chunk_rows = 50000;
  // The snapshot's progress file (see README "Snapshots"); empty = the default place,
  // $XDG_STATE_HOME/sabot-cdc/<system id>-<slot>.snapshot (else ~/.local/state/sabot-cdc/...).
  std::string snapshot_state_path;

  // Diagnostics (reconnects, heartbeat failures). Default: a line on stderr.
  std::function<void(std::string_view message)> log;

  // When set, the connector counts into it as it streams (metrics.hpp); shared with whoever
  // exports it, e.g. a MetricsServer. Null: no metrics, no cost.
  std::shared_ptr<StreamMetrics> metrics;
};

// Prefix of the heartbeat messages; such messages are consumed by the connector itself.
inline constexpr std::string_view kHeartbeatPrefix = "sabot_heartbeat";

}  // namespace sabot
