#include "delivery_workload.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

#include "sabot/lsn.hpp"

namespace sabot::test {

Workload::Workload(const LocalPostgres& pg, std::string table, uint32_t seed)
    : conn_(PQconnectdb(pg.dsn().c_str())), table_(std::move(table)), rng_(seed) {
  if (PQstatus(conn_) != CONNECTION_OK) throw std::runtime_error(PQerrorMessage(conn_));
}

Workload::~Workload() {
  PQfinish(conn_);
}

void Workload::run(size_t changes) {
  const size_t target = expected_.size() + changes;
  static const int kSizes[] = {1, 2, 10, 100, 1000};
  while (expected_.size() < target) {
    run_transaction(kSizes[rng_() % 5]);
  }
}

void Workload::reconnect() {
  PQreset(conn_);
  if (PQstatus(conn_) != CONNECTION_OK) throw std::runtime_error(PQerrorMessage(conn_));
}

void Workload::run_transaction(int size) {
  std::string sql = "BEGIN;";
  std::vector<ExpectedChange> changes;
  for (int i = 0; i < size; ++i) {
    const unsigned dice = rng_() % 10;
    if (dice < 6 || live_.empty()) {
      const int64_t id = next_id_++;
      sql += "INSERT INTO " + table_ + " VALUES (" + std::to_string(id) + ", 0, repeat('p', 40));";
      live_.push_back(id);
      changes.push_back({"insert", id});
    } else if (dice < 9) {
      const int64_t id = live_[rng_() % live_.size()];
      sql += "UPDATE " + table_ + " SET v = v + 1 WHERE id = " + std::to_string(id) + ";";
      changes.push_back({"update", id});
    } else {
      const size_t at = rng_() % live_.size();
      const int64_t id = live_[at];
      live_[at] = live_.back();
      live_.pop_back();
      sql += "DELETE FROM " + table_ + " WHERE id = " + std::to_string(id) + ";";
      changes.push_back({"delete", id});
    }
  }
  sql += "COMMIT;";
  PGresult* res = PQexec(conn_, sql.c_str());
  const bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
  PQclear(res);
  if (!ok) throw std::runtime_error(std::string("workload failed: ") + PQerrorMessage(conn_));
  expected_.insert(expected_.end(), changes.begin(), changes.end());
}

int64_t id_of(const JsonEvent& e) {
  return std::stoll(e.op == "delete" ? e.old->at("id") : e.columns.at("id"));
}

// Every expected change exactly once, in order; positions strictly increasing.
void expect_exactly_once(const std::vector<JsonEvent>& got,
                         const std::vector<ExpectedChange>& want) {
  size_t duplicates = 0;
  for (size_t i = 1; i < got.size(); ++i) {
    const auto prev = std::make_pair(*sabot::Lsn::parse(got[i - 1].commit_lsn), got[i - 1].seq);
    const auto cur = std::make_pair(*sabot::Lsn::parse(got[i].commit_lsn), got[i].seq);
    if (!(prev < cur)) ++duplicates;
  }
  EXPECT_EQ(duplicates, 0u) << "positions not strictly increasing";
  ASSERT_EQ(got.size(), want.size()) << "lost or duplicated changes";
  size_t mismatches = 0;
  for (size_t i = 0; i < want.size(); ++i) {
    if (got[i].op != want[i].op || id_of(got[i]) != want[i].id) {
      if (++mismatches <= 5) {
        ADD_FAILURE() << "change " << i << ": got " << got[i].op << " " << id_of(got[i])
                      << ", want " << want[i].op << " " << want[i].id;
      }
    }
  }
  EXPECT_EQ(mismatches, 0u);
}

}  // namespace sabot::test
