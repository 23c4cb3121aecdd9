#include "core/transaction_assembler.hpp"

#include <gtest/gtest.h>

#include <memory>

#include "base/byte_arena.hpp"
#include "cdc_error_checks.hpp"
#include "files.hpp"
#include "sabot/error.hpp"

using namespace sabot;
using core::AckTracker;
using core::BatchLimits;
using base::ByteArena;
using core::TransactionAssembler;

namespace {

const std::vector<std::string> kIdKey = {"id"};

ChangeEvent row(std::string_view table, int id) {
  ChangeEvent e;
  e.op = Op::Insert;
  e.schema = "public";
  e.table = table;
  e.lsn = Lsn(1000 + id);
  e.columns.push_back(Column{"id", type_oid::kInt4, "integer", Value::text(std::to_string(id))});
  return e;
}

decode::TxBegin begin(uint32_t xid, uint64_t commit) {
  decode::TxBegin b;
  b.xid = xid;
  b.commit_lsn = Lsn(commit);
  b.commit_time = Timestamp(std::chrono::microseconds(1'700'000'000'000'000));
  return b;
}

decode::TxCommit commit(uint32_t xid, uint64_t commit, uint64_t end) {
  decode::TxCommit c;
  c.xid = xid;
  c.commit_lsn = Lsn(commit);
  c.end_lsn = Lsn(end);
  return c;
}

std::vector<ChangeBatch> drain(TransactionAssembler& a) {
  std::vector<ChangeBatch> out;
  while (a.has_ready()) out.push_back(a.take_ready());
  return out;
}

}  // namespace

TEST(TransactionAssembler, SplitsLargeTransactionsAndNeverMixesThem) {
  AckTracker acks;
  TransactionAssembler a(BatchLimits{3, 1 << 20}, TableFilter(), acks);
  a.on_begin(begin(7, 500));
  for (int i = 0; i < 7; ++i) a.on_change(row("t", i));
  a.on_commit(commit(7, 500, 510));
  a.on_begin(begin(8, 600));
  a.on_change(row("t", 100));
  a.on_commit(commit(8, 600, 610));

  auto batches = drain(a);
  ASSERT_EQ(batches.size(), 4u);  // 3 + 3 + 1 of xid 7, then 1 of xid 8
  EXPECT_EQ(batches[0].size(), 3u);
  EXPECT_TRUE(batches[0].first_in_transaction);
  EXPECT_FALSE(batches[0].last_in_transaction);
  EXPECT_EQ(batches[2].size(), 1u);
  EXPECT_TRUE(batches[2].last_in_transaction);
  EXPECT_EQ(batches[2].end_lsn, Lsn(510));
  uint32_t expected_seq = 0;
  for (int b = 0; b < 3; ++b) {
    EXPECT_EQ(batches[b].transaction_id, 7u);
    for (const auto& e : batches[b].events) {
      EXPECT_EQ(e.transaction_id, 7u);
      EXPECT_EQ(e.commit_lsn, Lsn(500));
      EXPECT_EQ(e.seq, expected_seq++);
    }
  }
  EXPECT_EQ(batches[3].transaction_id, 8u);
  EXPECT_EQ(batches[3].events[0].seq, 0u);
  EXPECT_TRUE(batches[3].first_in_transaction && batches[3].last_in_transaction);
}

TEST(TransactionAssembler, ExactMultipleOfBatchSizeEndsWithANonEmptyLastBatch) {
  AckTracker acks;
  TransactionAssembler a(BatchLimits{2, 1 << 20}, TableFilter(), acks);
  a.on_begin(begin(1, 10));
  for (int i = 0; i < 4; ++i) a.on_change(row("t", i));
  a.on_commit(commit(1, 10, 20));
  auto batches = drain(a);
  ASSERT_EQ(batches.size(), 2u);
  EXPECT_EQ(batches[1].size(), 2u);
  EXPECT_TRUE(batches[1].last_in_transaction);
}

TEST(TransactionAssembler, FiltersTablesButKeepsSeqDenseAndAcksFilteredTransactions) {
  AckTracker acks;
  TransactionAssembler a(BatchLimits{100, 1 << 20}, TableFilter({"public.keep"}), acks);
  a.on_begin(begin(1, 10));
  a.on_change(row("skip", 1));
  a.on_commit(commit(1, 10, 20));
  EXPECT_FALSE(a.has_ready());
  EXPECT_EQ(acks.watermark(), Lsn(20));  // nothing delivered: position may advance

  a.on_begin(begin(2, 30));
  a.on_change(row("skip", 2));
  a.on_change(row("keep", 3));
  a.on_change(row("keep", 4));
  a.on_commit(commit(2, 30, 40));
  auto batches = drain(a);
  ASSERT_EQ(batches.size(), 1u);
  ASSERT_EQ(batches[0].size(), 2u);
  EXPECT_EQ(batches[0].events[0].seq, 0u);
  EXPECT_EQ(batches[0].events[1].seq, 1u);
  EXPECT_EQ(acks.watermark(), Lsn(20));  // delivered, not yet acknowledged
  acks.acknowledge(batches[0].batch_id);
  EXPECT_EQ(acks.watermark(), Lsn(40));
}

TEST(TransactionAssembler, ByteLimitCutsBatches) {
  AckTracker acks;
  TransactionAssembler a(BatchLimits{1000, 1}, TableFilter(), acks);
  a.on_begin(begin(1, 10));
  for (int i = 0; i < 3; ++i) a.on_change(row("t", i));
  a.on_commit(commit(1, 10, 20));
  EXPECT_EQ(drain(a).size(), 3u);
}

TEST(TransactionAssembler, LatencyFlushHoldsBackTheNewestEvent) {
  AckTracker acks;
  TransactionAssembler a(BatchLimits{100, 1 << 20}, TableFilter(), acks);
  a.on_begin(begin(1, 10));
  a.on_change(row("t", 1));
  const auto later = TransactionAssembler::Clock::now() + std::chrono::seconds(5);
  EXPECT_FALSE(a.flush_if_older_than(std::chrono::milliseconds(1), later));  // only one event
  a.on_change(row("t", 2));
  a.on_change(row("t", 3));
  EXPECT_TRUE(a.flush_if_older_than(std::chrono::milliseconds(1), later));
  a.on_commit(commit(1, 10, 20));
  auto batches = drain(a);
  ASSERT_EQ(batches.size(), 2u);
  EXPECT_EQ(batches[0].size(), 2u);
  EXPECT_FALSE(batches[0].last_in_transaction);
  EXPECT_EQ(batches[1].size(), 1u);
  EXPECT_TRUE(batches[1].last_in_transaction);
}

TEST(TransactionAssembler, IllegalSequencesAreProtocolErrors) {
  AckTracker acks;
  TransactionAssembler a(BatchLimits{}, TableFilter(), acks);
  using sabot::test::throws_cdc_error;
  EXPECT_TRUE(throws_cdc_error([&] { a.on_change(row("t", 1)); }, ErrorKind::Protocol,
                               "insert on public.t outside a transaction"));
  EXPECT_TRUE(throws_cdc_error([&] { a.on_commit(commit(1, 1, 2)); }, ErrorKind::Protocol,
                               "COMMIT of xid 1 without BEGIN"));
  a.on_begin(begin(1, 10));
  EXPECT_TRUE(throws_cdc_error([&] { a.on_begin(begin(2, 20)); }, ErrorKind::Protocol,
                               "BEGIN of xid 2 while xid 1 is still open"));
  EXPECT_TRUE(throws_cdc_error([&] { a.on_commit(commit(3, 10, 20)); }, ErrorKind::Protocol,
                               "COMMIT of xid 3 inside xid 1"));
  ChangeEvent msg;
  msg.op = Op::Message;
  EXPECT_TRUE(throws_cdc_error([&] { a.on_message(std::move(msg)); }, ErrorKind::Protocol,
                               "a non-transactional message inside a transaction"));
}

TEST(TransactionAssembler, NonTransactionalMessageIsItsOwnBatch) {
  AckTracker acks;
  TransactionAssembler a(BatchLimits{}, TableFilter({"public.only"}), acks);
  ChangeEvent msg;
  msg.op = Op::Message;
  msg.lsn = Lsn(77);
  msg.message_prefix = "p";
  a.on_message(std::move(msg));
  auto batches = drain(a);
  ASSERT_EQ(batches.size(), 1u);
  EXPECT_EQ(batches[0].events[0].commit_lsn, Lsn(77));
  EXPECT_EQ(batches[0].end_lsn, Lsn(77));
}

TEST(TransactionAssembler, UpdateThatKeptItsKeyGetsTheKeyAsOld) {
  ChangeEvent e = row("t", 5);
  e.op = Op::Update;
  e.key_columns = kIdKey;
  e.columns.push_back(Column{"name", type_oid::kText, "text", Value::text("x")});
  core::fill_unchanged_old_key(e);
  ASSERT_TRUE(e.old);
  ASSERT_EQ(e.old->size(), 1u);
  EXPECT_EQ((*e.old)[0].name, "id");
  EXPECT_EQ((*e.old)[0].value.text(), "5");

  ChangeEvent sent_old = row("t", 6);
  sent_old.op = Op::Update;
  sent_old.key_columns = kIdKey;
  sent_old.old = std::vector<Column>{Column{"id", type_oid::kInt4, "integer", Value::text("1")}};
  core::fill_unchanged_old_key(sent_old);
  EXPECT_EQ((*sent_old.old)[0].value.text(), "1");  // what the server sent wins

  ChangeEvent no_key = row("t", 7);
  no_key.op = Op::Update;
  core::fill_unchanged_old_key(no_key);
  EXPECT_FALSE(no_key.old);  // REPLICA IDENTITY NOTHING / no key: nothing to say
}

TEST(TransactionAssembler, ReadyBatchesCountTheDecoderBuffersTheyPin) {
  // Kept events far apart in the stream (the rest filtered out) each hold a different decoder
  // buffer. Ready batches must count those buffers, so the overflow store takes over (detaching
  // the events) before a slow consumer's queue pins more than max_ready_bytes.
  constexpr size_t kChunk = 64 * 1024;
  constexpr int kEvents = 100;
  const sabot::test::TempDir dir("pin-test");
  AckTracker acks;
  TransactionAssembler a(BatchLimits{1, 1 << 20, 16 * kChunk}, TableFilter(), acks);
  a.set_overflow_directory(dir.path());
  ByteArena arena(kChunk);
  std::vector<std::weak_ptr<const void>> buffers;
  for (int i = 0; i < kEvents; ++i) {
    arena.begin_record(kChunk);  // the previous buffer is held: each event gets a new one
    ChangeEvent e = row("t", i);
    e.columns[0].value = Value::view(arena.copy(std::to_string(i)));
    e.storage.values = arena.owner();
    buffers.push_back(arena.owner());
    const uint64_t lsn = 1000 + static_cast<uint64_t>(i) * 10;
    a.on_begin(begin(static_cast<uint32_t>(i + 1), lsn));
    a.on_change(std::move(e));
    a.on_commit(commit(static_cast<uint32_t>(i + 1), lsn, lsn + 5));
  }
  arena = ByteArena(kChunk);  // the arena lets go of its last buffer
  size_t pinned = 0;
  for (const auto& b : buffers) pinned += b.expired() ? 0 : 1;
  EXPECT_LE(pinned, 17u);  // 16 * kChunk of ready bytes, plus the one that overflowed it

  auto batches = drain(a);
  ASSERT_EQ(batches.size(), static_cast<size_t>(kEvents));
  for (int i = 0; i < kEvents; ++i) {
    EXPECT_EQ(batches[i].events[0].columns[0].value.text(), std::to_string(i));
  }
}
