// Example 03 against a real server with track_commit_timestamp on: the workload spreads orders
// over four seconds; every window the processor closed — tumbling 500 ms, sliding 1 s every
// 250 ms — must equal a SQL GROUP BY over the same orders bucketed by their commit time
// (pg_xact_commit_timestamp(xmin), the time the stream reports): totals, revenue and order count
// per category and per region, and the top products. And no window with data that ended before
// the stream's last commit time may be missing.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "analytics_processor.hpp"
#include "analytics_workload.hpp"
#include "json_events.hpp"
#include "local_postgres.hpp"
#include "pg_session.hpp"
#include "transactions.hpp"

using namespace sabot;
using namespace sabot::examples;
using namespace sabot::examples::analytics;
using sabot::test::LocalPostgres;
using std::chrono::milliseconds;

namespace {

constexpr size_t kTopN = 3;

int64_t micros(Timestamp t) {
  return t.time_since_epoch().count();
}
int64_t number(const std::optional<std::string>& text) {
  return std::stoll(text.value());
}

// What SQL says about the windows of one spec, keyed by window start (µs since the epoch).
struct SqlWindows {
  std::map<int64_t, WindowResult> by_start;
  std::map<int64_t, std::vector<std::pair<int64_t, Cents>>> top;
};

// The orders of each window: every order joined with the windows containing its commit time.
std::string windows_cte(const WindowSpec& spec) {
  const int64_t size = spec.size.count(), slide = spec.slide.count();
  return "WITH o AS (SELECT id, region, "
         "(extract(epoch FROM pg_xact_commit_timestamp(xmin)) * 1000000)::bigint AS t "
         "FROM ex03.orders), "
         "w AS (SELECT o.id, o.region, k * " +
         std::to_string(slide) +
         " AS start FROM o, "
         "generate_series((o.t - " +
         std::to_string(size) + ") / " + std::to_string(slide) + " + 1, o.t / " +
         std::to_string(slide) + ") AS k) ";
}

SqlWindows sql_windows(PgSession& db, const WindowSpec& spec) {
  SqlWindows out;
  const std::string cte = windows_cte(spec);
  for (const SqlRow& r :
       db.query(cte + "SELECT w.start, count(DISTINCT w.id), sum(l.quantity), "
                      "sum(l.quantity * l.unit_price) FROM w JOIN ex03.order_lines l "
                      "ON l.order_id = w.id GROUP BY w.start")) {
    WindowResult& result = out.by_start[number(r[0])];
    result.orders = number(r[1]);
    result.items = number(r[2]);
    result.revenue = parse_cents(*r[3]);
  }
  for (const SqlRow& r :
       db.query(cte + "SELECT w.start, p.category, sum(l.quantity * "
                      "l.unit_price), count(DISTINCT w.id) FROM w JOIN "
                      "ex03.order_lines l ON l.order_id = w.id JOIN ex03.products p ON "
                      "p.id = l.product_id GROUP BY 1, 2")) {
    out.by_start[number(r[0])].by_category[*r[1]] = {parse_cents(*r[2]), number(r[3])};
  }
  for (const SqlRow& r : db.query(cte + "SELECT w.start, w.region, sum(l.quantity * "
                                        "l.unit_price), count(DISTINCT w.id) FROM w JOIN "
                                        "ex03.order_lines l ON l.order_id = w.id GROUP BY 1, 2")) {
    out.by_start[number(r[0])].by_region[*r[1]] = {parse_cents(*r[2]), number(r[3])};
  }
  for (const SqlRow& r :
       db.query(cte +
                "SELECT start, product_id, revenue FROM (SELECT w.start, l.product_id, "
                "sum(l.quantity * l.unit_price) AS revenue, row_number() OVER (PARTITION BY "
                "w.start ORDER BY sum(l.quantity * l.unit_price) DESC, l.product_id) AS rank "
                "FROM w JOIN ex03.order_lines l ON l.order_id = w.id GROUP BY 1, 2) ranked "
                "WHERE rank <= " +
                std::to_string(kTopN) + " ORDER BY start, rank")) {
    out.top[number(r[0])].emplace_back(number(r[1]), parse_cents(*r[2]));
  }
  return out;
}

void expect_closed_windows_match_sql(const std::vector<WindowResult>& closed, const SqlWindows& sql,
                                     const WindowSpec& spec, Timestamp watermark,
                                     const std::string& kind) {
  std::set<int64_t> seen;
  for (const WindowResult& w : closed) {
    const int64_t start = micros(w.window.start);
    SCOPED_TRACE(kind + " window " + describe(w.window));
    seen.insert(start);
    ASSERT_EQ(sql.by_start.count(start), 1u) << "SQL has no orders in this window";
    const WindowResult& truth = sql.by_start.at(start);
    EXPECT_EQ(w.orders, truth.orders);
    EXPECT_EQ(w.items, truth.items);
    EXPECT_EQ(w.revenue, truth.revenue);
    EXPECT_EQ(w.by_category, truth.by_category);
    EXPECT_EQ(w.by_region, truth.by_region);
    EXPECT_EQ(w.top_products(kTopN), sql.top.at(start));
  }
  for (const auto& [start, truth] : sql.by_start) {
    const bool ended = start + spec.size.count() <= micros(watermark);
    EXPECT_EQ(seen.count(start), ended ? 1u : 0u)
        << kind << " window starting at " << start << " µs: ended before the last commit time";
  }
}

class Example03Analytics : public ::testing::TestWithParam<std::string> {};

}  // namespace

TEST_P(Example03Analytics, EveryClosedWindowEqualsSqlGroupByCommitTime) {
  const std::string plugin = GetParam();
  static LocalPostgres pg({"track_commit_timestamp = on"});
  const std::string dsn = pg.fresh_database("ex03_" + plugin);
  PgSession db(dsn);
  create_schema(db);
  const std::string slot = "ex03_slot_" + plugin;
  auto init =
      test::run_cli({"init", "--dsn", dsn, "--slot", slot, "--publication", "ex03_pub", "--plugin",
                     plugin, "--tables", "ex03.products,ex03.orders,ex03.order_lines"});
  ASSERT_EQ(init.exit_code, 0) << init.err;
  const WorkloadSummary summary =
      run_workload(db, {.orders = 800, .products = 15, .duration = milliseconds(4000), .seed = 11});

  AnalyticsOptions options;
  options.tumbling = WindowSpec::tumbling(milliseconds(500));
  options.sliding = WindowSpec::sliding(milliseconds(1000), milliseconds(250));
  options.top_n = kTopN;
  AnalyticsProcessor processor(options);
  PostgresCdcConfig config;
  config.dsn = dsn;
  config.slot_name = slot;
  config.publication_name = "ex03_pub";
  config.plugin = plugin == "wal2json" ? Plugin::Wal2json : Plugin::Pgoutput;
  config.end_lsn = db.current_wal_insert_lsn();
  PostgresCdcConnector connector(config);
  std::vector<WindowResult> tumbling, sliding;
  for_each_transaction(connector, false, [&](const Transaction& tx) {
    for (ClosedWindow& closed : processor.apply(tx)) {
      (closed.tumbling ? tumbling : sliding).push_back(std::move(closed.result));
    }
  });
  connector.close();

  EXPECT_EQ(processor.orders(), summary.orders);
  EXPECT_EQ(processor.late_orders(), 0);
  EXPECT_GE(tumbling.size(), 7u) << "4 s of orders in 500 ms windows";
  EXPECT_GE(sliding.size(), 14u);
  expect_closed_windows_match_sql(tumbling, sql_windows(db, options.tumbling), options.tumbling,
                                  processor.watermark(), "tumbling");
  expect_closed_windows_match_sql(sliding, sql_windows(db, options.sliding), options.sliding,
                                  processor.watermark(), "sliding");
}

INSTANTIATE_TEST_SUITE_P(Example03, Example03Analytics, ::testing::Values("pgoutput", "wal2json"),
                         [](const auto& info) { return info.param; });
