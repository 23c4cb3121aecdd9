#include "cache_workload.hpp"

#include <fmt/format.h>

#include <random>
#include <set>
#include <string>
#include <vector>

#include "cache_setup.hpp"
#include "example_schema.hpp"
#include "money.hpp"
#include "workload_program.hpp"

namespace sabot::examples::cache {

namespace {

const std::vector<std::string> kTiers = {"free", "plus", "pro"};
const std::vector<std::string> kFirstNames = {"Ada", "Grace", "Linus", "Barbara", "Ken", "Edsger"};

class ChangeMaker {
 public:
  ChangeMaker(PgSession& db, const WorkloadOptions& options)
      : db_(db), options_(options), random_(options.seed) {}

  WorkloadSummary run() {
    populate();
    run_random_changes(db_, options_.transactions, options_.pause, random_,
                       [this] { return change(); });
    summary_.transactions = options_.transactions;
    return summary_;
  }

 private:
  int pick(int low, int high) { return std::uniform_int_distribution<int>(low, high)(random_); }

  // Three in four ids of each key space exist at the start; readers also ask for the others.
  void populate() {
    std::string sql = "BEGIN;";
    for (int id = 1; id <= cached_tables()[0].max_id * 3 / 4; ++id) sql += insert_user(id);
    for (int id = 1; id <= cached_tables()[1].max_id * 3 / 4; ++id) sql += insert_product(id);
    db_.exec(sql + "COMMIT;");
  }

  std::string insert_user(int id) {
    users_.insert(id);
    ++summary_.inserts;
    const std::string name = kFirstNames[static_cast<size_t>(pick(0, 5))];
    return fmt::format("INSERT INTO ex04.users (id, name, email, tier) VALUES ({}, {}, {}, {});",
                       id, sql_literal(name),
                       sql_literal(fmt::format("{}{}@example.com", name, id)),
                       sql_literal(kTiers[static_cast<size_t>(pick(0, 2))]));
  }

  std::string insert_product(int id) {
    products_.insert(id);
    ++summary_.inserts;
    return fmt::format(
        "INSERT INTO ex04.products (id, name, price, stock, description) VALUES ({}, {}, {}, {}, "
        "{});",
        id, sql_literal(fmt::format("Product {}", id)), cents_to_numeric(pick(100, 50000)),
        pick(0, 100), description());
  }

  // NULL, a short text, or a long one that PostgreSQL stores out of line (TOAST).
  std::string description() {
    switch (pick(0, 3)) {
      case 0:
        return "NULL";
      case 1:
        return sql_literal(fmt::format("short note {}", pick(1, 1000)));
      default: {
        std::string text(4000, ' ');
        for (char& c : text) c = static_cast<char>('a' + pick(0, 25));  // incompressible
        return sql_literal(text);
      }
    }
  }

  std::string change() {
    const bool user = pick(0, 1) == 0;
    std::set<int>& live = user ? users_ : products_;
    const int id = pick(1, cached_tables()[user ? 0 : 1].max_id);
    if (!live.count(id)) return user ? insert_user(id) : insert_product(id);
    if (pick(1, 100) <= 12) {
      live.erase(id);
      ++summary_.deletes;
      return fmt::format("DELETE FROM ex04.{} WHERE id = {};", user ? "users" : "products", id);
    }
    ++summary_.updates;
    if (user) {
      return fmt::format("UPDATE ex04.users SET tier = {}, updated_at = now() WHERE id = {};",
                         sql_literal(kTiers[static_cast<size_t>(pick(0, 2))]), id);
    }
    switch (pick(0, 2)) {  // the description is left alone twice in three times
      case 0:
        return fmt::format("UPDATE ex04.products SET stock = {} WHERE id = {};", pick(0, 100), id);
      case 1:
        return fmt::format("UPDATE ex04.products SET price = {} WHERE id = {};",
                           cents_to_numeric(pick(100, 50000)), id);
      default:
        return fmt::format("UPDATE ex04.products SET description = {} WHERE id = {};",
                           description(), id);
    }
  }

  PgSession& db_;
  WorkloadOptions options_;
  std::mt19937 random_;
  std::set<int> users_;
  std::set<int> products_;
  WorkloadSummary summary_;
};

}  // namespace

void create_schema(PgSession& db) {
  claim_example_schema(db, "ex04");  // refuses a schema of that name it did not create
  db.exec(R"sql(
    DROP TABLE IF EXISTS ex04.users, ex04.products;
    CREATE TABLE ex04.users (
      id         integer PRIMARY KEY,
      name       text NOT NULL,
      email      text NOT NULL,
      tier       text NOT NULL,
      updated_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE TABLE ex04.products (
      id          integer PRIMARY KEY,
      name        text NOT NULL,
      price       numeric(10,2) NOT NULL,
      stock       integer NOT NULL,
      description text
    );
  )sql");
}

WorkloadSummary run_workload(PgSession& db, const WorkloadOptions& options) {
  return ChangeMaker(db, options).run();
}

}  // namespace sabot::examples::cache
