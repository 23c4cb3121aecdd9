// Schema changes against a real server: DDL captured by the event trigger `sabot-cdc init`
// installs arrives as schema_change events at its place between the row changes, with the columns
// after the change, for pgoutput and wal2json (formats 1 and 2); the pgoutput Relation-message
// fallback without DDL capture; init without the privilege; uninstall; the C++ schema API.
//
// Event triggers are per database, so every test works in a database of its own: what one test
// installs or removes never shows up in another's stream.
#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "json_events.hpp"
#include "local_postgres.hpp"
#include "plugin_params.hpp"
#include "sabot/sabot.hpp"
#include "text.hpp"

using namespace sabot::test;

namespace {

// "insert t", "schema_change t ALTER TABLE", ... : the shape of a stream at a glance.
std::vector<std::string> outline(const std::vector<JsonEvent>& events) {
  std::vector<std::string> out;
  for (const JsonEvent& e : events) {
    out.push_back(e.op + " " + e.table + (e.op == "schema_change" ? " " + e.ddl : ""));
  }
  return out;
}

using Names = std::vector<std::string>;

class SchemaChange : public ::testing::TestWithParam<std::string> {
 protected:
  LocalPostgres& pg = LocalPostgres::shared();

  std::string plugin() const { return plugin_of(GetParam()); }
  std::vector<std::string> stream_args() const { return plugin_stream_args(GetParam()); }
  // A database of this test's own; returns its DSN.
  std::string database(const std::string& name) {
    return pg.fresh_database(name + "_" + GetParam());
  }

  // Slots are per cluster: each parameter gets its own, named slot + "_" + parameter.
  std::string slot_name(const std::string& slot) const { return slot + "_" + GetParam(); }

  void init(const std::string& dsn, const std::string& slot, std::vector<std::string> more = {}) {
    std::vector<std::string> args = {"init",          "--dsn",    dsn,     "--slot",
                                     slot_name(slot), "--plugin", plugin()};
    args.insert(args.end(), more.begin(), more.end());
    CommandResult r = run_cli(args);
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  }
  // Streams up to the server's WAL insert position as of now.
  std::vector<JsonEvent> stream(const std::string& dsn, const std::string& slot,
                            std::vector<std::string> more = {}) {
    const sabot::Lsn end = pg.current_wal_insert_lsn();
    std::vector<std::string> args = {
        "stream", "--dsn", dsn, "--slot", slot_name(slot), "--end-lsn", end.to_string(), "--quiet"};
    const auto plugin_args = stream_args();
    args.insert(args.end(), plugin_args.begin(), plugin_args.end());
    args.insert(args.end(), more.begin(), more.end());
    CommandResult r = run_cli(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return parse_jsonl(r.out);
  }
};

}  // namespace

TEST_P(SchemaChange, EachDdlArrivesBetweenTheRowsItSeparatesWithTheNewColumns) {
  const std::string dsn = database("ddl_order");
  sql_on(dsn, "CREATE TABLE items (id int PRIMARY KEY, name text)");
  init(dsn, "ddl_order");
  sql_on(dsn, "INSERT INTO items VALUES (1, 'a')");
  sql_on(dsn, "ALTER TABLE items ADD COLUMN qty int NOT NULL DEFAULT 0");
  sql_on(dsn, "INSERT INTO items VALUES (2, 'b', 5)");
  sql_on(dsn, "ALTER TABLE items RENAME COLUMN name TO title");
  sql_on(dsn, "INSERT INTO items VALUES (3, 'c', 6)");
  sql_on(dsn, "ALTER TABLE items ALTER COLUMN qty TYPE bigint");
  sql_on(dsn, "INSERT INTO items VALUES (4, 'd', 9000000000)");
  sql_on(dsn, "ALTER TABLE items REPLICA IDENTITY FULL");
  sql_on(dsn, "UPDATE items SET qty = 7 WHERE id = 4");
  sql_on(dsn, "ALTER TABLE items DROP COLUMN title");
  sql_on(dsn, "INSERT INTO items VALUES (5, 8)");
  sql_on(dsn, "CREATE TABLE notes (id bigint PRIMARY KEY, body varchar(20))");
  sql_on(dsn, "INSERT INTO notes VALUES (1, 'hi')");
  sql_on(dsn, "DROP TABLE notes");
  sql_on(dsn, "INSERT INTO items VALUES (6, 9)");
  const auto events = stream(dsn, "ddl_order");

  // Captured DDL only: pgoutput's re-sent Relation messages add nothing (no relation_changed).
  ASSERT_EQ(
      outline(events),
      (Names{"insert items", "schema_change items ALTER TABLE", "insert items",
             "schema_change items ALTER TABLE", "insert items", "schema_change items ALTER TABLE",
             "insert items", "schema_change items ALTER TABLE", "update items",
             "schema_change items ALTER TABLE", "insert items", "schema_change notes CREATE TABLE",
             "insert notes", "schema_change notes DROP TABLE", "insert items"}))
      << events.size();

  const JsonEvent& add = events[1];  // ADD COLUMN qty int NOT NULL DEFAULT 0
  EXPECT_EQ(add.schema, "public");
  EXPECT_EQ(add.schema_column_names(), (Names{"id", "name", "qty"}));
  EXPECT_EQ(add.schema_column("id").type, "integer");
  EXPECT_EQ(add.schema_column("id").type_oid, 23u);
  EXPECT_TRUE(add.schema_column("id").key);
  EXPECT_EQ(add.schema_column("id").nullable, "false");
  EXPECT_EQ(add.schema_column("name").nullable, "true");
  EXPECT_FALSE(add.schema_column("name").key);
  EXPECT_EQ(add.schema_column("qty").type, "integer");
  EXPECT_EQ(add.schema_column("qty").nullable, "false");
  EXPECT_EQ(add.identity, "default");
  EXPECT_FALSE(add.dropped);
  EXPECT_TRUE(contains(events[2].raw, "\"qty\":5")) << events[2].raw;

  EXPECT_EQ(events[3].schema_column_names(), (Names{"id", "title", "qty"}));  // RENAME COLUMN
  EXPECT_EQ(events[4].columns.at("title"), "\"c\"");
  EXPECT_EQ(events[5].schema_column("qty").type, "bigint");  // ALTER COLUMN TYPE
  EXPECT_EQ(events[5].schema_column("qty").type_oid, 20u);
  const JsonEvent& full = events[7];  // REPLICA IDENTITY FULL: every column identifies the row
  EXPECT_EQ(full.identity, "full");
  for (const auto& c : full.schema_columns) EXPECT_TRUE(c.key) << c.name;
  EXPECT_TRUE(contains(events[8].raw, "\"old\":{\"id\":4,\"title\":\"d\"")) << events[8].raw;
  EXPECT_EQ(events[9].schema_column_names(), (Names{"id", "qty"}));  // DROP COLUMN

  const JsonEvent& create = events[11];
  EXPECT_EQ(create.schema_column_names(), (Names{"id", "body"}));
  EXPECT_EQ(create.schema_column("body").type, "character varying(20)");
  EXPECT_EQ(create.schema_column("id").type, "bigint");
  EXPECT_TRUE(create.schema_column("id").key);
  const JsonEvent& drop = events[13];
  EXPECT_TRUE(drop.dropped);
  EXPECT_TRUE(drop.schema_columns.empty());
  EXPECT_TRUE(contains(drop.raw, "\"identity\":null")) << drop.raw;

  // Each DDL is its own transaction, committed between the rows around it.
  for (size_t i = 1; i < events.size(); ++i) EXPECT_NE(events[i].xid, events[i - 1].xid) << i;
}

TEST_P(SchemaChange, DdlInsideATransactionKeepsItsPlaceAmongTheRows) {
  const std::string dsn = database("ddl_tx");
  sql_on(dsn, "CREATE TABLE orders (id int PRIMARY KEY, total numeric(10,2))");
  init(dsn, "ddl_tx");
  sql_on(dsn,
       "BEGIN; INSERT INTO orders VALUES (1, 1.50);"
       "ALTER TABLE orders ADD COLUMN note text, ADD COLUMN code int GENERATED ALWAYS AS (id * 2) "
       "STORED;"
       "INSERT INTO orders VALUES (2, 2.50, 'x'); COMMIT");
  // In a subtransaction, the DDL message is merged with the top level's rows by LSN.
  sql_on(dsn,
       "BEGIN; SAVEPOINT s; ALTER TABLE orders ADD COLUMN flag boolean; RELEASE SAVEPOINT s;"
       "INSERT INTO orders (id, total, note, flag) VALUES (3, 3.50, 'y', true); COMMIT");
  const auto events = stream(dsn, "ddl_tx");
  ASSERT_EQ(outline(events),
            (Names{"insert orders", "schema_change orders ALTER TABLE", "insert orders",
                   "schema_change orders ALTER TABLE", "insert orders"}));
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(events[i].xid, events[0].xid);
    EXPECT_EQ(events[i].seq, i);
  }
  EXPECT_EQ(events[3].xid, events[4].xid);
  EXPECT_EQ(events[3].schema_column_names(), (Names{"id", "total", "note", "flag"}));
  // Generated columns are left out: logical replication never sends them.
  EXPECT_EQ(events[1].schema_column_names(), (Names{"id", "total", "note"}));
  EXPECT_EQ(events[1].schema_column("total").type, "numeric(10,2)");
  EXPECT_EQ(events[2].columns.at("note"), "\"x\"");
}

TEST_P(SchemaChange, TablesOutsideTheFilterProduceNone) {
  const std::string dsn = database("ddl_filter");
  sql_on(dsn, "CREATE TABLE keep_t (id int PRIMARY KEY); CREATE TABLE skip_t (id int PRIMARY KEY)");
  init(dsn, "ddl_filter", {"--tables", "public.keep_t,public.skip_t"});
  sql_on(dsn, "ALTER TABLE skip_t ADD COLUMN a int");
  sql_on(dsn, "INSERT INTO skip_t VALUES (1, 1)");
  sql_on(dsn, "CREATE TABLE skip_new (id int)");
  sql_on(dsn, "ALTER TABLE keep_t ADD COLUMN b text");
  sql_on(dsn, "INSERT INTO keep_t VALUES (1, 'b')");
  sql_on(dsn, "DROP TABLE skip_new");
  const auto events = stream(dsn, "ddl_filter", {"--tables", "public.keep_t"});
  ASSERT_EQ(outline(events), (Names{"schema_change keep_t ALTER TABLE", "insert keep_t"}));
  EXPECT_EQ(events[0].schema_column_names(), (Names{"id", "b"}));
}

TEST_P(SchemaChange, UserDefinedTypesAreSchemaQualified) {
  const std::string dsn = database("ddl_types");
  sql_on(dsn, "CREATE TYPE mood AS ENUM ('sad', 'happy'); CREATE TABLE people (id int PRIMARY KEY)");
  init(dsn, "ddl_types");
  sql_on(dsn, "ALTER TABLE people ADD COLUMN m mood, ADD COLUMN tags text[]");
  sql_on(dsn, "INSERT INTO people VALUES (1, 'happy', '{a}')");
  const auto events = stream(dsn, "ddl_types");
  // pgoutput's Relation message names the type differently ("mood"): still no relation_changed.
  ASSERT_EQ(outline(events), (Names{"schema_change people ALTER TABLE", "insert people"}));
  EXPECT_EQ(events[0].schema_column("m").type, "public.mood");
  EXPECT_GE(events[0].schema_column("m").type_oid, 16384u);
  EXPECT_EQ(events[0].schema_column("tags").type, "text[]");
}

TEST_P(SchemaChange, TheLibraryKeepsTheSchemaOfEveryCapturedTable) {
  const std::string dsn = database("ddl_api");
  sql_on(dsn,
       "CREATE TABLE acct (id int PRIMARY KEY, owner text NOT NULL); CREATE TABLE other (x int)");
  init(dsn, "ddl_api");
  sql_on(dsn, "INSERT INTO acct VALUES (1, 'ann')");
  sql_on(dsn, "ALTER TABLE acct ADD COLUMN balance numeric(12,2)");
  sql_on(dsn, "ALTER TABLE acct RENAME TO account");
  sql_on(dsn, "INSERT INTO account VALUES (2, 'bob', 3.00)");

  sabot::PostgresCdcConfig config;
  config.dsn = dsn;
  config.slot_name = slot_name("ddl_api");
  config.plugin = GetParam() == "pg" ? sabot::Plugin::Pgoutput : sabot::Plugin::Wal2json;
  if (GetParam() != "pg") config.wal2json_format_version = GetParam() == "w1" ? 1 : 2;
  config.tables = {"public.acct", "public.account"};
  config.end_lsn = pg.current_wal_insert_lsn();
  sabot::PostgresCdcConnector connector(config);
  connector.open();
  // Seeded from the catalog at open: the table as it is now, not `other` (outside the filter).
  auto now = connector.table_schema("public", "account");
  ASSERT_TRUE(now);
  EXPECT_EQ(now->ddl, "catalog");
  EXPECT_EQ(now->columns.size(), 3u);
  EXPECT_EQ(connector.table_schema("public", "other"), nullptr);

  std::vector<std::string> seen;
  for (const sabot::ChangeBatch& batch : connector.stream_batches()) {
    for (const sabot::ChangeEvent& e : batch) {
      seen.push_back(std::string(e.type()) + " " + std::string(e.table));
      if (e.op != sabot::Op::SchemaChange) continue;
      ASSERT_TRUE(e.table_schema);
      EXPECT_EQ(e.ddl, "ALTER TABLE");
      EXPECT_EQ(e.key_columns, (Names{"id"}));
      // As of this batch, the registry holds what the event says.
      EXPECT_EQ(connector.table_schema(e.schema, e.table), e.table_schema);
    }
  }
  EXPECT_EQ(seen, (Names{"insert acct", "schema_change acct", "schema_change account",
                         "insert account"}));
  // The rename replaced the old name's entry.
  EXPECT_EQ(connector.table_schema("public", "acct"), nullptr);
  auto account = connector.table_schema("public", "account");
  ASSERT_TRUE(account);
  EXPECT_EQ(account->ddl, "ALTER TABLE");
  ASSERT_EQ(account->columns.size(), 3u);
  EXPECT_EQ(account->columns[2].name, "balance");
  EXPECT_EQ(account->columns[2].type_name, "numeric(12,2)");
  EXPECT_EQ(account->columns[1].nullable, std::optional<bool>(false));
  EXPECT_EQ(account->key_columns(), (Names{"id"}));
  EXPECT_EQ(account->replica_identity, "default");
  EXPECT_EQ(connector.schemas().size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(SchemaChangePlugins, SchemaChange, ::testing::Values("pg", "w2", "w1"),
                         plugin_test_name);

// Without DDL capture, pgoutput's Relation message still tells: it comes right before the first
// row written in the new shape.
TEST(SchemaChangeFallback, RelationMessagesReportChangesWithoutDdlCapture) {
  LocalPostgres& pg = LocalPostgres::shared();
  const std::string dsn = pg.fresh_database("ddl_fallback");
  sql_on(dsn, "CREATE TABLE items (id int PRIMARY KEY, name text)");
  CommandResult r = run_cli({"init", "--dsn", dsn, "--slot", "fallback", "--no-ddl-capture"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.out, "ddl capture: skipped")) << r.out;
  EXPECT_EQ(sql_on(dsn, "SELECT count(*) FROM pg_event_trigger"), "0");
  const auto stream_now = [&] {
    const sabot::Lsn end = pg.current_wal_insert_lsn();
    CommandResult s = run_cli(
        {"stream", "--dsn", dsn, "--slot", "fallback", "--end-lsn", end.to_string(), "--quiet"});
    EXPECT_EQ(s.exit_code, 0) << s.err;
    return parse_jsonl(s.out);
  };

  sql_on(dsn, "INSERT INTO items VALUES (1, 'a')");
  sql_on(dsn, "ALTER TABLE items ADD COLUMN qty bigint");
  sql_on(dsn, "ALTER TABLE items RENAME COLUMN name TO title");
  sql_on(dsn, "INSERT INTO items VALUES (2, 'b', 5)");
  sql_on(dsn, "INSERT INTO items VALUES (3, 'c', 6)");
  sql_on(dsn, "ALTER TABLE items SET (fillfactor = 90)");  // re-sends the Relation, same columns
  sql_on(dsn,
       "BEGIN; UPDATE items SET qty = 7 WHERE id = 3;"
       "ALTER TABLE items ALTER COLUMN qty TYPE numeric(8,1);"
       "UPDATE items SET qty = 8 WHERE id = 2; COMMIT");
  auto events = stream_now();
  ASSERT_EQ(outline(events), (Names{"insert items", "schema_change items relation_changed",
                                    "insert items", "insert items", "update items",
                                    "schema_change items relation_changed", "update items"}));
  const JsonEvent& changed = events[1];
  EXPECT_EQ(changed.xid, events[2].xid);  // inside the transaction of the first new-shape row
  EXPECT_EQ(changed.seq + 1, events[2].seq);
  EXPECT_EQ(changed.schema_column_names(), (Names{"id", "title", "qty"}));
  EXPECT_EQ(changed.schema_column("qty").type, "bigint");
  EXPECT_EQ(changed.schema_column("qty").nullable, "null");  // a Relation message does not say
  EXPECT_TRUE(changed.schema_column("id").key);
  EXPECT_EQ(changed.identity, "default");
  EXPECT_FALSE(contains(changed.raw, "\"lsn\":\"0/0\"")) << changed.raw;  // the row's LSN
  EXPECT_EQ(events[5].schema_column("qty").type, "numeric(8,1)");
  EXPECT_EQ(events[5].xid, events[4].xid);

  // A later session starts from the Relation messages it receives: nothing to report.
  sql_on(dsn, "INSERT INTO items VALUES (4, 'd', 1)");
  EXPECT_EQ(outline(stream_now()), (Names{"insert items"}));
}

TEST(SchemaChangeInit, WithoutThePrivilegeInitSaysSoAndStillSucceeds) {
  LocalPostgres& pg = LocalPostgres::shared();
  const std::string admin_dsn = pg.fresh_database("ddl_priv");
  sql_on(admin_dsn,
       "DO $$ BEGIN CREATE ROLE ddl_plain LOGIN REPLICATION; "
       "EXCEPTION WHEN duplicate_object THEN NULL; END $$;"
       "CREATE TABLE t (id int PRIMARY KEY); ALTER TABLE t OWNER TO ddl_plain;"
       "GRANT CREATE ON DATABASE ddl_priv TO ddl_plain");
  // Same socket and database, another role (local connections are trusted).
  std::string plain_dsn = admin_dsn;
  plain_dsn.replace(plain_dsn.find("user=sabot"), 10, "user=ddl_plain");
  CommandResult r =
      run_cli({"init", "--dsn", plain_dsn, "--slot", "ddl_priv_slot", "--tables", "public.t"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(contains(r.out, "ddl capture: not installed (insufficient privilege)")) << r.out;
  EXPECT_TRUE(contains(r.err, "role \"ddl_plain\" may not create event triggers")) << r.err;
  EXPECT_TRUE(contains(r.err, "superuser")) << r.err;
  EXPECT_TRUE(contains(r.out, "slot \"ddl_priv_slot\" (pgoutput): created")) << r.out;
  EXPECT_EQ(sql_on(admin_dsn, "SELECT count(*) FROM pg_event_trigger"), "0");
  EXPECT_EQ(sql_on(admin_dsn, "SELECT count(*) FROM pg_proc WHERE proname = 'sabot_cdc_capture_ddl'"),
            "0");

  // A superuser installs it; the plain role's init then finds it in place, and its DDL is
  // captured (the function runs as its owner).
  CommandResult admin = run_cli({"init", "--dsn", admin_dsn, "--no-slot", "--tables", "public.t"});
  ASSERT_EQ(admin.exit_code, 0) << admin.err;
  EXPECT_TRUE(contains(admin.out, "ddl capture: installed")) << admin.out;
  r = run_cli({"init", "--dsn", plain_dsn, "--slot", "ddl_priv_slot", "--tables", "public.t"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.out, "ddl capture: installed")) << r.out;
  EXPECT_TRUE(r.err.empty()) << r.err;
  sql_on(plain_dsn, "ALTER TABLE t ADD COLUMN v text");
  const sabot::Lsn end = pg.current_wal_insert_lsn();
  CommandResult s = run_cli({"stream", "--dsn", plain_dsn, "--slot", "ddl_priv_slot", "--end-lsn",
                             end.to_string(), "--quiet"});
  ASSERT_EQ(s.exit_code, 0) << s.err;
  EXPECT_EQ(outline(parse_jsonl(s.out)), (Names{"schema_change t ALTER TABLE"}));
  // Removing it needs the privilege too, and says so.
  CommandResult u = run_cli({"init", "--dsn", plain_dsn, "--uninstall-ddl-capture"});
  EXPECT_EQ(u.exit_code, 1);
  EXPECT_TRUE(contains(u.err, "DROP EVENT TRIGGER IF EXISTS sabot_ddl_command_end")) << u.err;
}

TEST(SchemaChangeInit, UninstallRemovesTheTriggersAndIsIdempotent) {
  LocalPostgres& pg = LocalPostgres::shared();
  const std::string dsn = pg.fresh_database("ddl_uninstall");
  sql_on(dsn, "CREATE TABLE t (id int PRIMARY KEY)");
  CommandResult r = run_cli({"init", "--dsn", dsn, "--slot", "ddl_uninstall"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.out,
                       "ddl capture: installed (event triggers sabot_ddl_command_end, "
                       "sabot_sql_drop)"))
      << r.out;
  EXPECT_EQ(sql_on(dsn, "SELECT count(*) FROM pg_event_trigger WHERE evtname LIKE 'sabot\\_%'"), "2");
  r = run_cli({"init", "--dsn", dsn, "--slot", "ddl_uninstall"});  // again: nothing to do
  EXPECT_TRUE(contains(r.out, "ddl capture: installed\n")) << r.out;
  EXPECT_TRUE(r.err.empty()) << r.err;

  r = run_cli({"init", "--dsn", dsn, "--uninstall-ddl-capture"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.out, "ddl capture: removed")) << r.out;
  EXPECT_EQ(sql_on(dsn, "SELECT count(*) FROM pg_event_trigger"), "0");
  EXPECT_EQ(sql_on(dsn, "SELECT count(*) FROM pg_proc WHERE proname = 'sabot_cdc_capture_ddl'"), "0");
  r = run_cli({"init", "--dsn", dsn, "--uninstall-ddl-capture"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.out, "ddl capture: was not installed")) << r.out;

  // No capture now: DDL still works, and the stream only has the row (this session's first
  // Relation message for t is its baseline, so the fallback has nothing to compare).
  sql_on(dsn, "ALTER TABLE t ADD COLUMN v int; INSERT INTO t VALUES (1, 2)");
  const sabot::Lsn end = pg.current_wal_insert_lsn();
  CommandResult s = run_cli(
      {"stream", "--dsn", dsn, "--slot", "ddl_uninstall", "--end-lsn", end.to_string(), "--quiet"});
  ASSERT_EQ(s.exit_code, 0) << s.err;
  EXPECT_EQ(outline(parse_jsonl(s.out)), (Names{"insert t"}));
}
