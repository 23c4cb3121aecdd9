// Schema changes against a real server: DDL captured by the event trigger `sabot-cdc init`
// installs arrives as schema_change events at its place between the row changes, with the columns
// after the change, for pgoutput and wal2json (formats 1 and 2); the pgoutput Relation-message
// fallback without DDL capture; init without the privilege; uninstall; the C++ schema API.
//
// Event triggers are per database, so every test works in a database of its own: what one test
// installs or removes never shows up in another's stream.
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <simdjson.h>

#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "local_postgres.hpp"
#include "sabot/sabot.hpp"

using namespace sabot::test;

namespace {

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// Runs SQL (several statements allowed) on `dsn`; returns the first value of the last result.
std::string exec(const std::string& dsn, const std::string& sql) {
  std::unique_ptr<PGconn, decltype(&PQfinish)> conn(PQconnectdb(dsn.c_str()), &PQfinish);
  if (PQstatus(conn.get()) != CONNECTION_OK) {
    throw std::runtime_error("connection failed: " + std::string(PQerrorMessage(conn.get())));
  }
  std::unique_ptr<PGresult, decltype(&PQclear)> res(PQexec(conn.get(), sql.c_str()), &PQclear);
  const auto status = PQresultStatus(res.get());
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    throw std::runtime_error("SQL failed: " + sql + "\n" + PQerrorMessage(conn.get()));
  }
  if (status != PGRES_TUPLES_OK || PQntuples(res.get()) == 0) return "";
  return PQgetvalue(res.get(), 0, 0);
}

struct SchemaColumnJson {
  std::string name, type, nullable;  // nullable: "true", "false" or "null"
  uint64_t type_oid = 0;
  bool key = false;
};

// One line of `sabot-cdc stream`, schema_change lines included (their "columns" is an array).
struct Event {
  std::string op, schema, table, ddl, identity;
  bool dropped = false;
  uint64_t xid = 0, seq = 0;
  std::map<std::string, std::string> values;     // row events: column -> minified JSON value
  std::vector<SchemaColumnJson> schema_columns;  // schema_change
  std::string raw;

  std::vector<std::string> column_names() const {
    std::vector<std::string> names;
    for (const auto& c : schema_columns) names.push_back(c.name);
    return names;
  }
  const SchemaColumnJson& column(const std::string& name) const {
    for (const auto& c : schema_columns) {
      if (c.name == name) return c;
    }
    throw std::runtime_error("no column " + name + " in " + raw);
  }
};

std::string string_or_empty(simdjson::dom::element doc, const char* key) {
  std::string_view text;
  if (doc[key].get_string().get(text)) return "";
  return std::string(text);
}

std::vector<Event> parse_events(const std::string& text) {
  std::vector<Event> events;
  simdjson::dom::parser parser;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty()) continue;
    simdjson::dom::element doc;
    if (parser.parse(line).get(doc)) throw std::runtime_error("not JSON: " + line);
    Event e;
    e.raw = line;
    e.op = string_or_empty(doc, "op");
    e.schema = string_or_empty(doc, "schema");
    e.table = string_or_empty(doc, "table");
    e.ddl = string_or_empty(doc, "ddl");
    e.identity = string_or_empty(doc, "identity");
    e.xid = uint64_t(doc["xid"]);
    e.seq = uint64_t(doc["seq"]);
    if (e.op == "schema_change") {
      e.dropped = bool(doc["dropped"]);
      for (simdjson::dom::element c : simdjson::dom::array(doc["columns"])) {
        SchemaColumnJson column;
        column.name = std::string(std::string_view(c["name"]));
        column.type = std::string(std::string_view(c["type"]));
        column.type_oid = uint64_t(c["type_oid"]);
        column.nullable = simdjson::minify(c["nullable"]);
        column.key = bool(c["key"]);
        e.schema_columns.push_back(std::move(column));
      }
    } else {
      for (auto field : simdjson::dom::object(doc["columns"])) {
        e.values[std::string(field.key)] = simdjson::minify(field.value);
      }
    }
    events.push_back(std::move(e));
  }
  return events;
}

// "insert t", "schema_change t ALTER TABLE", ... : the shape of a stream at a glance.
std::vector<std::string> outline(const std::vector<Event>& events) {
  std::vector<std::string> out;
  for (const Event& e : events) {
    out.push_back(e.op + " " + e.table + (e.op == "schema_change" ? " " + e.ddl : ""));
  }
  return out;
}

using Names = std::vector<std::string>;

class SchemaChange : public ::testing::TestWithParam<std::string> {
 protected:
  LocalPostgres& pg = LocalPostgres::shared();

  std::string plugin() const { return GetParam() == "pg" ? "pgoutput" : "wal2json"; }
  std::vector<std::string> stream_args() const {
    std::vector<std::string> args = {"--plugin", plugin()};
    if (GetParam() != "pg") args.insert(args.end(), {"--format-version", GetParam().substr(1)});
    return args;
  }
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
  std::vector<Event> stream(const std::string& dsn, const std::string& slot,
                            std::vector<std::string> more = {}) {
    const sabot::Lsn end = pg.current_wal_insert_lsn();
    std::vector<std::string> args = {
        "stream", "--dsn", dsn, "--slot", slot_name(slot), "--end-lsn", end.to_string(), "--quiet"};
    const auto plugin_args = stream_args();
    args.insert(args.end(), plugin_args.begin(), plugin_args.end());
    args.insert(args.end(), more.begin(), more.end());
    CommandResult r = run_cli(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return parse_events(r.out);
  }
};

}  // namespace

TEST_P(SchemaChange, EachDdlArrivesBetweenTheRowsItSeparatesWithTheNewColumns) {
  const std::string dsn = database("ddl_order");
  exec(dsn, "CREATE TABLE items (id int PRIMARY KEY, name text)");
  init(dsn, "ddl_order");
  exec(dsn, "INSERT INTO items VALUES (1, 'a')");
  exec(dsn, "ALTER TABLE items ADD COLUMN qty int NOT NULL DEFAULT 0");
  exec(dsn, "INSERT INTO items VALUES (2, 'b', 5)");
  exec(dsn, "ALTER TABLE items RENAME COLUMN name TO title");
  exec(dsn, "INSERT INTO items VALUES (3, 'c', 6)");
  exec(dsn, "ALTER TABLE items ALTER COLUMN qty TYPE bigint");
  exec(dsn, "INSERT INTO items VALUES (4, 'd', 9000000000)");
  exec(dsn, "ALTER TABLE items REPLICA IDENTITY FULL");
  exec(dsn, "UPDATE items SET qty = 7 WHERE id = 4");
  exec(dsn, "ALTER TABLE items DROP COLUMN title");
  exec(dsn, "INSERT INTO items VALUES (5, 8)");
  exec(dsn, "CREATE TABLE notes (id bigint PRIMARY KEY, body varchar(20))");
  exec(dsn, "INSERT INTO notes VALUES (1, 'hi')");
  exec(dsn, "DROP TABLE notes");
  exec(dsn, "INSERT INTO items VALUES (6, 9)");
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

  const Event& add = events[1];  // ADD COLUMN qty int NOT NULL DEFAULT 0
  EXPECT_EQ(add.schema, "public");
  EXPECT_EQ(add.column_names(), (Names{"id", "name", "qty"}));
  EXPECT_EQ(add.column("id").type, "integer");
  EXPECT_EQ(add.column("id").type_oid, 23u);
  EXPECT_TRUE(add.column("id").key);
  EXPECT_EQ(add.column("id").nullable, "false");
  EXPECT_EQ(add.column("name").nullable, "true");
  EXPECT_FALSE(add.column("name").key);
  EXPECT_EQ(add.column("qty").type, "integer");
  EXPECT_EQ(add.column("qty").nullable, "false");
  EXPECT_EQ(add.identity, "default");
  EXPECT_FALSE(add.dropped);
  EXPECT_TRUE(contains(events[2].raw, "\"qty\":5")) << events[2].raw;

  EXPECT_EQ(events[3].column_names(), (Names{"id", "title", "qty"}));  // RENAME COLUMN
  EXPECT_EQ(events[4].values.at("title"), "\"c\"");
  EXPECT_EQ(events[5].column("qty").type, "bigint");  // ALTER COLUMN TYPE
  EXPECT_EQ(events[5].column("qty").type_oid, 20u);
  const Event& full = events[7];  // REPLICA IDENTITY FULL: every column identifies the row
  EXPECT_EQ(full.identity, "full");
  for (const auto& c : full.schema_columns) EXPECT_TRUE(c.key) << c.name;
  EXPECT_TRUE(contains(events[8].raw, "\"old\":{\"id\":4,\"title\":\"d\"")) << events[8].raw;
  EXPECT_EQ(events[9].column_names(), (Names{"id", "qty"}));  // DROP COLUMN

  const Event& create = events[11];
  EXPECT_EQ(create.column_names(), (Names{"id", "body"}));
  EXPECT_EQ(create.column("body").type, "character varying(20)");
  EXPECT_EQ(create.column("id").type, "bigint");
  EXPECT_TRUE(create.column("id").key);
  const Event& drop = events[13];
  EXPECT_TRUE(drop.dropped);
  EXPECT_TRUE(drop.schema_columns.empty());
  EXPECT_TRUE(contains(drop.raw, "\"identity\":null")) << drop.raw;

  // Each DDL is its own transaction, committed between the rows around it.
  for (size_t i = 1; i < events.size(); ++i) EXPECT_NE(events[i].xid, events[i - 1].xid) << i;
}

TEST_P(SchemaChange, DdlInsideATransactionKeepsItsPlaceAmongTheRows) {
  const std::string dsn = database("ddl_tx");
  exec(dsn, "CREATE TABLE orders (id int PRIMARY KEY, total numeric(10,2))");
  init(dsn, "ddl_tx");
  exec(dsn,
       "BEGIN; INSERT INTO orders VALUES (1, 1.50);"
       "ALTER TABLE orders ADD COLUMN note text, ADD COLUMN code int GENERATED ALWAYS AS (id * 2) "
       "STORED;"
       "INSERT INTO orders VALUES (2, 2.50, 'x'); COMMIT");
  // In a subtransaction, the DDL message is merged with the top level's rows by LSN.
  exec(dsn,
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
  EXPECT_EQ(events[3].column_names(), (Names{"id", "total", "note", "flag"}));
  // Generated columns are left out: logical replication never sends them.
  EXPECT_EQ(events[1].column_names(), (Names{"id", "total", "note"}));
  EXPECT_EQ(events[1].column("total").type, "numeric(10,2)");
  EXPECT_EQ(events[2].values.at("note"), "\"x\"");
}

TEST_P(SchemaChange, TablesOutsideTheFilterProduceNone) {
  const std::string dsn = database("ddl_filter");
  exec(dsn, "CREATE TABLE keep_t (id int PRIMARY KEY); CREATE TABLE skip_t (id int PRIMARY KEY)");
  init(dsn, "ddl_filter", {"--tables", "public.keep_t,public.skip_t"});
  exec(dsn, "ALTER TABLE skip_t ADD COLUMN a int");
  exec(dsn, "INSERT INTO skip_t VALUES (1, 1)");
  exec(dsn, "CREATE TABLE skip_new (id int)");
  exec(dsn, "ALTER TABLE keep_t ADD COLUMN b text");
  exec(dsn, "INSERT INTO keep_t VALUES (1, 'b')");
  exec(dsn, "DROP TABLE skip_new");
  const auto events = stream(dsn, "ddl_filter", {"--tables", "public.keep_t"});
  ASSERT_EQ(outline(events), (Names{"schema_change keep_t ALTER TABLE", "insert keep_t"}));
  EXPECT_EQ(events[0].column_names(), (Names{"id", "b"}));
}

TEST_P(SchemaChange, UserDefinedTypesAreSchemaQualified) {
  const std::string dsn = database("ddl_types");
  exec(dsn, "CREATE TYPE mood AS ENUM ('sad', 'happy'); CREATE TABLE people (id int PRIMARY KEY)");
  init(dsn, "ddl_types");
  exec(dsn, "ALTER TABLE people ADD COLUMN m mood, ADD COLUMN tags text[]");
  exec(dsn, "INSERT INTO people VALUES (1, 'happy', '{a}')");
  const auto events = stream(dsn, "ddl_types");
  // pgoutput's Relation message names the type differently ("mood"): still no relation_changed.
  ASSERT_EQ(outline(events), (Names{"schema_change people ALTER TABLE", "insert people"}));
  EXPECT_EQ(events[0].column("m").type, "public.mood");
  EXPECT_GE(events[0].column("m").type_oid, 16384u);
  EXPECT_EQ(events[0].column("tags").type, "text[]");
}

TEST_P(SchemaChange, TheLibraryKeepsTheSchemaOfEveryCapturedTable) {
  const std::string dsn = database("ddl_api");
  exec(dsn,
       "CREATE TABLE acct (id int PRIMARY KEY, owner text NOT NULL); CREATE TABLE other (x int)");
  init(dsn, "ddl_api");
  exec(dsn, "INSERT INTO acct VALUES (1, 'ann')");
  exec(dsn, "ALTER TABLE acct ADD COLUMN balance numeric(12,2)");
  exec(dsn, "ALTER TABLE acct RENAME TO account");
  exec(dsn, "INSERT INTO account VALUES (2, 'bob', 3.00)");

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
                         [](const auto& info) {
                           return info.param == "pg" ? std::string("pgoutput")
                                                     : "wal2json_format" + info.param.substr(1);
                         });

// Without DDL capture, pgoutput's Relation message still tells: it comes right before the first
// row written in the new shape.
TEST(SchemaChangeFallback, RelationMessagesReportChangesWithoutDdlCapture) {
  LocalPostgres& pg = LocalPostgres::shared();
  const std::string dsn = pg.fresh_database("ddl_fallback");
  exec(dsn, "CREATE TABLE items (id int PRIMARY KEY, name text)");
  CommandResult r = run_cli({"init", "--dsn", dsn, "--slot", "fallback", "--no-ddl-capture"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.out, "ddl capture: skipped")) << r.out;
  EXPECT_EQ(exec(dsn, "SELECT count(*) FROM pg_event_trigger"), "0");
  const auto stream_now = [&] {
    const sabot::Lsn end = pg.current_wal_insert_lsn();
    CommandResult s = run_cli(
        {"stream", "--dsn", dsn, "--slot", "fallback", "--end-lsn", end.to_string(), "--quiet"});
    EXPECT_EQ(s.exit_code, 0) << s.err;
    return parse_events(s.out);
  };

  exec(dsn, "INSERT INTO items VALUES (1, 'a')");
  exec(dsn, "ALTER TABLE items ADD COLUMN qty bigint");
  exec(dsn, "ALTER TABLE items RENAME COLUMN name TO title");
  exec(dsn, "INSERT INTO items VALUES (2, 'b', 5)");
  exec(dsn, "INSERT INTO items VALUES (3, 'c', 6)");
  exec(dsn, "ALTER TABLE items SET (fillfactor = 90)");  // re-sends the Relation, same columns
  exec(dsn,
       "BEGIN; UPDATE items SET qty = 7 WHERE id = 3;"
       "ALTER TABLE items ALTER COLUMN qty TYPE numeric(8,1);"
       "UPDATE items SET qty = 8 WHERE id = 2; COMMIT");
  auto events = stream_now();
  ASSERT_EQ(outline(events), (Names{"insert items", "schema_change items relation_changed",
                                    "insert items", "insert items", "update items",
                                    "schema_change items relation_changed", "update items"}));
  const Event& changed = events[1];
  EXPECT_EQ(changed.xid, events[2].xid);  // inside the transaction of the first new-shape row
  EXPECT_EQ(changed.seq + 1, events[2].seq);
  EXPECT_EQ(changed.column_names(), (Names{"id", "title", "qty"}));
  EXPECT_EQ(changed.column("qty").type, "bigint");
  EXPECT_EQ(changed.column("qty").nullable, "null");  // a Relation message does not say
  EXPECT_TRUE(changed.column("id").key);
  EXPECT_EQ(changed.identity, "default");
  EXPECT_FALSE(contains(changed.raw, "\"lsn\":\"0/0\"")) << changed.raw;  // the row's LSN
  EXPECT_EQ(events[5].column("qty").type, "numeric(8,1)");
  EXPECT_EQ(events[5].xid, events[4].xid);

  // A later session starts from the Relation messages it receives: nothing to report.
  exec(dsn, "INSERT INTO items VALUES (4, 'd', 1)");
  EXPECT_EQ(outline(stream_now()), (Names{"insert items"}));
}

TEST(SchemaChangeInit, WithoutThePrivilegeInitSaysSoAndStillSucceeds) {
  LocalPostgres& pg = LocalPostgres::shared();
  const std::string admin_dsn = pg.fresh_database("ddl_priv");
  exec(admin_dsn,
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
  EXPECT_EQ(exec(admin_dsn, "SELECT count(*) FROM pg_event_trigger"), "0");
  EXPECT_EQ(exec(admin_dsn, "SELECT count(*) FROM pg_proc WHERE proname = 'sabot_cdc_capture_ddl'"),
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
  exec(plain_dsn, "ALTER TABLE t ADD COLUMN v text");
  const sabot::Lsn end = pg.current_wal_insert_lsn();
  CommandResult s = run_cli({"stream", "--dsn", plain_dsn, "--slot", "ddl_priv_slot", "--end-lsn",
                             end.to_string(), "--quiet"});
  ASSERT_EQ(s.exit_code, 0) << s.err;
  EXPECT_EQ(outline(parse_events(s.out)), (Names{"schema_change t ALTER TABLE"}));
  // Removing it needs the privilege too, and says so.
  CommandResult u = run_cli({"init", "--dsn", plain_dsn, "--uninstall-ddl-capture"});
  EXPECT_EQ(u.exit_code, 1);
  EXPECT_TRUE(contains(u.err, "DROP EVENT TRIGGER IF EXISTS sabot_ddl_command_end")) << u.err;
}

TEST(SchemaChangeInit, UninstallRemovesTheTriggersAndIsIdempotent) {
  LocalPostgres& pg = LocalPostgres::shared();
  const std::string dsn = pg.fresh_database("ddl_uninstall");
  exec(dsn, "CREATE TABLE t (id int PRIMARY KEY)");
  CommandResult r = run_cli({"init", "--dsn", dsn, "--slot", "ddl_uninstall"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.out,
                       "ddl capture: installed (event triggers sabot_ddl_command_end, "
                       "sabot_sql_drop)"))
      << r.out;
  EXPECT_EQ(exec(dsn, "SELECT count(*) FROM pg_event_trigger WHERE evtname LIKE 'sabot\\_%'"), "2");
  r = run_cli({"init", "--dsn", dsn, "--slot", "ddl_uninstall"});  // again: nothing to do
  EXPECT_TRUE(contains(r.out, "ddl capture: installed\n")) << r.out;
  EXPECT_TRUE(r.err.empty()) << r.err;

  r = run_cli({"init", "--dsn", dsn, "--uninstall-ddl-capture"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.out, "ddl capture: removed")) << r.out;
  EXPECT_EQ(exec(dsn, "SELECT count(*) FROM pg_event_trigger"), "0");
  EXPECT_EQ(exec(dsn, "SELECT count(*) FROM pg_proc WHERE proname = 'sabot_cdc_capture_ddl'"), "0");
  r = run_cli({"init", "--dsn", dsn, "--uninstall-ddl-capture"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.out, "ddl capture: was not installed")) << r.out;

  // No capture now: DDL still works, and the stream only has the row (this session's first
  // Relation message for t is its baseline, so the fallback has nothing to compare).
  exec(dsn, "ALTER TABLE t ADD COLUMN v int; INSERT INTO t VALUES (1, 2)");
  const sabot::Lsn end = pg.current_wal_insert_lsn();
  CommandResult s = run_cli(
      {"stream", "--dsn", dsn, "--slot", "ddl_uninstall", "--end-lsn", end.to_string(), "--quiet"});
  ASSERT_EQ(s.exit_code, 0) << s.err;
  EXPECT_EQ(outline(parse_events(s.out)), (Names{"insert t"}));
}
