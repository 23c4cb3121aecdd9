// Example 02 on an order placed before the stream began: its payment and its status change are
// both reported (neither is silently counted as if the order were known).
#include <gtest/gtest.h>

#include <algorithm>

#include "local_postgres.hpp"
#include "order_processor.hpp"
#include "pg_session.hpp"
#include "shop_workload.hpp"
#include "transactions.hpp"

using namespace sabot;
using namespace sabot::examples;
using sabot::test::LocalPostgres;

namespace {

bool has_alert(const orders::OrderProcessor& processor, const std::string& text) {
  return std::any_of(processor.alerts().begin(), processor.alerts().end(),
                     [&](const orders::Alert& a) { return a.message == text; });
}

}  // namespace

TEST(Example02UnknownOrder, PaymentAndStatusChangeOfAnUnseenOrderAreBothAlerts) {
  const std::string dsn = LocalPostgres::shared().fresh_database("ex02_unknown_order");
  PgSession db(dsn);
  orders::create_schema(db);
  db.exec(
      "INSERT INTO ex02.inventory VALUES (1, 'Mug', 10.00, 5, 1);"
      "INSERT INTO ex02.orders (id, customer_id, status, total) VALUES (1, 1, 'pending', 10.00);"
      "INSERT INTO ex02.order_items VALUES (1, 1, 1, 1, 10.00);");
  const auto init =
      test::run_cli({"init", "--dsn", dsn, "--slot", "ex02_unknown_slot", "--publication",
                     "ex02_unknown_pub", "--tables", "ex02.*", "--no-ddl-capture"});
  ASSERT_EQ(init.exit_code, 0) << init.err;
  db.exec(
      "BEGIN; INSERT INTO ex02.payments (id, order_id, amount, status) VALUES "
      "(1, 1, 10.00, 'captured'); UPDATE ex02.orders SET status = 'paid' WHERE id = 1; COMMIT;");

  PostgresCdcConfig config;
  config.dsn = dsn;
  config.slot_name = "ex02_unknown_slot";
  config.publication_name = "ex02_unknown_pub";
  config.end_lsn = db.current_wal_insert_lsn();
  PostgresCdcConnector connector(config);
  orders::OrderProcessor processor;
  for_each_transaction(connector, false, [&](const Transaction& tx) { processor.apply(tx); });
  connector.close();

  EXPECT_TRUE(has_alert(processor, "payment 1 for order 1, which the stream never placed"));
  EXPECT_TRUE(has_alert(processor, "status change of order 1, which the stream never placed"));
  test::run_cli({"slots", "--dsn", dsn, "drop", "ex02_unknown_slot"});
}
