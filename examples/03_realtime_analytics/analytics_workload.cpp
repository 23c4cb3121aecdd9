#include "analytics_workload.hpp"

#include <fmt/format.h>

#include <random>
#include <string>
#include <thread>
#include <vector>

#include "example_schema.hpp"
#include "money.hpp"
#include "transactions.hpp"

namespace sabot::examples::analytics {

namespace {

const std::vector<std::string> kRegions = {"eu-west", "eu-north", "us-east", "us-west", "apac"};
const std::vector<std::string> kCategories = {"coffee", "tea", "equipment", "accessories", "books"};
const std::vector<std::string> kWords = {"Ethiopia", "Colombia", "Sencha",   "Assam", "Grinder",
                                         "Kettle",   "Filter",   "Handbook", "Scale", "Dripper"};

struct Product {
  int id;
  Cents price;
};

}  // namespace

void create_schema(PgSession& db) {
  claim_example_schema(db, "ex03");  // refuses a schema of that name it did not create
  db.exec(R"sql(
    DROP TABLE IF EXISTS ex03.order_lines, ex03.orders, ex03.products;
    CREATE TABLE ex03.products (
      id       integer PRIMARY KEY,
      name     text NOT NULL,
      category text NOT NULL,
      price    numeric(10,2) NOT NULL
    );
    -- Insert-only: an order's xmin stays the transaction that placed it, so the test can ask
    -- pg_xact_commit_timestamp(xmin) for the commit time the stream reported.
    CREATE TABLE ex03.orders (
      id          bigint PRIMARY KEY,
      region      text NOT NULL,
      customer_id integer NOT NULL
    );
    CREATE TABLE ex03.order_lines (
      order_id   bigint NOT NULL REFERENCES ex03.orders,
      line_no    integer NOT NULL,
      product_id integer NOT NULL REFERENCES ex03.products,
      quantity   integer NOT NULL,
      unit_price numeric(10,2) NOT NULL,
      PRIMARY KEY (order_id, line_no)
    );
  )sql");
}

WorkloadSummary run_workload(PgSession& db, const WorkloadOptions& options) {
  std::mt19937 random(options.seed);
  const auto pick = [&](int low, int high) {
    return std::uniform_int_distribution<int>(low, high)(random);
  };
  std::vector<Product> catalog;
  std::string sql = "BEGIN;";
  for (int id = 1; id <= options.products; ++id) {
    const Product p{id, pick(300, 9000)};
    catalog.push_back(p);
    sql += fmt::format(
        "INSERT INTO ex03.products VALUES ({}, {}, {}, {});", id,
        sql_literal(fmt::format("{} #{}", kWords[static_cast<size_t>(id) % kWords.size()], id)),
        sql_literal(kCategories[static_cast<size_t>(id) % kCategories.size()]),
        cents_to_numeric(p.price));
  }
  db.exec(sql + "COMMIT;");

  WorkloadSummary summary;
  const auto start = std::chrono::steady_clock::now();
  for (int order = 1; order <= options.orders; ++order) {
    // Pace by the clock, not by sleeping a fixed amount: slow round trips do not stretch the run.
    std::this_thread::sleep_until(start + options.duration * (order - 1) / options.orders);
    sql = fmt::format("BEGIN;INSERT INTO ex03.orders VALUES ({}, {}, {});", order,
                      sql_literal(kRegions[static_cast<size_t>(pick(0, 4))]), pick(1, 1000));
    const int lines = pick(1, 4);
    for (int line = 1; line <= lines; ++line) {
      const Product& p = catalog[static_cast<size_t>(pick(0, options.products - 1))];
      sql += fmt::format("INSERT INTO ex03.order_lines VALUES ({}, {}, {}, {}, {});", order, line,
                         p.id, pick(1, 3), cents_to_numeric(p.price));
    }
    db.exec(sql + "COMMIT;");
    ++summary.orders;
    summary.lines += lines;
  }
  db.exec(kDoneMessageSql);
  return summary;
}

}  // namespace sabot::examples::analytics
