// Golden tests: real pgoutput messages captured from PostgreSQL 15 (tests/golden/pgoutput/*.hex,
// produced by the SQL next to them), replayed through PgoutputDecoder and compared with what the
// SQL did and with hand-checked transcripts (*.expected, RecordingHandler::transcript()).
//
// <name>.hex: one message a line, "<wal_start> <xid> <payload as hex>"; '#' lines are comments.
#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "decode/pgoutput/pgoutput_decoder.hpp"
#include "files.hpp"
#include "recording_handler.hpp"
#include "text.hpp"

namespace {

using namespace sabot;
using namespace sabot::decode;
using sabot::test::entry_count;
using sabot::test::read_file;
using sabot::test::split_lines;
using sabot::test::TempDir;
using sabot::testing::RecordingHandler;

std::filesystem::path golden_dir() {
  return std::filesystem::path(SABOT_SOURCE_DIR) / "tests" / "golden" / "pgoutput";
}

PgoutputOptions protocol(int version) {
  PgoutputOptions options;
  options.protocol_version = version;
  return options;
}

struct Captured {
  Lsn lsn;
  uint32_t xid;
  std::string payload;
};

std::vector<Captured> load_capture(const std::string& name) {
  std::vector<Captured> out;
  for (const std::string& line : split_lines(read_file(golden_dir() / name))) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    std::string lsn, hex;
    Captured c;
    fields >> lsn >> c.xid >> hex;
    c.lsn = *Lsn::parse(lsn);
    for (size_t i = 0; i + 1 < hex.size(); i += 2) {
      c.payload.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
    }
    out.push_back(std::move(c));
  }
  return out;
}

RecordingHandler replay(const std::string& name, PgoutputOptions o = protocol(3)) {
  PgoutputDecoder decoder(o);
  RecordingHandler rec;
  for (const Captured& c : load_capture(name)) decoder.decode(c.payload, c.lsn, rec);
  EXPECT_FALSE(decoder.in_transaction());
  EXPECT_EQ(decoder.held_transactions().transaction_count(), 0u);
  return rec;
}

// basic.sql: inserts with a TOASTed value, updates (unchanged TOAST, key change), REPLICA
// IDENTITY FULL, a user-defined enum, messages, TRUNCATE of two tables, ALTER TABLE.
TEST(PgoutputGolden, BasicWorkloadMatchesTheSql) {
  const RecordingHandler rec = replay("basic.hex");
  EXPECT_EQ(rec.sequence(),
            "B I C B U C B U C B I U D C B D C B I C B M I C N B T T C B I C B I C");
  EXPECT_EQ(rec.transcript(), read_file(golden_dir() / "basic.expected"));
}

// streaming.sql: S1 streams 1000 rows, a rolled-back savepoint of 600 more (partly streamed,
// then Stream Abort of the subtransaction) and 10 rows after it; S2 streams 1000 rows and aborts
// (Stream Abort of the top xid); S3 is one plain insert.
TEST(PgoutputGolden, StreamingWorkloadMatchesTheSql) {
  for (bool spill : {false, true}) {
    const TempDir dir("pgoutput-golden-stream");
    PgoutputOptions options = protocol(3);
    if (spill) {
      options.spill_dir = dir.path();
      options.memory_limit_bytes = 16 * 1024;
    }
    const RecordingHandler rec = replay("streaming.hex", options);
    EXPECT_EQ(entry_count(dir.path()), 0u);

    ASSERT_EQ(rec.begins.size(), 2u);
    ASSERT_EQ(rec.commits.size(), 2u);
    EXPECT_EQ(rec.begins[0].xid, 746u);
    EXPECT_EQ(rec.commits[0].xid, 746u);
    EXPECT_EQ(rec.begins[1].xid, 750u);
    ASSERT_EQ(rec.changes.size(), 1011u);
    std::vector<int> ids;
    for (int i = 1; i <= 1000; ++i) ids.push_back(i);
    for (int i = 2001; i <= 2010; ++i) ids.push_back(i);
    ids.push_back(5000);
    for (size_t k = 0; k < ids.size(); ++k) {
      const ChangeEvent& e = rec.changes[k];
      ASSERT_EQ(e.op, Op::Insert);
      ASSERT_EQ(e.table, "bigt");
      ASSERT_EQ(e.column("id")->value.text(), std::to_string(ids[k])) << k;
      const char* v = ids[k] <= 1000 ? "a" : ids[k] < 5000 ? "c" : "e";
      ASSERT_EQ(e.column("v")->value.text(), v) << k;
    }
    EXPECT_EQ(rec.sequence().substr(0, 4), "B I ");
  }
}

// twophase.sql on a two_phase slot: g1 prepared and committed, g2 prepared and rolled back, g3
// (1000 rows) streamed, Stream Prepare, committed. The same SQL on a plain slot arrives as
// ordinary and streamed transactions at COMMIT PREPARED; both must decode to the same events.
TEST(PgoutputGolden, TwoPhaseWorkloadMatchesTheSqlAndThePlainSlot) {
  const RecordingHandler two_phase = replay("twophase.hex");
  const RecordingHandler plain = replay("twophase_plain.hex");
  ASSERT_EQ(two_phase.begins.size(), 2u);
  EXPECT_EQ(two_phase.begins[0].xid, 751u);
  EXPECT_EQ(two_phase.begins[1].xid, 753u);
  ASSERT_EQ(two_phase.changes.size(), 1001u);
  EXPECT_EQ(two_phase.changes[0].column("id")->value.text(), "6001");
  EXPECT_EQ(two_phase.changes[0].column("v")->value.text(), "p1");
  for (int i = 0; i < 1000; ++i) {
    ASSERT_EQ(two_phase.changes[1 + i].column("id")->value.text(), std::to_string(7001 + i));
    ASSERT_EQ(two_phase.changes[1 + i].column("v")->value.text(), "p3");
  }
  EXPECT_EQ(two_phase.transcript(), plain.transcript());
}

// origin.sql with protocol version 1: a transaction with a replication origin (Origin message);
// its commit time is the one given to pg_replication_origin_xact_setup.
TEST(PgoutputGolden, OriginWithProtocolVersion1) {
  const RecordingHandler rec = replay("origin_v1.hex", protocol(1));
  ASSERT_EQ(rec.sequence(), "B I C");
  EXPECT_EQ(rec.begins[0].xid, 769u);
  EXPECT_EQ(format_iso8601(rec.begins[0].commit_time), "2024-05-06T07:08:09.000000Z");
  EXPECT_EQ(rec.changes[0].column("id")->value.text(), "9001");
  EXPECT_EQ(rec.changes[0].column("v")->value.text(), "from upstream");
}

}  // namespace
