#include "shop_workload.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "example_schema.hpp"
#include "money.hpp"
#include "transactions.hpp"

namespace sabot::examples::orders {

namespace {

const std::vector<std::string> kProductNames = {"Espresso Machine",
                                                "Coffee Grinder",
                                                "Milk Frother",
                                                "Kettle",
                                                "Tea Set",
                                                "French Press",
                                                "Mug",
                                                "Scale",
                                                "Tamper",
                                                "Filter Papers",
                                                "Cold Brew Jar",
                                                "Travel Cup",
                                                "Descaler",
                                                "Knock Box",
                                                "Pour-over Stand"};

struct SimProduct {
  int64_t id;
  Cents price;
  int64_t on_hand;
  int64_t reserved;
};

struct SimLine {
  size_t product;  // index into products_
  int64_t quantity;
};

struct SimOrder {
  int64_t id;
  std::string status;
  std::vector<SimLine> lines;
  Cents total = 0;
  int64_t payment_id = 0;
};

// The shop: it knows its own state exactly (it is the only writer), so it never needs to read
// back what it wrote, and every transaction is a single round trip.
class Shop {
 public:
  Shop(PgSession& db, const WorkloadOptions& options)
      : db_(db), options_(options), random_(options.seed) {}

  WorkloadSummary run() {
    stock_warehouse();
    while (summary_.orders < options_.orders || !active_.empty()) {
      const bool may_place = summary_.orders < options_.orders;
      if (may_place && (active_.size() < 20 || chance(35))) {
        place_order();
      } else {
        advance(pick_index(active_.size()));
      }
      if (chance(2)) restock(pick_index(products_.size()), 40);
      if (!finished_.empty() && pick(1, 1000) <= options_.illegal_per_thousand_steps) {
        illegal_step();
      }
    }
    db_.exec(kDoneMessageSql);
    return summary_;
  }

 private:
  int pick(int low, int high) { return std::uniform_int_distribution<int>(low, high)(random_); }
  size_t pick_index(size_t size) {
    return static_cast<size_t>(pick(0, static_cast<int>(size) - 1));
  }
  bool chance(int percent) { return pick(1, 100) <= percent; }

  void commit(const std::string& statements) {
    db_.exec("BEGIN;" + statements + "COMMIT;");
    ++summary_.transactions;
    if (options_.pause.count() > 0) std::this_thread::sleep_for(options_.pause);
  }

  void stock_warehouse() {
    std::string sql;
    for (int i = 0; i < options_.products; ++i) {
      SimProduct p{i + 1, pick(500, 20000), 60, 0};
      products_.push_back(p);
      sql += fmt::format(
          "INSERT INTO ex02.inventory (product_id, name, price, on_hand, reserved) "
          "VALUES ({}, {}, {}, {}, 0);",
          p.id, sql_literal(kProductNames[static_cast<size_t>(i) % kProductNames.size()]),
          cents_to_numeric(p.price), p.on_hand);
    }
    commit(sql);
  }

  void restock(size_t product, int64_t units) {
    products_[product].on_hand += units;
    commit(fmt::format("UPDATE ex02.inventory SET on_hand = on_hand + {} WHERE product_id = {};",
                       units, products_[product].id));
    ++summary_.restocks;
  }

  // Order, items and reservations in one transaction.
  void place_order() {
    SimOrder order{next_order_id_++, "pending", {}, 0, 0};
    std::vector<size_t> candidates(products_.size());
    for (size_t i = 0; i < candidates.size(); ++i) candidates[i] = i;
    std::shuffle(candidates.begin(), candidates.end(), random_);
    candidates.resize(static_cast<size_t>(pick(1, 4)));
    for (size_t product : candidates) {
      const int64_t quantity = pick(1, 3);
      SimProduct& p = products_[product];
      if (p.on_hand - p.reserved < quantity) restock(product, 50);
      p.reserved += quantity;
      order.lines.push_back({product, quantity});
      order.total += quantity * p.price;
    }
    std::string sql = fmt::format(
        "INSERT INTO ex02.orders (id, customer_id, status, total) VALUES ({}, {}, 'pending', {});",
        order.id, pick(1, 500), cents_to_numeric(order.total));
    for (size_t line = 0; line < order.lines.size(); ++line) {
      const SimProduct& p = products_[order.lines[line].product];
      sql += fmt::format(
          "INSERT INTO ex02.order_items (order_id, line_no, product_id, quantity, unit_price) "
          "VALUES ({}, {}, {}, {}, {});"
          "UPDATE ex02.inventory SET reserved = reserved + {} WHERE product_id = {};",
          order.id, line + 1, p.id, order.lines[line].quantity, cents_to_numeric(p.price),
          order.lines[line].quantity, p.id);
    }
    commit(sql);
    active_.push_back(order);
    ++summary_.orders;
  }

  void advance(size_t index) {
    SimOrder& order = active_[index];
    if (order.status == "pending") {
      chance(85) ? pay(order) : cancel(order);
    } else if (order.status == "paid") {
      chance(88) ? ship(order) : cancel(order);
    } else {
      deliver(order);
    }
    if (order.status == "delivered" || order.status == "cancelled") {
      finished_.push_back(order);
      active_.erase(active_.begin() + static_cast<std::ptrdiff_t>(index));
    }
  }

  void pay(SimOrder& order) {
    order.payment_id = next_payment_id_++;
    order.status = "paid";
    commit(fmt::format(
        "INSERT INTO ex02.payments (id, order_id, amount, status) VALUES ({}, {}, {}, 'captured');"
        "UPDATE ex02.orders SET status = 'paid', updated_at = now() WHERE id = {};",
        order.payment_id, order.id, cents_to_numeric(order.total), order.id));
    ++summary_.payments;
  }

  // The units leave the warehouse: on hand and reserved both go down.
  void ship(SimOrder& order) {
    std::string sql = fmt::format(
        "UPDATE ex02.orders SET status = 'shipped', updated_at = now() WHERE id = {};", order.id);
    for (const SimLine& line : order.lines) {
      SimProduct& p = products_[line.product];
      p.on_hand -= line.quantity;
      p.reserved -= line.quantity;
      sql += fmt::format(
          "UPDATE ex02.inventory SET on_hand = on_hand - {0}, reserved = reserved - {0} "
          "WHERE product_id = {1};",
          line.quantity, p.id);
    }
    order.status = "shipped";
    commit(sql);
    ++summary_.shipments;
  }

  void deliver(SimOrder& order) {
    order.status = "delivered";
    commit(fmt::format(
        "UPDATE ex02.orders SET status = 'delivered', updated_at = now() WHERE id = {};",
        order.id));
    ++summary_.deliveries;
  }

  void cancel(SimOrder& order) {
    std::string sql = fmt::format(
        "UPDATE ex02.orders SET status = 'cancelled', updated_at = now() WHERE id = {};", order.id);
    for (const SimLine& line : order.lines) {
      products_[line.product].reserved -= line.quantity;
      sql +=
          fmt::format("UPDATE ex02.inventory SET reserved = reserved - {} WHERE product_id = {};",
                      line.quantity, products_[line.product].id);
    }
    if (order.status == "paid") {
      sql += fmt::format(
          "UPDATE ex02.payments SET status = 'refunded', updated_at = now() WHERE id = {};",
          order.payment_id);
      ++summary_.refunds;
    }
    order.status = "cancelled";
    commit(sql);
    ++summary_.cancellations;
  }

  // A buggy back office: a status change the state machine forbids, with no stock or money
  // moving. Each finished order gets at most one.
  void illegal_step() {
    const size_t index = pick_index(finished_.size());
    const SimOrder order = finished_[index];
    finished_.erase(finished_.begin() + static_cast<std::ptrdiff_t>(index));
    const char* status = order.status == "delivered" ? "shipped" : "paid";
    commit(fmt::format("UPDATE ex02.orders SET status = '{}', updated_at = now() WHERE id = {};",
                       status, order.id));
    ++summary_.illegal_transitions;
  }

  PgSession& db_;
  WorkloadOptions options_;
  std::mt19937 random_;
  std::vector<SimProduct> products_;
  std::vector<SimOrder> active_;
  std::vector<SimOrder> finished_;
  int64_t next_order_id_ = 1;
  int64_t next_payment_id_ = 1;
  WorkloadSummary summary_;
};

}  // namespace

void create_schema(PgSession& db) {
  claim_example_schema(db, "ex02");  // refuses a schema of that name it did not create
  db.exec(R"sql(
    DROP TABLE IF EXISTS ex02.payments, ex02.order_items, ex02.orders, ex02.inventory;
    CREATE TABLE ex02.inventory (
      product_id integer PRIMARY KEY,
      name       text NOT NULL,
      price      numeric(10,2) NOT NULL,
      on_hand    integer NOT NULL,
      reserved   integer NOT NULL DEFAULT 0,
      CHECK (0 <= reserved AND reserved <= on_hand)
    );
    CREATE TABLE ex02.orders (
      id          bigint PRIMARY KEY,
      customer_id integer NOT NULL,
      status      text NOT NULL,
      total       numeric(12,2) NOT NULL,
      created_at  timestamptz NOT NULL DEFAULT now(),
      updated_at  timestamptz NOT NULL DEFAULT now()
    );
    CREATE TABLE ex02.order_items (
      order_id   bigint NOT NULL REFERENCES ex02.orders,
      line_no    integer NOT NULL,
      product_id integer NOT NULL REFERENCES ex02.inventory,
      quantity   integer NOT NULL,
      unit_price numeric(10,2) NOT NULL,
      PRIMARY KEY (order_id, line_no)
    );
    CREATE TABLE ex02.payments (
      id         bigint PRIMARY KEY,
      order_id   bigint NOT NULL REFERENCES ex02.orders,
      amount     numeric(12,2) NOT NULL,
      status     text NOT NULL,
      updated_at timestamptz NOT NULL DEFAULT now()
    );
  )sql");
}

WorkloadSummary run_workload(PgSession& db, const WorkloadOptions& options) {
  return Shop(db, options).run();
}

}  // namespace sabot::examples::orders
