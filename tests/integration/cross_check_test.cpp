// The same SQL workload decoded through a wal2json slot and a pgoutput slot created at the same
// point yields the same events: op, table, columns, old, xid, commit_lsn, lsn, seq, order.
#include <gtest/gtest.h>

#include "json_events.hpp"
#include "local_postgres.hpp"

using namespace sabot::test;

namespace {

void expect_same_events(const std::vector<JsonEvent>& wal2json, const std::vector<JsonEvent>& pgoutput) {
  ASSERT_EQ(wal2json.size(), pgoutput.size());
  for (size_t i = 0; i < wal2json.size(); ++i) {
    const JsonEvent& w = wal2json[i];
    const JsonEvent& p = pgoutput[i];
    SCOPED_TRACE("event " + std::to_string(i) + "\nwal2json: " + w.raw + "\npgoutput: " + p.raw);
    EXPECT_EQ(w.op, p.op);
    EXPECT_EQ(w.schema, p.schema);
    EXPECT_EQ(w.table, p.table);
    EXPECT_EQ(w.columns, p.columns);
    EXPECT_EQ(w.old.has_value(), p.old.has_value());
    if (w.old && p.old) {
      EXPECT_EQ(*w.old, *p.old);
    }
    EXPECT_EQ(w.xid, p.xid);
    EXPECT_EQ(w.commit_lsn, p.commit_lsn);
    EXPECT_EQ(w.commit_time, p.commit_time);
    EXPECT_EQ(w.seq, p.seq);
    if (w.op != "truncate") {
      EXPECT_EQ(w.lsn, p.lsn);  // (one TRUNCATE record for both tables: lsn may differ)
    }
    EXPECT_EQ(w.prefix, p.prefix);
    EXPECT_EQ(w.content, p.content);
  }
}

}  // namespace

TEST(CrossCheck, Wal2jsonAndPgoutputDeliverTheSameEvents) {
  LocalPostgres& pg = LocalPostgres::shared();
  pg.sql(
      "CREATE TABLE xc_orders (id bigint PRIMARY KEY, customer text, total numeric(12,2), "
      "  paid bool, placed timestamptz, tags text[], note text, doc jsonb, raw bytea, "
      "  ip inet, span interval, uid uuid, f4 float4, f8 float8, d date, small int2);"
      "CREATE TABLE xc_items (order_id bigint, line int, sku varchar(20), qty int, "
      "  PRIMARY KEY (order_id, line));"
      "CREATE TABLE xc_audit (id serial PRIMARY KEY, what text);"
      "ALTER TABLE xc_audit REPLICA IDENTITY FULL");
  create_slot(pg, "xc_pg");  // publication first, then the pgoutput slot
  pg.sql("SELECT pg_copy_logical_replication_slot('xc_pg', 'xc_w2j', false, 'wal2json')");

  // Inserts of many types, NULLs and unicode; a multi-table transaction.
  pg.sql("BEGIN;"
         "INSERT INTO xc_orders VALUES (1, 'Zoë 🐘', 10.50, false, '2026-01-02 03:04:05.678901+00',"
         "  '{a,\"b c\"}', NULL, '{\"k\": [1, 2]}', '\\xdeadbeef', '10.0.0.1', '1 day 2 hours',"
         "  'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 1.25, -2.5e-10, '2026-02-28', -7);"
         "INSERT INTO xc_items VALUES (1, 1, 'SKU-1', 2), (1, 2, 'SKU-2', 1);"
         "INSERT INTO xc_orders (id, customer) VALUES (2, '');"
         "COMMIT");
  // TOAST-sized value (incompressible), then an update that leaves it unchanged.
  pg.sql("INSERT INTO xc_orders (id, customer, note) SELECT 3, 'big', "
         "string_agg(md5(g::text), '') FROM generate_series(1, 400) g");
  pg.sql("UPDATE xc_orders SET paid = true WHERE id = 3");
  // Updates: plain, key change, composite key; deletes; identity FULL.
  pg.sql("UPDATE xc_orders SET total = 11.00, paid = true WHERE id = 1");
  pg.sql("UPDATE xc_items SET line = 3 WHERE order_id = 1 AND line = 2");
  pg.sql("UPDATE xc_orders SET id = 20 WHERE id = 2");
  pg.sql("INSERT INTO xc_audit (what) VALUES ('one'), ('two'); "
         "UPDATE xc_audit SET what = 'uno' WHERE what = 'one'; DELETE FROM xc_audit WHERE what = 'two'");
  pg.sql("DELETE FROM xc_items WHERE order_id = 1 AND line = 1");
  // Savepoints: the rolled-back subtransaction's changes never appear.
  pg.sql("BEGIN; INSERT INTO xc_items VALUES (5, 1, 'kept', 1); SAVEPOINT s1;"
         "INSERT INTO xc_items VALUES (5, 2, 'rolled back', 1); ROLLBACK TO SAVEPOINT s1;"
         "SAVEPOINT s2; INSERT INTO xc_items VALUES (5, 3, 'kept too', 1); RELEASE SAVEPOINT s2;"
         "COMMIT");
  // A transactional message between data changes; a truncate of two tables.
  pg.sql("BEGIN; INSERT INTO xc_audit (what) VALUES ('m'); "
         "SELECT pg_logical_emit_message(true, 'xc', 'between'); COMMIT");
  pg.sql("TRUNCATE xc_items, xc_audit");

  const auto pgoutput = stream_to_now(pg, "xc_pg");
  const auto wal2json = stream_to_now(pg, "xc_w2j", {"--plugin", "wal2json"});
  ASSERT_EQ(pgoutput.size(), 20u);
  expect_same_events(wal2json, pgoutput);

  // Spot checks against the SQL above (not against either decoder).
  EXPECT_EQ(pgoutput[0].columns.at("customer"), "\"Zoë 🐘\"");
  EXPECT_EQ(pgoutput[0].columns.at("raw"), "\"\\\\xdeadbeef\"");
  EXPECT_EQ(pgoutput[0].columns.at("note"), "null");
  EXPECT_EQ(pgoutput[3].columns.at("customer"), "\"\"");
  const JsonEvent& toast_update = pgoutput[5];
  EXPECT_EQ(toast_update.op, "update");
  EXPECT_EQ(toast_update.columns.count("note"), 0u);  // unchanged TOAST: left out, never faked
  EXPECT_EQ(toast_update.unchanged_toast, std::vector<std::string>{"note"});
  for (const auto& e : pgoutput) {
    EXPECT_EQ(e.raw.find("rolled back"), std::string::npos);
  }
}
