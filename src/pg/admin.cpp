#include "pg/admin.hpp"

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "pg/reply_values.hpp"
#include "sabot/error.hpp"

namespace sabot::pg {

namespace {

int64_t setting_int(PgConnection& conn, const char* name) {
  const std::string query = fmt::format("SELECT current_setting('{}')", name);
  PgResult r = conn.exec(query, "reading settings");
  return reply_int(r.get(0, 0), query);
}

std::optional<Lsn> lsn_or_null(const PgResult& r, int row, int col) {
  if (r.is_null(row, col)) return std::nullopt;
  auto lsn = Lsn::parse(r.get(row, col));
  if (!lsn) {
    throw CdcError(ErrorKind::Server,
                   fmt::format("reading pg_replication_slots: the server answered '{}' where an "
                               "LSN was expected",
                               r.get(row, col)));
  }
  return lsn;
}

std::optional<int64_t> int_or_null(const PgResult& r, int row, int col) {
  if (r.is_null(row, col)) return std::nullopt;
  return reply_int(r.get(row, col), "reading pg_replication_slots");
}

constexpr const char* kSlotQuery =
    "SELECT slot_name, coalesce(plugin, ''), slot_type, coalesce(database, ''), active, "
    "active_pid, restart_lsn, confirmed_flush_lsn, "
    "CASE WHEN restart_lsn IS NULL THEN NULL ELSE "
    "  pg_wal_lsn_diff(CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() "
    "                  ELSE pg_current_wal_lsn() END, restart_lsn)::bigint END, "
    "CASE WHEN confirmed_flush_lsn IS NULL THEN NULL ELSE "
    "  pg_wal_lsn_diff(CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() "
    "                  ELSE pg_current_wal_lsn() END, confirmed_flush_lsn)::bigint END, "
    "coalesce(wal_status, '') "
    "FROM pg_replication_slots";

SlotInfo slot_from_row(const PgResult& r, int row) {
  SlotInfo s;
  s.name = std::string(r.get(row, 0));
  s.plugin = std::string(r.get(row, 1));
  s.slot_type = std::string(r.get(row, 2));
  s.database = std::string(r.get(row, 3));
  s.active = r.get(row, 4) == "t";
  if (!r.is_null(row, 5)) {
    s.active_pid = reply_int32(r.get(row, 5), "reading pg_replication_slots");
  }
  s.restart_lsn = lsn_or_null(r, row, 6);
  s.confirmed_flush_lsn = lsn_or_null(r, row, 7);
  s.retained_wal_bytes = int_or_null(r, row, 8);
  s.lag_bytes = int_or_null(r, row, 9);
  s.wal_status = std::string(r.get(row, 10));
  return s;
}

std::optional<double> flush_lag(PgConnection& conn, int pid) {
  const std::string query = fmt::format(
      "SELECT coalesce(extract(epoch FROM flush_lag), 0) FROM pg_stat_replication WHERE pid = {}",
      pid);
  PgResult r = conn.exec(query, "reading pg_stat_replication");
  if (r.rows() == 0) return std::nullopt;
  return reply_double(r.get(0, 0), query);
}

}  // namespace

void check_server_settings(PgConnection& conn) {
  PgResult r = conn.exec("SELECT current_setting('wal_level')", "reading wal_level");
  const std::string wal_level(r.get(0, 0));
  if (wal_level != "logical") {
    throw CdcError(ErrorKind::ServerSetting,
                   fmt::format("wal_level is '{}' but logical decoding needs 'logical'. Fix: "
                               "ALTER SYSTEM SET wal_level = logical; then restart PostgreSQL",
                               wal_level));
  }
  if (setting_int(conn, "max_replication_slots") < 1) {
    throw CdcError(ErrorKind::ServerSetting,
                   "max_replication_slots is 0 but a logical slot is needed. Fix: ALTER SYSTEM "
                   "SET max_replication_slots = 10; then restart PostgreSQL");
  }
  if (setting_int(conn, "max_wal_senders") < 1) {
    throw CdcError(ErrorKind::ServerSetting,
                   "max_wal_senders is 0 but streaming needs a WAL sender. Fix: ALTER SYSTEM SET "
                   "max_wal_senders = 10; then restart PostgreSQL");
  }
}

std::vector<SlotInfo> list_slots(PgConnection& conn) {
  PgResult r = conn.exec(std::string(kSlotQuery) + " ORDER BY slot_name", "listing slots");
  std::vector<SlotInfo> slots;
  for (int i = 0; i < r.rows(); ++i) slots.push_back(slot_from_row(r, i));
  return slots;
}

std::optional<SlotInfo> find_slot(PgConnection& conn, const std::string& name) {
  PgResult r = conn.exec(
      fmt::format("{} WHERE slot_name = {}", kSlotQuery, conn.quote_literal(name)),
      "looking up the slot");
  if (r.rows() == 0) return std::nullopt;
  return slot_from_row(r, 0);
}

bool ensure_slot(PgConnection& conn, const std::string& name, Plugin plugin, bool temporary) {
  validate_slot_name(name);
  const char* wanted = to_string(plugin);
  if (auto slot = find_slot(conn, name)) {
    if (slot->slot_type != "logical") {
      throw CdcError(ErrorKind::Config,
                     fmt::format("slot \"{}\" is a physical slot; logical decoding needs a logical "
                                 "slot. Choose another --slot name",
                                 name));
    }
    if (slot->plugin != wanted) {
      throw CdcError(ErrorKind::Config,
                     fmt::format("slot \"{}\" uses plugin {} but {} was asked for. Pass --plugin "
                                 "{} or use another --slot",
                                 name, slot->plugin, wanted, slot->plugin));
    }
    PgResult db = conn.exec("SELECT current_database()", "reading the database name");
    if (slot->database != db.get(0, 0)) {
      throw CdcError(ErrorKind::Config,
                     fmt::format("slot \"{}\" belongs to database \"{}\", not \"{}\". Connect to "
                                 "that database or use another --slot",
                                 name, slot->database, db.get(0, 0)));
    }
    return false;
  }
  conn.exec(fmt::format("SELECT pg_create_logical_replication_slot({}, {}, {})",
                        conn.quote_literal(name), conn.quote_literal(wanted),
                        temporary ? "true" : "false"),
            fmt::format("creating slot \"{}\" with plugin {}", name, wanted));
  return true;
}

void drop_slot(PgConnection& conn, const std::string& name) {
  auto slot = find_slot(conn, name);
  if (!slot) {
    throw CdcError(ErrorKind::SlotMissing,
                   fmt::format("replication slot \"{}\" does not exist ('sabot-cdc slots' lists "
                               "the slots)",
                               name));
  }
  if (slot->active) {
    throw CdcError(ErrorKind::SlotInUse,
                   fmt::format("replication slot \"{}\" is active (PID {}): stop the process that "
                               "streams from it first, then drop it",
                               name, slot->active_pid.value_or(0)));
  }
  conn.exec(fmt::format("SELECT pg_drop_replication_slot({})", conn.quote_literal(name)),
            fmt::format("dropping slot \"{}\"", name));
}

std::vector<TableName> matching_tables(PgConnection& conn, const TableFilter& filter,
                                      Partitions partitions) {
  PgResult r = conn.exec(
      fmt::format(
          "SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = "
          "c.relnamespace WHERE c.relkind IN ('r', 'p') {} "
          "AND n.nspname NOT IN ('pg_catalog', 'information_schema') "
          "AND n.nspname NOT LIKE 'pg_toast%' AND n.nspname NOT LIKE 'pg_temp%' "
          "ORDER BY 1, 2",
          partitions == Partitions::Included ? "" : "AND NOT c.relispartition"),
      "listing tables");
  std::vector<TableName> tables;
  for (int i = 0; i < r.rows(); ++i) {
    TableName t{std::string(r.get(i, 0)), std::string(r.get(i, 1))};
    if (filter.matches(t.schema, t.table)) tables.push_back(std::move(t));
  }
  return tables;
}

bool publication_exists(PgConnection& conn, const std::string& name) {
  PgResult r = conn.exec(
      fmt::format("SELECT 1 FROM pg_publication WHERE pubname = {}", conn.quote_literal(name)),
      "looking up the publication");
  return r.rows() > 0;
}

namespace {

std::string qualified(PgConnection& conn, const TableName& t) {
  return conn.quote_identifier(t.schema) + "." + conn.quote_identifier(t.table);
}

std::string patterns_text(const TableFilter& filter) {
  std::string out;
  for (const auto& p : filter.patterns()) out += (out.empty() ? "" : ", ") + p.text();
  return out;
}

}  // namespace

PublicationAction ensure_publication(PgConnection& conn, const std::string& name,
                                     const TableFilter& filter) {
  const std::string pub = conn.quote_identifier(name);
  const bool exists = publication_exists(conn, name);
  if (filter.empty()) {
    if (exists) return PublicationAction::Exists;
    conn.exec(fmt::format("CREATE PUBLICATION {} FOR ALL TABLES", pub),
              fmt::format("creating publication \"{}\"", name));
    return PublicationAction::Created;
  }
  const std::vector<TableName> tables = matching_tables(conn, filter);
  if (tables.empty()) {
    throw CdcError(ErrorKind::Config,
                   fmt::format("no table matches the patterns [{}], so publication \"{}\" would "
                               "be empty. Create the tables first, or omit --tables to publish "
                               "all tables",
                               patterns_text(filter), name));
  }
  if (!exists) {
    std::string list;
    for (const auto& t : tables) list += (list.empty() ? "" : ", ") + qualified(conn, t);
    conn.exec(fmt::format("CREATE PUBLICATION {} FOR TABLE {}", pub, list),
              fmt::format("creating publication \"{}\"", name));
    return PublicationAction::Created;
  }
  PgResult all = conn.exec(
      fmt::format("SELECT puballtables FROM pg_publication WHERE pubname = {}",
                  conn.quote_literal(name)),
      "reading the publication");
  if (all.get(0, 0) == "t") return PublicationAction::Exists;
  PgResult have = conn.exec(
      fmt::format("SELECT schemaname, tablename FROM pg_publication_tables WHERE pubname = {}",
                  conn.quote_literal(name)),
      "reading the publication's tables");
  std::set<std::pair<std::string, std::string>> present;
  for (int i = 0; i < have.rows(); ++i) {
    present.emplace(std::string(have.get(i, 0)), std::string(have.get(i, 1)));
  }
  std::string missing;
  for (const auto& t : tables) {
    if (!present.count({t.schema, t.table})) {
      missing += (missing.empty() ? "" : ", ") + qualified(conn, t);
    }
  }
  if (missing.empty()) return PublicationAction::Exists;
  conn.exec(fmt::format("ALTER PUBLICATION {} ADD TABLE {}", pub, missing),
            fmt::format("adding tables to publication \"{}\"", name));
  return PublicationAction::Altered;
}

std::vector<SlotStatus> slot_status(PgConnection& conn, std::string_view only_slot) {
  std::vector<SlotStatus> rows;
  for (SlotInfo& slot : list_slots(conn)) {
    if (!only_slot.empty() && slot.name != only_slot) continue;
    if (slot.slot_type != "logical") continue;
    SlotStatus row;
    if (slot.active && slot.active_pid) row.flush_lag_seconds = flush_lag(conn, *slot.active_pid);
    row.slot = std::move(slot);
    rows.push_back(std::move(row));
  }
  if (!only_slot.empty() && rows.empty()) {
    throw CdcError(ErrorKind::SlotMissing,
                   fmt::format("no logical replication slot named \"{}\" ('sabot-cdc slots' "
                               "lists the slots)",
                               only_slot));
  }
  return rows;
}

std::string current_database(PgConnection& conn) {
  return std::string(conn.exec("SELECT current_database()", "reading the database name").get(0, 0));
}

}  // namespace sabot::pg
