// Example 01 against a real server, for both plugins: replaying what the example shows — inserts,
// updates as old → new column diffs, deletes — onto an empty table rebuilds exactly the table the
// database holds. Every update and delete must also carry the old row the replay holds at that
// point (REPLICA IDENTITY FULL), and every line names its LSN.
#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <string>

#include "change_printer.hpp"
#include "json_events.hpp"
#include "local_postgres.hpp"
#include "pg_session.hpp"
#include "product_workload.hpp"
#include "transactions.hpp"

using namespace sabot;
using namespace sabot::examples;
using sabot::test::LocalPostgres;

namespace {

using Row = std::map<std::string, std::optional<std::string>>;

Row row_of(const std::vector<Column>& columns) {
  Row row;
  for (const Column& c : columns) {
    const auto text = c.value.text_or_null();
    row[std::string(c.name)] = text ? std::optional<std::string>(*text) : std::nullopt;
  }
  return row;
}

std::string id_of(const ChangeEvent& e) {
  const Column* id = e.op == Op::Delete ? e.old_column("id") : e.column("id");
  return id ? std::string(id->value.text()) : "?";
}

std::map<std::string, Row> table_in_database(PgSession& db) {
  const std::vector<std::string> names = {"id",    "name",   "category",  "price",
                                          "stock", "active", "updated_at"};
  std::map<std::string, Row> table;
  for (const SqlRow& values :
       db.query("SELECT id, name, category, price, stock, active, updated_at FROM ex01.products")) {
    Row& row = table[*values[0]];
    for (size_t i = 0; i < names.size(); ++i) row[names[i]] = values[i];
  }
  return table;
}

class Example01Basic : public ::testing::TestWithParam<std::string> {};

}  // namespace

TEST_P(Example01Basic, ReplayingThePrintedDiffsRebuildsTheTable) {
  const std::string plugin = GetParam();
  LocalPostgres& pg = LocalPostgres::shared();
  const std::string dsn = pg.fresh_database("ex01_" + plugin);
  PgSession db(dsn);
  basic::create_schema(db);
  const std::string slot = "ex01_slot_" + plugin;  // slot names are cluster-wide
  auto init = test::run_cli({"init", "--dsn", dsn, "--slot", slot, "--publication", "ex01_pub",
                             "--plugin", plugin, "--tables", "ex01.products"});
  ASSERT_EQ(init.exit_code, 0) << init.err;
  const basic::WorkloadSummary summary = basic::run_workload(db, {.transactions = 300, .seed = 7});
  ASSERT_GT(summary.updates, 100);
  ASSERT_GT(summary.deletes, 20);

  PostgresCdcConfig config;
  config.dsn = dsn;
  config.slot_name = slot;
  config.publication_name = "ex01_pub";
  config.plugin = plugin == "wal2json" ? Plugin::Wal2json : Plugin::Pgoutput;
  config.tables = {"ex01.products"};
  config.end_lsn = db.current_wal_insert_lsn();
  PostgresCdcConnector connector(config);

  std::map<std::string, Row> replayed;
  int transactions = 0, updates = 0;
  for_each_transaction(connector, /*stop_at_done_message=*/false, [&](const Transaction& tx) {
    ++transactions;
    EXPECT_NE(basic::describe_transaction(tx.transaction_id, tx.commit_lsn, tx.commit_time, 1)
                  .find("xid " + std::to_string(tx.transaction_id)),
              std::string::npos);
    for (const ChangeEvent& e : tx.events) {
      if (e.op == Op::Message) continue;
      const std::string shown = basic::describe_change(e, {"id"});
      EXPECT_NE(shown.find("lsn " + e.lsn.to_string()), std::string::npos) << shown;
      const std::string id = id_of(e);
      if (e.op == Op::Insert) {
        EXPECT_EQ(replayed.count(id), 0u) << "insert of an existing id " << id;
        replayed[id] = row_of(e.columns);
        continue;
      }
      ASSERT_TRUE(e.old.has_value()) << "REPLICA IDENTITY FULL sends the old row";
      EXPECT_EQ(row_of(*e.old), replayed[id])
          << "old row of id " << id << " at " << e.lsn.to_string();
      if (e.op == Op::Delete) {
        replayed.erase(id);
        continue;
      }
      ++updates;
      const std::vector<basic::ColumnChange> diff = basic::diff_columns(*e.old, e.columns);
      EXPECT_FALSE(diff.empty() && row_of(*e.old) != row_of(e.columns));
      for (const basic::ColumnChange& change : diff) {
        EXPECT_NE(change.old_value, change.new_value);
        EXPECT_NE(shown.find(change.column + ": "), std::string::npos) << shown;
        replayed[id][change.column] = change.new_value;
      }
      EXPECT_EQ(replayed[id], row_of(e.columns)) << "the diff alone turns old into new";
    }
  });
  connector.close();
  EXPECT_EQ(transactions, summary.transactions + 1);  // + the done message
  EXPECT_EQ(updates, summary.updates);
  EXPECT_EQ(replayed, table_in_database(db));
}

INSTANTIATE_TEST_SUITE_P(Example01, Example01Basic, ::testing::Values("pgoutput", "wal2json"),
                         [](const auto& info) { return info.param; });
