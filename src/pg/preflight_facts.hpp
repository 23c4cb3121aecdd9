// The facts `sabot-cdc check` judges, read with plain SQL on a regular connection: settings and
// how much of each limit is in use, the role, the captured tables, the publication, the plugin.
// Reading only; judging them (ok / warning / error, with the fix) is the engine's preflight.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "pg/pg_connection.hpp"
#include "sabot/config.hpp"
#include "sabot/table_pattern.hpp"

namespace sabot::pg {

struct ServerFacts {
  std::string wal_level;
  int64_t max_replication_slots = 0;
  int64_t slots_used = 0;
  int64_t max_wal_senders = 0;
  int64_t wal_senders_used = 0;
  int64_t max_slot_wal_keep_size_mb = -1;  // -1: unlimited
  int64_t wal_sender_timeout_ms = 0;       // 0: disabled
  std::string role;
  bool role_replication = false;
  bool role_superuser = false;
};

struct TableFacts {
  std::string schema;
  std::string table;
  bool has_primary_key = false;
  char replica_identity = 'd';  // pg_class.relreplident: d(efault) n(othing) f(ull) i(ndex)
  bool can_select = false;
};

struct PublicationFacts {
  bool exists = false;
  bool all_tables = false;
  std::vector<std::pair<std::string, std::string>> tables;  // (schema, table) it publishes
  // Parallel to tables: the root of each one's partition tree (the table itself when it is no
  // partition), so a published partition of a captured table is not taken for another table.
  std::vector<std::pair<std::string, std::string>> roots;
};

ServerFacts read_server_facts(PgConnection& conn);
// The ordinary and partitioned tables that match, sorted.
std::vector<TableFacts> read_table_facts(PgConnection& conn, const TableFilter& filter);
PublicationFacts read_publication(PgConnection& conn, const std::string& name);
// Whether the server can load the plugin: creates and drops a temporary slot with it. Throws the
// CdcError the server gives (MissingPlugin when the library is absent).
void probe_plugin(PgConnection& conn, Plugin plugin);

}  // namespace sabot::pg
