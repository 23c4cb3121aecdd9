// Example 02 against a real server: after a random simulation of 2,000 orders, the processor —
// fed only by the change stream — holds the same order statuses, revenue, average order value,
// refunds, inventory and payments as SQL computes on the database, found every illegal transition
// the simulation injected, and no other inconsistency.
#include <gtest/gtest.h>

#include <map>
#include <random>

#include "json_events.hpp"
#include "local_postgres.hpp"
#include "order_processor.hpp"
#include "pg_session.hpp"
#include "shop_workload.hpp"
#include "transactions.hpp"

using namespace sabot;
using namespace sabot::examples;
using sabot::test::LocalPostgres;

namespace {

Cents money(const std::optional<std::string>& numeric) {
  return numeric ? parse_cents(*numeric) : 0;
}

int64_t number(const std::optional<std::string>& text) {
  return text ? std::stoll(*text) : 0;
}

class Example02Orders : public ::testing::TestWithParam<std::string> {};

}  // namespace

TEST_P(Example02Orders, ProcessorMatchesSqlAfter2000RandomOrders) {
  const std::string plugin = GetParam();
  const uint32_t seed = std::random_device{}();
  SCOPED_TRACE("workload seed " + std::to_string(seed) + " (set it to reproduce)");
  LocalPostgres& pg = LocalPostgres::shared();
  const std::string dsn = pg.fresh_database("ex02_" + plugin);
  PgSession db(dsn);
  orders::create_schema(db);
  const std::string slot = "ex02_slot_" + plugin;
  auto init = test::run_cli({"init", "--dsn", dsn, "--slot", slot, "--publication", "ex02_pub",
                             "--plugin", plugin, "--tables",
                             "ex02.orders,ex02.order_items,ex02.payments,ex02.inventory"});
  ASSERT_EQ(init.exit_code, 0) << init.err;
  const orders::WorkloadSummary summary =
      orders::run_workload(db, {.orders = 2000, .products = 12, .seed = seed});
  ASSERT_EQ(summary.orders, 2000);

  PostgresCdcConfig config;
  config.dsn = dsn;
  config.slot_name = slot;
  config.publication_name = "ex02_pub";
  config.plugin = plugin == "wal2json" ? Plugin::Wal2json : Plugin::Pgoutput;
  config.batch_size = 500;
  config.end_lsn = db.current_wal_insert_lsn();
  PostgresCdcConnector connector(config);
  orders::OrderProcessor processor;
  for_each_transaction(connector, false, [&](const Transaction& tx) { processor.apply(tx); });
  connector.close();
  EXPECT_EQ(processor.transactions(), summary.transactions + 1);  // + the done message

  const orders::Metrics m = processor.metrics();
  for (const SqlRow& row : db.query("SELECT status, count(*) FROM ex02.orders GROUP BY status")) {
    const auto status = orders::parse_status(*row[0]);
    ASSERT_TRUE(status) << *row[0];
    EXPECT_EQ(m.orders_by_status.at(*status), number(row[1])) << *row[0];
  }
  int64_t counted = 0;
  for (const auto& [status, count] : m.orders_by_status) counted += count;
  EXPECT_EQ(counted, 2000);

  const SqlRow captured = db.query(
      "SELECT sum(amount), count(*), trunc(sum(amount) / count(*), 2) FROM ex02.payments "
      "WHERE status = 'captured'")[0];
  EXPECT_EQ(m.revenue, money(captured[0]));
  EXPECT_EQ(m.captured_payments, number(captured[1]));
  EXPECT_EQ(m.average_order_value(), money(captured[2]));
  const SqlRow refunded =
      db.query("SELECT sum(amount), count(*) FROM ex02.payments WHERE status = 'refunded'")[0];
  EXPECT_EQ(m.refunded_amount, money(refunded[0]));
  EXPECT_EQ(m.refunds, number(refunded[1]));
  EXPECT_EQ(m.refunds, summary.refunds);

  const auto inventory = db.query(
      "SELECT product_id, on_hand, reserved, on_hand - reserved "
      "FROM ex02.inventory ORDER BY product_id");
  ASSERT_EQ(processor.inventory().size(), inventory.size());
  for (const SqlRow& row : inventory) {
    const int64_t product = number(row[0]);
    const orders::Stock& stock = processor.inventory().at(product);
    EXPECT_EQ(stock.on_hand, number(row[1])) << "product " << product;
    EXPECT_EQ(stock.reserved, number(row[2])) << "product " << product;
    EXPECT_EQ(stock.available(), number(row[3])) << "product " << product;
    const auto held = processor.reserved_by_orders().find(product);
    EXPECT_EQ(held == processor.reserved_by_orders().end() ? 0 : held->second, number(row[2]))
        << "reservations the processor derived from order lines, product " << product;
  }

  const auto payments = db.query("SELECT id, order_id, amount, status FROM ex02.payments");
  ASSERT_EQ(processor.payments().size(), payments.size());
  for (const SqlRow& row : payments) {
    const orders::Payment& p = processor.payments().at(number(row[0]));
    EXPECT_EQ(p.order_id, number(row[1]));
    EXPECT_EQ(p.amount, money(row[2]));
    EXPECT_EQ(p.refunded, *row[3] == "refunded");
  }

  EXPECT_EQ(processor.illegal_transitions(), summary.illegal_transitions);
  EXPECT_GT(summary.illegal_transitions, 0);
  for (const orders::Alert& alert : processor.alerts()) {
    EXPECT_TRUE(alert.illegal_transition) << alert.message;
  }
}

INSTANTIATE_TEST_SUITE_P(Example02, Example02Orders, ::testing::Values("pgoutput", "wal2json"),
                         [](const auto& info) { return info.param; });
