// Redis sink: keeps a Redis cache of rows in step with the change stream, or appends every change
// to Redis Streams. Use it with run_sink() (see sink.hpp) or from the CLI:
//   sabot-cdc stream --sink redis://127.0.0.1:6379/0 --redis-mode upsert --redis-ttl 300
//
// Keys: a row lives at "<prefix>:<schema>.<table>:<key>", where <key> is the primary-key (replica
// identity) values joined by ':' (a ':' or '\' inside a value is escaped with '\').
//
// Modes (what one change does to the row's key):
//   Invalidate  insert/update/delete: DEL the key (an update that changes the key: both keys).
//   Upsert      insert/update: write the row; delete: DEL the key.
//   Refresh     like Upsert, but only keys already cached are written ("smart update" for a
//               cache-aside cache filled by readers, see RedisCacheClient); delete: DEL the key.
//   Stream      XADD every insert/update/delete/truncate to a Redis Stream: one per table
//               ("<prefix>:<schema>.<table>") or one for all (stream_key).
//
// Ordering (the "LSN fence"): every row write is a Lua script that compares the event's position
// (commit_lsn, seq) with the position stored with the row (hash field or JSON member "_lsn":
// 16 hex digits of commit LSN then 8 of seq) and with the row's fence key
// "<prefix>:~fence:<schema>.<table>:<key>", which holds the position and xid of the last change
// applied to the row for fence_ttl — after a delete it is the row's tombstone. An older or
// repeated change never overwrites a newer one. A stream entry's ID is
// "<commit_lsn as integer>-<seq>", so a redelivered change is refused by Redis itself (counted as
// a duplicate): streams written by this sink must not also receive XADD with '*' IDs.
//
// Partial rows: an update may leave out large values that did not change (unchanged TOAST;
// pgoutput flags them, wal2json omits them — the sink takes an update lacking a column the
// table's last insert had as partial). A partial row is merged into a cached hash, and otherwise
// never written: the key is removed instead.
//
// Durability: write() pipelines the batch's commands and returns only once Redis replied to every
// one without error; otherwise it throws CdcError{Consumer} and the batch is not acknowledged.
// Standalone Redis only (the scripts touch several keys, so Redis Cluster is not supported).
//
// Threading: a sink and a cache client are each used by one thread at a time.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sabot/format.hpp"
#include "sabot/sink.hpp"

namespace sabot {

enum class RedisMode { Invalidate, Upsert, Refresh, Stream };
enum class RedisRowFormat {
  Hash,  // one hash field per column, PostgreSQL's text form; a NULL column has no field
  Json,  // a string holding a JSON object, values as in `sabot-cdc stream` output
};

struct RedisSinkOptions {
  // redis://[[USER]:PASSWORD@]HOST[:PORT][/DB]; PORT defaults to 6379, DB to 0.
  std::string url = "redis://127.0.0.1:6379";
  RedisMode mode = RedisMode::Upsert;
  RedisRowFormat format = RedisRowFormat::Hash;
  std::string prefix = "sabot";

  // Expiry of row keys, set when a row is written or filled and renewed on every refresh.
  // table_ttl: (table pattern as in PostgresCdcConfig::tables, ttl); the first match wins, then
  // default_ttl. Zero = no expiry.
  std::chrono::milliseconds default_ttl{0};
  std::vector<std::pair<std::string, std::chrono::milliseconds>> table_ttl;
  // How long a row's fence key (position and xid of its last change; a deleted row's tombstone)
  // is kept. Changes redelivered within it are recognised as old; fills check it (see
  // RedisCacheClient). Must exceed the longest time a reader takes from reading the database to
  // filling the cache.
  std::chrono::milliseconds fence_ttl{std::chrono::minutes(10)};

  // Key columns per table pattern, when the stream's identity is not the key you want: pgoutput
  // reports every column as identity for REPLICA IDENTITY FULL tables. First match wins.
  std::vector<std::pair<std::string, std::vector<std::string>>> key_columns;

  // Stream mode: empty = one stream per table; otherwise the one stream every change goes to.
  std::string stream_key;
  // Stream mode: trim each stream to about this many entries (XADD MAXLEN ~); 0 = never trim.
  size_t stream_max_length = 0;
  // Stream mode: the format of each entry's "event" field (format.hpp); the op, table and key
  // fields stay as they are. No BEGIN / END entries: transaction metadata only adds each
  // event's "transaction" block.
  FormatOptions stream_format;

  std::chrono::milliseconds timeout{5000};  // connect and per-reply timeout
  // false: make_redis_sink connects at once and throws when Redis cannot be reached. true: it
  // only checks the options; connect() (run_sink calls it first, retrying a refused or lost
  // connection under its policy) or the first write connects, so a Redis that is down when the
  // stream starts is waited for. The CLI sets it.
  bool connect_lazily = false;
};

// What the sink did, summed over every write().
struct RedisSinkStats {
  uint64_t batches = 0;
  uint64_t rows_written = 0;       // upsert/refresh wrote the row
  uint64_t rows_deleted = 0;       // delete (or invalidate, or a partial row) removed the key
  uint64_t not_cached = 0;         // refresh: the key was not cached, nothing to refresh
  uint64_t stale_skipped = 0;      // the stored position was newer or equal: change not applied
  uint64_t stream_entries = 0;     // XADD accepted
  uint64_t stream_duplicates = 0;  // XADD refused an ID at or below the stream's last (redelivery)
  uint64_t truncated_keys = 0;     // keys removed because their table was truncated
};

class RedisSink : public Sink {
 public:
  virtual const RedisSinkStats& stats() const = 0;
};

// Connects (and authenticates / selects the DB) right away unless options.connect_lazily. Throws
// CdcError{Config} for a bad option or URL, CdcError{Consumer} when Redis cannot be reached.
std::unique_ptr<RedisSink> make_redis_sink(const RedisSinkOptions& options);

// Parsing helpers for command lines and configuration files. Each throws CdcError{Config} naming
// the text and the accepted forms.
RedisMode parse_redis_mode(std::string_view text);             // invalidate|upsert|refresh|stream
RedisRowFormat parse_redis_row_format(std::string_view text);  // hash|json
// "SECONDS" sets default_ttl; "PATTERN=SECONDS" appends to table_ttl.
void add_redis_ttl_spec(RedisSinkOptions& options, std::string_view spec);
// "PATTERN=COL[,COL...]" appends to key_columns.
void add_redis_key_columns_spec(RedisSinkOptions& options, std::string_view spec);

// The key of a row: "<prefix>:<schema>.<table>:<v1>:<v2>...", values escaped as described above.
std::string redis_row_key(std::string_view prefix, std::string_view schema, std::string_view table,
                          const std::vector<std::string>& key_values);

// Cache-aside reads against a cache that a RedisSink in Refresh (or Upsert) mode, Hash format,
// keeps current. On a miss the row is read from the database together with its xmin (the id of
// the transaction that wrote that row version: SELECT xmin, ... FROM t WHERE ...), and stored only
// if that is the version of the last change the sink applied to the row (the fence key's xid), or
// the sink applied none lately. So a reader whose snapshot missed a change the sink has already
// applied, or that read while a change was being applied, never caches a stale row; it returns
// what it read and leaves the key empty for the next reader. After a TRUNCATE, fills of that
// table wait for fence_ttl. Rows written inside a savepoint carry a subtransaction's xmin: their
// fills wait until the fence key expires.
class RedisCacheClient {
 public:
  // column → text form; a NULL column is absent (as in the cached hash).
  using Row = std::map<std::string, std::string>;
  struct LoadedRow {
    Row row;
    uint32_t xmin = 0;  // the row version's xmin
  };
  // Reads the row from the database; nullopt if there is no such row.
  using Loader = std::function<std::optional<LoadedRow>()>;

  enum class Source { Cache, Database, Missing };
  struct Lookup {
    std::optional<Row> row;
    Source source = Source::Missing;
    bool filled = false;  // the row read from the database was stored in the cache
  };

  // Uses url, prefix, format (must be Hash), default_ttl/table_ttl of `options`.
  explicit RedisCacheClient(const RedisSinkOptions& options);
  ~RedisCacheClient();
  RedisCacheClient(const RedisCacheClient&) = delete;
  RedisCacheClient& operator=(const RedisCacheClient&) = delete;

  // The cached row, or nullopt on a miss.
  std::optional<Row> get_cached(std::string_view schema, std::string_view table,
                                const std::vector<std::string>& key_values);
  // Cache hit, or load() and fill as described above. Throws CdcError{Consumer} on Redis errors.
  Lookup get(std::string_view schema, std::string_view table,
             const std::vector<std::string>& key_values, const Loader& load);

  // Every cached row of a table, with its key values and remaining TTL (-1 ms: none). Uses SCAN,
  // so it is safe on a live server; rows changing meanwhile may or may not be seen. For audits.
  struct CachedEntry {
    std::vector<std::string> key_values;
    Row row;
    std::chrono::milliseconds ttl{-1};
  };
  std::vector<CachedEntry> scan(std::string_view schema, std::string_view table);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sabot
