// The SQL a table snapshot runs on a regular connection: which tables to read and by which key,
// the watermark messages, and one chunk read inside a REPEATABLE READ transaction in bounded
// pieces (by COPY, or through a cursor).
//
// Errors: CdcError classified by SQLSTATE (PgConnection::exec); a table the role may not SELECT
// is CdcError{Config} naming the GRANT to run.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "pg/pg_connection.hpp"
#include "pg/row_piece.hpp"
#include "sabot/lsn.hpp"
#include "sabot/table_pattern.hpp"

namespace sabot::pg {

// Prefix of the watermark and request messages; the stream consumes them itself.
inline constexpr std::string_view kSnapshotMessagePrefix = "sabot_snapshot";

struct SnapshotTable {
  std::string schema;
  std::string table;
  uint32_t oid = 0;
  // The columns ordering the chunks: the primary key, else the replica identity index; empty when
  // the table has neither (read whole, in one chunk).
  std::vector<std::string> chunk_key;
  std::vector<std::string> chunk_key_types;  // format_type() of each, for the cast of a bound
  int64_t estimated_rows = 0;                // pg_class.reltuples (0 when never analyzed)
  bool partitioned_root = false;  // read with its partitions (publish_via_partition_root)
};

// The tables whose rows the stream names as they are stored: ordinary tables and partitions
// (partitioned parents hold no rows; pgoutput names a partition's changes by the partition unless
// the publication publishes via the root, in which case the root is read instead). Matching
// `filter` and, when `publication` is not empty (pgoutput), published by it; sorted.
// `via_root`: the publication has publish_via_partition_root.
std::vector<SnapshotTable> snapshot_tables(PgConnection& conn, const TableFilter& filter,
                                           bool via_root, const std::string& publication);
// The one table of that name (nullopt when it does not exist, or is a partitioned parent while
// `via_root` is false).
std::optional<SnapshotTable> find_snapshot_table(PgConnection& conn, const std::string& schema,
                                                 const std::string& table, bool via_root);
bool publication_via_root(PgConnection& conn, const std::string& publication);

// The columns of a table as logical replication sends them (no dropped or generated ones), in
// table order, with their type and whether they belong to the replica identity; read in the
// caller's transaction, so a chunk's rows and their shape agree.
struct ReadColumn {
  std::string name;
  uint32_t type_oid = 0;
  std::string type_name;  // format_type() with modifier
  bool identity = false;
};
std::vector<ReadColumn> read_columns(PgConnection& conn, uint32_t table_oid);

using KeyText = std::vector<std::optional<std::string>>;

// The greatest chunk key of the table now (nullopt when it is empty): a snapshot reads up to it
// and no further, since rows with greater keys came later and reach the stream as inserts — so a
// table that grows at its end while being read is still read to an end.
// Whether the relation with `oid` still exists (false once dropped; a renamed table still does).
bool relation_exists(PgConnection& conn, uint32_t oid);

std::optional<KeyText> greatest_chunk_key(PgConnection& conn, const SnapshotTable& table);

// Where a chunk of `rows` rows starting after `after` (from the first when nullopt) ends: the
// chunk key of the `rows`-th row after it, at most `upper` — nullopt when fewer rows are left
// (the chunk then runs to `upper`). Read outside any chunk's snapshot: a bound only needs to split
// the keys, each chunk's own snapshot decides which rows it holds.
std::optional<KeyText> chunk_boundary(PgConnection& conn, const SnapshotTable& table,
                                      const std::optional<KeyText>& after,
                                      const std::optional<KeyText>& upper, int64_t rows);

// The SELECT of one chunk: `columns` of rows with a chunk key after `after` (from the first
// when nullopt) and at most `upper`, ordered by the key, at most `limit` rows (0 = no limit).
std::string chunk_select(PgConnection& conn, const SnapshotTable& table,
                         const std::vector<std::string>& columns,
                         const std::optional<KeyText>& after, const std::optional<KeyText>& upper,
                         int64_t limit);

// Throws CdcError{Config} naming `GRANT SELECT ON ... TO ...` when the role may not read it.
void require_select(PgConnection& conn, const SnapshotTable& table);

// pg_logical_emit_message(false, kSnapshotMessagePrefix, content): returns the message's LSN.
Lsn emit_snapshot_message(PgConnection& conn, const std::string& content, bool transactional);

// One chunk read in one REPEATABLE READ READ ONLY transaction, through a cursor.
class ChunkRead {
 public:
  // BEGIN ISOLATION LEVEL REPEATABLE READ, an ACCESS SHARE lock on `table` (so no DDL lands
  // between the snapshot and the read), then the snapshot (pg_current_snapshot()). Throws
  // CdcError as PgConnection::exec does (42P01 when the table was dropped or renamed).
  ChunkRead(PgConnection& conn, const SnapshotTable& table);
  ~ChunkRead();  // rolls back if still open
  ChunkRead(const ChunkRead&) = delete;
  ChunkRead& operator=(const ChunkRead&) = delete;

  const std::string& snapshot() const { return snapshot_; }
  // The session has a statement_timeout (the role's, the database's or the server's).
  bool statement_timeout() const { return statement_timeout_; }
  // Starts reading `select` (after the high watermark was written), either as one
  // `COPY (select) TO STDOUT` — the server's cheapest way to send rows, one statement — or, with
  // `by_cursor`, through a cursor fetched piece by piece, each FETCH a statement of its own (so
  // statement_timeout bounds a piece, not the table, nor the time the reader waits for the
  // stream between pieces).
  void start(const std::string& select, bool by_cursor);
  // The next piece: up to `rows` rows or, reading by COPY, until the piece holds `bytes` bytes
  // of values; fewer rows (perhaps none) at the end. Throws CdcError as PgConnection::exec does.
  std::shared_ptr<RowPiece> next_piece(int columns, int rows, size_t bytes);
  // The last piece was the chunk's last.
  bool finished() const { return finished_; }
  void commit();

 private:
  PgConnection& conn_;
  std::string snapshot_;
  bool open_ = true;
  bool by_cursor_ = false;
  bool statement_timeout_ = false;
  bool finished_ = false;
  std::optional<CopyOut> copy_;  // while reading by COPY
  size_t last_piece_bytes_ = 0;   // the values of the piece read last
};

}  // namespace sabot::pg
