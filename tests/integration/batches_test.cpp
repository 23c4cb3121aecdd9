// The library API against a real server: batch_size splits a large transaction, batches never mix
// transactions, and the slot only moves to what was acknowledged.
#include <gtest/gtest.h>

#include "local_postgres.hpp"
#include "sabot/sabot.hpp"
#include "slot_polling.hpp"

using namespace sabot;
using sabot::test::confirmed_flush_lsn;
using sabot::test::LocalPostgres;

namespace {

PostgresCdcConfig config_for(const LocalPostgres& pg, const std::string& slot, Lsn end) {
  PostgresCdcConfig config;
  config.dsn = pg.dsn();
  config.slot_name = slot;
  config.create_slot_if_missing = true;
  config.create_publication_if_missing = true;
  config.end_lsn = end;
  return config;
}

// pgoutput decodes with the catalog as of each change: the publication must exist before the
// slot is created (as `sabot-cdc init` does it).
void create_pgoutput_slot(const LocalPostgres& pg, const std::string& slot) {
  pg.sql("DO $$ BEGIN CREATE PUBLICATION sabot_cdc FOR ALL TABLES; "
         "EXCEPTION WHEN duplicate_object THEN NULL; END $$");
  pg.sql("SELECT pg_create_logical_replication_slot('" + slot + "', 'pgoutput')");
}

}  // namespace

TEST(Batches, BatchSizeSplitsA10000RowTransaction) {
  LocalPostgres& pg = LocalPostgres::shared();
  pg.sql("CREATE TABLE big_t (id int PRIMARY KEY, payload text)");
  create_pgoutput_slot(pg, "big_slot");
  pg.sql("INSERT INTO big_t SELECT g, 'row ' || g FROM generate_series(1, 10000) g");
  pg.sql("INSERT INTO big_t VALUES (10001, 'next tx')");
  PostgresCdcConfig config = config_for(pg, "big_slot", pg.current_wal_insert_lsn());
  config.batch_size = 1000;
  PostgresCdcConnector connector(config);

  std::vector<ChangeBatch> batches;
  for (const ChangeBatch& batch : connector.stream_batches()) batches.push_back(batch);
  ASSERT_EQ(batches.size(), 11u);
  const uint32_t big_xid = batches[0].transaction_id;
  uint32_t seq = 0;
  for (size_t i = 0; i < 10; ++i) {
    EXPECT_EQ(batches[i].size(), 1000u) << i;
    EXPECT_EQ(batches[i].transaction_id, big_xid);
    EXPECT_EQ(batches[i].first_in_transaction, i == 0);
    EXPECT_EQ(batches[i].last_in_transaction, i == 9);
    for (const ChangeEvent& e : batches[i].events) {
      EXPECT_EQ(e.seq, seq);
      EXPECT_EQ(e.column("id")->value.as_int64(), static_cast<int64_t>(seq) + 1);
      ++seq;
    }
  }
  EXPECT_NE(batches[10].transaction_id, big_xid);
  EXPECT_TRUE(batches[10].first_in_transaction && batches[10].last_in_transaction);
  connector.close();
  EXPECT_EQ(confirmed_flush_lsn(pg, "big_slot").to_string(), batches[10].end_lsn.to_string());
}

TEST(Batches, OnlyAcknowledgedTransactionsAreConfirmedAndTheRestIsRedelivered) {
  LocalPostgres& pg = LocalPostgres::shared();
  pg.sql("CREATE TABLE ack_t (id int PRIMARY KEY)");
  create_pgoutput_slot(pg, "ack_slot");
  for (int i = 1; i <= 3; ++i) pg.sql("INSERT INTO ack_t VALUES (" + std::to_string(i) + ")");
  const Lsn end = pg.current_wal_insert_lsn();
  Lsn first_end;
  {
    PostgresCdcConnector connector(config_for(pg, "ack_slot", end));
    auto b1 = connector.next_batch();
    auto b2 = connector.next_batch();
    auto b3 = connector.next_batch();
    ASSERT_TRUE(b1 && b2 && b3);
    connector.acknowledge(*b3);  // out of order: nothing can be confirmed yet
    connector.acknowledge(*b1);  // now tx 1 (only) is a complete prefix
    first_end = b1->end_lsn;
    connector.close();
  }
  EXPECT_EQ(confirmed_flush_lsn(pg, "ack_slot").to_string(), first_end.to_string());
  PostgresCdcConnector again(config_for(pg, "ack_slot", end));
  std::vector<int64_t> ids;
  for (const ChangeBatch& batch : again.stream_batches()) {
    for (const ChangeEvent& e : batch) ids.push_back(e.column("id")->value.as_int64());
  }
  EXPECT_EQ(ids, (std::vector<int64_t>{2, 3}));
}

TEST(Batches, ConsumerThatThrowsDoesNotAcknowledgeItsBatch) {
  LocalPostgres& pg = LocalPostgres::shared();
  pg.sql("CREATE TABLE throw_t (id int PRIMARY KEY)");
  create_pgoutput_slot(pg, "throw_slot");
  pg.sql("INSERT INTO throw_t VALUES (1)");
  pg.sql("INSERT INTO throw_t VALUES (2)");
  const Lsn end = pg.current_wal_insert_lsn();
  {
    PostgresCdcConnector connector(config_for(pg, "throw_slot", end));
    try {
      for (const ChangeBatch& batch : connector.stream_batches()) {
        if (batch.events[0].column("id")->value.as_int64() == 2) throw std::runtime_error("sink down");
      }
      FAIL() << "the consumer never threw";
    } catch (const std::runtime_error&) {
    }
  }
  PostgresCdcConnector again(config_for(pg, "throw_slot", end));
  std::vector<int64_t> ids;
  for (const ChangeBatch& batch : again.stream_batches()) {
    for (const ChangeEvent& e : batch) ids.push_back(e.column("id")->value.as_int64());
  }
  EXPECT_EQ(ids, (std::vector<int64_t>{2}));
}
