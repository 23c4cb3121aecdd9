#include "pg/preflight_facts.hpp"

#include <unistd.h>

#include <fmt/format.h>

#include "pg/reply_values.hpp"

namespace sabot::pg {

namespace {

// pg_settings.setting is in the setting's base unit (MB for max_slot_wal_keep_size, ms for
// wal_sender_timeout), where current_setting() would answer "1GB" or "1min".
int64_t setting(PgConnection& conn, const char* name) {
  const std::string query =
      fmt::format("SELECT setting FROM pg_settings WHERE name = {}", conn.quote_literal(name));
  PgResult r = conn.exec(query, "reading settings");
  if (r.rows() == 0) return 0;
  return reply_int(r.get(0, 0), query);
}

int64_t count(PgConnection& conn, const char* query) {
  return reply_int(conn.exec(query, "reading server state").get(0, 0), query);
}

}  // namespace

ServerFacts read_server_facts(PgConnection& conn) {
  ServerFacts f;
  f.wal_level =
      std::string(conn.exec("SELECT current_setting('wal_level')", "reading wal_level").get(0, 0));
  f.max_replication_slots = setting(conn, "max_replication_slots");
  f.slots_used = count(conn, "SELECT count(*) FROM pg_replication_slots");
  f.max_wal_senders = setting(conn, "max_wal_senders");
  f.wal_senders_used = count(conn, "SELECT count(*) FROM pg_stat_replication");
  f.max_slot_wal_keep_size_mb = setting(conn, "max_slot_wal_keep_size");
  f.wal_sender_timeout_ms = setting(conn, "wal_sender_timeout");
  PgResult role = conn.exec(
      "SELECT rolname, rolreplication, rolsuper FROM pg_roles WHERE rolname = current_user",
      "reading the role");
  if (role.rows() > 0) {
    f.role = std::string(role.get(0, 0));
    f.role_replication = role.get(0, 1) == "t";
    f.role_superuser = role.get(0, 2) == "t";
  }
  return f;
}

std::vector<TableFacts> read_table_facts(PgConnection& conn, const TableFilter& filter) {
  PgResult r = conn.exec(
      "SELECT n.nspname, c.relname, "
      "  EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary), "
      "  c.relreplident, has_table_privilege(c.oid, 'SELECT') "
      "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
      "WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition "
      "AND n.nspname NOT IN ('pg_catalog', 'information_schema') "
      "AND n.nspname NOT LIKE 'pg_toast%' AND n.nspname NOT LIKE 'pg_temp%' "
      "ORDER BY 1, 2",
      "listing tables");
  std::vector<TableFacts> tables;
  for (int i = 0; i < r.rows(); ++i) {
    TableFacts t;
    t.schema = std::string(r.get(i, 0));
    t.table = std::string(r.get(i, 1));
    if (!filter.matches(t.schema, t.table)) continue;
    t.has_primary_key = r.get(i, 2) == "t";
    t.replica_identity = r.get(i, 3).empty() ? 'd' : r.get(i, 3)[0];
    t.can_select = r.get(i, 4) == "t";
    tables.push_back(std::move(t));
  }
  return tables;
}

PublicationFacts read_publication(PgConnection& conn, const std::string& name) {
  PublicationFacts p;
  PgResult pub = conn.exec(fmt::format("SELECT puballtables FROM pg_publication WHERE pubname = {}",
                                       conn.quote_literal(name)),
                           "reading the publication");
  if (pub.rows() == 0) return p;
  p.exists = true;
  p.all_tables = pub.get(0, 0) == "t";
  // pg_publication_tables lists every table of a FOR ALL TABLES publication too, and a
  // partitioned table's leaves unless it publishes via the root.
  PgResult tables = conn.exec(
      fmt::format("SELECT pt.schemaname, pt.tablename, rn.nspname, rc.relname "
                  "FROM pg_publication_tables pt "
                  "JOIN pg_namespace n ON n.nspname = pt.schemaname "
                  "JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = pt.tablename "
                  "JOIN pg_class rc ON rc.oid = coalesce(pg_partition_root(c.oid), c.oid) "
                  "JOIN pg_namespace rn ON rn.oid = rc.relnamespace "
                  "WHERE pt.pubname = {} ORDER BY 1, 2",
                  conn.quote_literal(name)),
      "reading the publication's tables");
  for (int i = 0; i < tables.rows(); ++i) {
    p.tables.emplace_back(std::string(tables.get(i, 0)), std::string(tables.get(i, 1)));
    p.roots.emplace_back(std::string(tables.get(i, 2)), std::string(tables.get(i, 3)));
  }
  return p;
}

void probe_plugin(PgConnection& conn, Plugin plugin) {
  // A temporary slot disappears with the session even if the drop is never reached.
  const std::string slot = fmt::format("sabot_check_{}", ::getpid());
  conn.exec(fmt::format("SELECT pg_drop_replication_slot(slot_name) FROM "
                        "pg_create_logical_replication_slot({}, {}, true)",
                        conn.quote_literal(slot), conn.quote_literal(to_string(plugin))),
            fmt::format("loading output plugin {}", to_string(plugin)));
}

}  // namespace sabot::pg
