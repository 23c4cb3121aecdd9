#include "pg/snapshot_queries.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "base/sql_quote.hpp"
#include "pg/reply_values.hpp"
#include "sabot/error.hpp"

namespace sabot::pg {

namespace {

constexpr const char* kTablesQuery =
    "SELECT n.nspname, c.relname, c.oid, c.relkind, c.relispartition, "
    "  greatest(c.reltuples, 0)::bigint "
    "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE c.relkind IN ('r', 'p') AND c.relpersistence = 'p' "
    "  AND n.nspname NOT IN ('pg_catalog', 'information_schema') "
    "  AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%' {} "
    "ORDER BY 1, 2";

constexpr const char* kColumnsQuery =
    "SELECT a.attname, a.atttypid, format_type(a.atttypid, a.atttypmod), "
    "  CASE c.relreplident WHEN 'f' THEN true WHEN 'n' THEN false "
    "    ELSE a.attnum = ANY(coalesce((SELECT i.indkey::int2[] FROM pg_index i "
    "      WHERE i.indrelid = c.oid AND CASE c.relreplident WHEN 'i' THEN i.indisreplident "
    "                                   ELSE i.indisprimary END LIMIT 1), '{{}}'::int2[])) END "
    "FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
    "WHERE a.attrelid = {} AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = '' "
    "ORDER BY a.attnum";

// The primary key's columns, else the replica identity index's, in index order.
constexpr const char* kKeyQuery =
    "SELECT a.attname, format_type(a.atttypid, a.atttypmod) "
    "FROM pg_index i CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord) "
    "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum "
    "WHERE i.indexrelid = (SELECT indexrelid FROM pg_index WHERE indrelid = {} "
    "                        AND (indisprimary OR indisreplident) "
    "                      ORDER BY indisprimary DESC LIMIT 1) "
    "ORDER BY k.ord";

std::string qualified(PgConnection& conn, const SnapshotTable& table) {
  return conn.quote_identifier(table.schema) + "." + conn.quote_identifier(table.table);
}

void read_chunk_key(PgConnection& conn, SnapshotTable& table) {
  PgResult r = conn.exec(fmt::format(kKeyQuery, table.oid), "reading a table's key columns");
  for (int row = 0; row < r.rows(); ++row) {
    table.chunk_key.emplace_back(r.get(row, 0));
    table.chunk_key_types.emplace_back(r.get(row, 1));
  }
}

std::string column_list(PgConnection& conn, const std::vector<std::string>& columns) {
  std::string list;
  for (const std::string& column : columns) {
    if (!list.empty()) list += ", ";
    list += conn.quote_identifier(column);
  }
  return list;
}

}  // namespace

namespace {

std::string key_literal(PgConnection& conn, const SnapshotTable& table, const KeyText& key) {
  std::string bound;
  for (size_t i = 0; i < table.chunk_key.size(); ++i) {
    if (!bound.empty()) bound += ", ";
    const std::optional<std::string>& part = key[i];
    bound += part ? conn.quote_literal(*part) + "::" + table.chunk_key_types[i] : "NULL";
  }
  return bound;
}

std::string from_clause(PgConnection& conn, const SnapshotTable& table) {
  return fmt::format(" FROM {}{}", table.partitioned_root ? "" : "ONLY ", qualified(conn, table));
}

// The key columns of a one-row result, or nullopt when it has no row.
std::optional<KeyText> first_row_key(const PgResult& r) {
  if (r.rows() == 0) return std::nullopt;
  KeyText key;
  for (int column = 0; column < r.columns(); ++column) key.push_back(r.get_optional(0, column));
  return key;
}

}  // namespace

std::optional<KeyText> greatest_chunk_key(PgConnection& conn, const SnapshotTable& table) {
  const std::string key = column_list(conn, table.chunk_key);
  std::string order;
  for (const std::string& column : table.chunk_key) {
    order += (order.empty() ? "" : ", ") + conn.quote_identifier(column) + " DESC";
  }
  return first_row_key(conn.exec(
      fmt::format("SELECT {}{} ORDER BY {} LIMIT 1", key, from_clause(conn, table), order),
      "reading where a table's snapshot ends"));
}

std::string chunk_select(PgConnection& conn, const SnapshotTable& table,
                         const std::vector<std::string>& columns,
                         const std::optional<KeyText>& after, const std::optional<KeyText>& upper,
                         int64_t limit) {
  std::string sql = "SELECT " + column_list(conn, columns) + from_clause(conn, table);
  if (table.chunk_key.empty()) return sql;
  const std::string key = column_list(conn, table.chunk_key);
  std::vector<std::string> conditions;
  if (after) conditions.push_back(fmt::format("({}) > ({})", key, key_literal(conn, table, *after)));
  if (upper) conditions.push_back(fmt::format("({}) <= ({})", key, key_literal(conn, table, *upper)));
  for (size_t i = 0; i < conditions.size(); ++i) sql += (i == 0 ? " WHERE " : " AND ") + conditions[i];
  sql += fmt::format(" ORDER BY {}", key);
  if (limit > 0) sql += fmt::format(" LIMIT {}", limit);
  return sql;
}

std::optional<KeyText> chunk_boundary(PgConnection& conn, const SnapshotTable& table,
                                      const std::optional<KeyText>& after,
                                      const std::optional<KeyText>& upper, int64_t rows) {
  const std::string sql = chunk_select(conn, table, table.chunk_key, after, upper, 0) +
                          fmt::format(" OFFSET {} LIMIT 1", std::max<int64_t>(rows, 1) - 1);
  return first_row_key(conn.exec(sql, "splitting a table into chunks"));
}

namespace {

std::vector<SnapshotTable> list_tables(PgConnection& conn, const std::string& condition,
                                       const TableFilter& filter, bool via_root) {
  PgResult r = conn.exec(fmt::format(kTablesQuery, condition), "listing the tables to snapshot");
  std::vector<SnapshotTable> tables;
  for (int row = 0; row < r.rows(); ++row) {
    const bool partitioned = r.get(row, 3) == "p";
    const bool partition = r.get(row, 4) == "t";
    if (via_root ? partition : partitioned) continue;
    SnapshotTable table;
    table.schema = std::string(r.get(row, 0));
    table.table = std::string(r.get(row, 1));
    if (!filter.matches(table.schema, table.table)) continue;
    table.oid = static_cast<uint32_t>(reply_int(r.get(row, 2), "listing the tables to snapshot"));
    table.partitioned_root = partitioned;
    table.estimated_rows = reply_int(r.get(row, 5), "listing the tables to snapshot");
    tables.push_back(std::move(table));
  }
  for (SnapshotTable& table : tables) read_chunk_key(conn, table);
  return tables;
}

}  // namespace

std::vector<SnapshotTable> snapshot_tables(PgConnection& conn, const TableFilter& filter,
                                           bool via_root, const std::string& publication) {
  if (publication.empty()) return list_tables(conn, "", filter, via_root);
  // Only what the publication publishes (pg_publication_tables names partitions, or with
  // publish_via_partition_root their published roots): no other table's changes reach the stream.
  return list_tables(conn,
                     fmt::format("AND EXISTS (SELECT 1 FROM pg_catalog.pg_publication_tables pt "
                                 "WHERE pt.pubname = {} AND pt.schemaname = n.nspname AND "
                                 "pt.tablename = c.relname)",
                                 conn.quote_literal(publication)),
                     filter, via_root);
}

std::optional<SnapshotTable> find_snapshot_table(PgConnection& conn, const std::string& schema,
                                                 const std::string& table, bool via_root) {
  const std::string condition = fmt::format("AND n.nspname = {} AND c.relname = {}",
                                            conn.quote_literal(schema), conn.quote_literal(table));
  auto tables = list_tables(conn, condition, TableFilter(), via_root);
  if (tables.empty()) return std::nullopt;
  return std::move(tables.front());
}

std::vector<ReadColumn> read_columns(PgConnection& conn, uint32_t table_oid) {
  PgResult r = conn.exec(fmt::format(kColumnsQuery, table_oid), "reading a table's columns");
  std::vector<ReadColumn> columns;
  for (int row = 0; row < r.rows(); ++row) {
    ReadColumn column;
    column.name = std::string(r.get(row, 0));
    column.type_oid = static_cast<uint32_t>(reply_int(r.get(row, 1), "reading a table's columns"));
    column.type_name = std::string(r.get(row, 2));
    column.identity = r.get(row, 3) == "t";
    columns.push_back(std::move(column));
  }
  return columns;
}

bool relation_exists(PgConnection& conn, uint32_t oid) {
  return conn.exec(fmt::format("SELECT 1 FROM pg_catalog.pg_class WHERE oid = {}", oid),
                   "looking the table up")
             .rows() == 1;
}

bool publication_via_root(PgConnection& conn, const std::string& publication) {
  PgResult r = conn.exec(fmt::format("SELECT pubviaroot FROM pg_publication WHERE pubname = {}",
                                     conn.quote_literal(publication)),
                         "reading the publication");
  return r.rows() == 1 && r.get(0, 0) == "t";
}

void require_select(PgConnection& conn, const SnapshotTable& table) {
  PgResult r = conn.exec(fmt::format("SELECT has_table_privilege({}::oid, 'SELECT'), current_user",
                                     table.oid),
                         "checking the SELECT privilege");
  if (r.rows() == 1 && r.get(0, 0) == "t") return;
  const std::string role(r.rows() == 1 ? r.get(0, 1) : "the streaming role");
  throw CdcError(ErrorKind::Config,
                 fmt::format("the snapshot cannot read {}.{}: role \"{}\" may not SELECT it. Run "
                             "as its owner or a superuser: GRANT SELECT ON {}.{} TO {};",
                             table.schema, table.table, role,
                             base::quote_identifier(table.schema, base::IdentifierQuoting::WhenNeeded),
                             base::quote_identifier(table.table, base::IdentifierQuoting::WhenNeeded),
                             base::quote_identifier(role, base::IdentifierQuoting::WhenNeeded)));
}

Lsn emit_snapshot_message(PgConnection& conn, const std::string& content, bool transactional) {
  const std::string prefix = conn.quote_literal(kSnapshotMessagePrefix);
  // A non-transactional message is not flushed by itself, and the walsender sends only flushed
  // WAL: it would wait for the WAL writer (up to wal_writer_delay, 200 ms by default). An empty
  // transactional message in the same statement commits, which flushes it too; the stream hides
  // it like every transactional message of this prefix that is not a request.
  const std::string sql =
      transactional
          ? fmt::format("SELECT pg_logical_emit_message(true, {}, {})", prefix,
                        conn.quote_literal(content))
          : fmt::format("SELECT pg_logical_emit_message(false, {}, {}), "
                        "pg_logical_emit_message(true, {}, '')",
                        prefix, conn.quote_literal(content), prefix);
  PgResult r = conn.exec(sql, "writing a snapshot watermark");
  const auto lsn = Lsn::parse(r.get(0, 0));
  if (!lsn) {
    throw CdcError(ErrorKind::Server,
                   fmt::format("pg_logical_emit_message returned '{}', not an LSN", r.get(0, 0)));
  }
  return *lsn;
}

ChunkRead::ChunkRead(PgConnection& conn, const SnapshotTable& table) : conn_(conn) {
  conn_.exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", "starting a snapshot read");
  try {
    // The lock comes before the snapshot (a transaction's snapshot is taken by its first query,
    // not by LOCK): DDL that committed after the snapshot could otherwise change the columns
    // under the read, or rewrite the table so that the snapshot sees it empty. ACCESS SHARE
    // waits only for such DDL; writers are never blocked.
    conn_.exec(fmt::format("LOCK TABLE {}{}.{} IN ACCESS SHARE MODE",
                           table.partitioned_root ? "" : "ONLY ",
                           conn_.quote_identifier(table.schema),
                           conn_.quote_identifier(table.table)),
               "locking the table against DDL for the read");
    PgResult r = conn_.exec("SELECT pg_current_snapshot()::text", "reading the MVCC snapshot");
    snapshot_ = std::string(r.get(0, 0));
    statement_timeout_ =
        conn_.exec("SHOW statement_timeout", "reading statement_timeout").get(0, 0) != "0";
  } catch (...) {
    conn_.exec("ROLLBACK", "ending a snapshot read");
    open_ = false;
    throw;
  }
}

ChunkRead::~ChunkRead() {
  copy_.reset();  // the rest of a COPY cut short is drained first
  if (!open_) return;
  try {
    conn_.exec("ROLLBACK", "ending a snapshot read");
  } catch (...) {
  }
}

void ChunkRead::start(const std::string& select, bool by_cursor) {
  by_cursor_ = by_cursor;
  if (by_cursor) {
    conn_.exec("DECLARE sabot_chunk NO SCROLL CURSOR FOR " + select, "reading a snapshot chunk");
  } else {
    copy_.emplace(conn_, "COPY (" + select + ") TO STDOUT", "reading a snapshot chunk");
  }
}

std::shared_ptr<RowPiece> ChunkRead::next_piece(int columns, int rows, size_t bytes) {
  // Sized like the piece before (the rows of a table are alike), so it seldom grows.
  auto piece = std::make_shared<RowPiece>(columns, rows, last_piece_bytes_);
  if (by_cursor_) {
    const PgResult fetched = conn_.exec(fmt::format("FETCH FORWARD {} FROM sabot_chunk", rows),
                                        "reading a snapshot chunk");
    for (int row = 0; row < fetched.rows(); ++row) piece->add_result_row(fetched, row);
    finished_ = fetched.rows() < rows;
  } else {
    while (copy_ && piece->rows() < rows && piece->text_bytes() < bytes) {
      const std::optional<std::string_view> line = copy_->next_row();
      if (!line) {
        copy_.reset();
        break;
      }
      piece->add_copy_row(*line);
    }
    finished_ = !copy_;
  }
  last_piece_bytes_ = piece->text_bytes();
  return piece;
}

void ChunkRead::commit() {
  while (copy_ && copy_->next_row()) {
  }
  copy_.reset();
  open_ = false;
  conn_.exec("COMMIT", "ending a snapshot read");
}

}  // namespace sabot::pg
