#include "product_workload.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "example_schema.hpp"
#include "money.hpp"
#include "workload_program.hpp"

namespace sabot::examples::basic {

namespace {

const std::vector<std::string> kNames = {"Laptop", "Mouse",     "Keyboard", "Monitor", "Headset",
                                         "Webcam", "Desk Lamp", "USB Hub",  "Chair",   "Notebook"};
const std::vector<std::string> kCategories = {"electronics", "office", "furniture"};

class ProductWorkload {
 public:
  ProductWorkload(PgSession& db, const WorkloadOptions& options)
      : db_(db), options_(options), random_(options.seed) {}

  WorkloadSummary run() {
    continue_after_existing_rows();
    run_random_changes(db_, options_.transactions, options_.pause, random_,
                       [this] { return next_change(); });
    summary_.transactions = options_.transactions;
    return summary_;
  }

 private:
  int pick(int low, int high) { return std::uniform_int_distribution<int>(low, high)(random_); }
  template <typename T>
  const T& pick_from(const std::vector<T>& items) {
    return items[static_cast<size_t>(pick(0, static_cast<int>(items.size()) - 1))];
  }

  // Rows left by an earlier run stay: new ids start after them and they may be updated or deleted.
  void continue_after_existing_rows() {
    for (const SqlRow& row : db_.query("SELECT id FROM ex01.products ORDER BY id")) {
      const int id = std::stoi(*row[0]);
      live_ids_.push_back(id);
      next_id_ = std::max(next_id_, id + 1);
    }
  }

  std::string next_change() {
    const int roll = pick(1, 100);
    if (live_ids_.size() < 3 || roll <= 40) return insert();
    if (roll <= 85) return update();
    return remove();
  }

  std::string insert() {
    const int id = next_id_++;
    live_ids_.push_back(id);
    ++summary_.inserts;
    return fmt::format(
        "INSERT INTO ex01.products (id, name, category, price, stock) VALUES ({}, {}, {}, {}, {});",
        id, sql_literal(pick_from(kNames)), sql_literal(pick_from(kCategories)),
        cents_to_numeric(pick(199, 99999)), pick(0, 50));
  }

  // Changes one to three columns of a random live product.
  std::string update() {
    ++summary_.updates;
    std::vector<std::string> sets = {"updated_at = now()"};
    std::vector<int> columns = {0, 1, 2, 3, 4};  // distinct: SET may name a column only once
    std::shuffle(columns.begin(), columns.end(), random_);
    columns.resize(static_cast<size_t>(pick(1, 3)));
    for (int column : columns) {
      switch (column) {
        case 0:
          sets.push_back(fmt::format("price = {}", cents_to_numeric(pick(199, 99999))));
          break;
        case 1:
          sets.push_back(fmt::format("stock = {}", pick(0, 50)));
          break;
        case 2:
          sets.push_back("name = " + sql_literal(pick_from(kNames) + " Pro"));
          break;
        case 3:
          sets.push_back(pick(0, 3) == 0 ? "category = NULL"
                                         : "category = " + sql_literal(pick_from(kCategories)));
          break;
        default:
          sets.push_back("active = NOT active");
          break;
      }
    }
    std::string assignments;
    for (const std::string& s : sets) assignments += (assignments.empty() ? "" : ", ") + s;
    return fmt::format("UPDATE ex01.products SET {} WHERE id = {};", assignments,
                       pick_from(live_ids_));
  }

  std::string remove() {
    ++summary_.deletes;
    const size_t index = static_cast<size_t>(pick(0, static_cast<int>(live_ids_.size()) - 1));
    const int id = live_ids_[index];
    live_ids_.erase(live_ids_.begin() + static_cast<std::ptrdiff_t>(index));
    return fmt::format("DELETE FROM ex01.products WHERE id = {};", id);
  }

  PgSession& db_;
  WorkloadOptions options_;
  std::mt19937 random_;
  std::vector<int> live_ids_;
  int next_id_ = 1;
  WorkloadSummary summary_;
};

}  // namespace

void create_schema(PgSession& db) {
  claim_example_schema(db, "ex01");  // refuses a schema of that name it did not create
  db.exec(R"sql(
    DROP TABLE IF EXISTS ex01.products;
    CREATE TABLE ex01.products (
      id         integer PRIMARY KEY,
      name       text NOT NULL,
      category   text,
      price      numeric(10,2) NOT NULL,
      stock      integer NOT NULL,
      active     boolean NOT NULL DEFAULT true,
      updated_at timestamptz NOT NULL DEFAULT now()
    );
    -- Updates and deletes then carry the whole old row, so the example can diff old and new.
    ALTER TABLE ex01.products REPLICA IDENTITY FULL;
  )sql");
}

WorkloadSummary run_workload(PgSession& db, const WorkloadOptions& options) {
  return ProductWorkload(db, options).run();
}

}  // namespace sabot::examples::basic
