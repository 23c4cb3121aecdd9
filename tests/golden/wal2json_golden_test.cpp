// Golden tests: real wal2json 2.5 output captured from PostgreSQL 15, decoded and compared with a
// hand-checked transcript.
//
// tests/golden/wal2json/<name>_v<format>.jsonl  one XLogData payload per line:
// "<wal_start>\t<JSON>",
//                                               as pg_logical_slot_peek_changes() returned them
//                                               (its lsn column is the XLogData dataStart)
// tests/golden/wal2json/<name>_v<format>.expected  RecordingHandler::transcript() of the decoded
//                                               payloads, checked line by line against the input
//                                               and against the SQL that produced it
//
// shop_v2 / shop_v1: the same workload read through two slots, format 2 with TimeZone
// 'Asia/Kolkata' and format 1 with 'America/St_Johns' (so the commit times exercise +05:30 and
// -03:30 and must agree in UTC). The workload (database "shop"):
//   1  BEGIN; three products: every type filled (varchar, char(6), numeric(12,2), float4, float8,
//      bool, int2, int8, date, time, timestamp, timestamptz, interval, uuid, json, jsonb, bytea,
//      inet, int[], text[]), edge values (NaN, Infinity, '', E'\t\n', emoji, int8 beyond 2^53,
//      empty bytea and arrays), and all NULL but the key; COMMIT
//   2  ledger: numeric 123456789012345678901234567890.123456789, -0.000000001 with '', NaN
//   3  UPDATE keeping the key, UPDATE changing the key, DELETE (default replica identity)
//   4  "Sales Dept"."Order-Items" (quoted names, composite key): insert, insert, update, delete
//   5  audit.log with REPLICA IDENTITY FULL: inserts (one with NULLs), update, delete
//   6  public.nokey (no key): insert; UPDATE and DELETE are dropped by wal2json (empty
//   transactions) 7  non-transactional message; transactional message + insert in one transaction
//   8  a savepoint rolled back (its row absent) and a rolled-back transaction (absent)
//   9  TRUNCATE of one table, TRUNCATE of two tables (format 1: empty transactions)
//  10  UPDATE of public.docs whose TOASTed body is unchanged: the column is left out
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "decode/wal2json/wal2json_decoder.hpp"
#include "files.hpp"
#include "recording_handler.hpp"
#include "sabot/error.hpp"
#include "text.hpp"

namespace {

namespace fs = std::filesystem;
using sabot::Lsn;
using sabot::decode::Wal2jsonDecoder;
using sabot::test::read_file;
using sabot::test::split_lines;
using sabot::testing::RecordingHandler;

fs::path golden_dir() {
  return fs::path(SABOT_SOURCE_DIR) / "tests" / "golden" / "wal2json";
}

// Decodes every payload of `<name>.jsonl` with a fresh decoder and returns the transcript.
std::string decode_capture(const std::string& name, int format_version) {
  Wal2jsonDecoder decoder(format_version);
  RecordingHandler rec;
  const std::vector<std::string> lines = split_lines(read_file(golden_dir() / (name + ".jsonl")));
  size_t line_no = 0;
  for (const std::string& line : lines) {
    ++line_no;
    if (line.empty()) continue;
    const size_t tab = line.find('\t');
    if (tab == std::string::npos)
      throw std::runtime_error(name + ": no tab in line " + std::to_string(line_no));
    const std::optional<Lsn> wal_start = Lsn::parse(std::string_view(line).substr(0, tab));
    if (!wal_start) throw std::runtime_error(name + ": bad LSN in line " + std::to_string(line_no));
    decoder.decode(std::string_view(line).substr(tab + 1), *wal_start, rec);
  }
  EXPECT_FALSE(decoder.in_transaction()) << name << " ends inside a transaction";
  return rec.transcript();
}

void expect_matches_golden(const std::string& name, int format_version) {
  const std::string actual = decode_capture(name, format_version);
  const std::string expected = read_file(golden_dir() / (name + ".expected"));
  if (actual == expected) return;
  // Leave the actual transcript next to the build for a diff; never overwrite the expected file.
  const fs::path out_dir = fs::path(SABOT_BINARY_DIR) / "golden-actual";
  fs::create_directories(out_dir);
  std::ofstream(out_dir / (name + ".actual"), std::ios::binary) << actual;
  const std::vector<std::string> a = split_lines(actual);
  const std::vector<std::string> e = split_lines(expected);
  for (size_t i = 0; i < std::max(a.size(), e.size()); ++i) {
    const std::string al = i < a.size() ? a[i] : "<end>";
    const std::string el = i < e.size() ? e[i] : "<end>";
    if (al != el) {
      ADD_FAILURE() << name << ".expected line " << i + 1 << " differs\n  expected: " << el
                    << "\n  actual:   " << al << "\n(whole transcript in "
                    << (out_dir / (name + ".actual")).string() << ")";
      return;
    }
  }
}

TEST(Wal2jsonGolden, ShopFormat2) {
  expect_matches_golden("shop_v2", 2);
}

TEST(Wal2jsonGolden, ShopFormat1) {
  expect_matches_golden("shop_v1", 1);
}

// Both formats saw the same commits: same xids, same commit times (in UTC), same row values
// apart from what format 1 cannot express.
TEST(Wal2jsonGolden, FormatsAgreeOnCommits) {
  Wal2jsonDecoder v2(2), v1(1);
  RecordingHandler r2, r1;
  for (const auto& [decoder, rec, name] :
       {std::tuple{&v2, &r2, "shop_v2"}, std::tuple{&v1, &r1, "shop_v1"}}) {
    for (const std::string& line :
         split_lines(read_file(golden_dir() / (std::string(name) + ".jsonl")))) {
      const size_t tab = line.find('\t');
      decoder->decode(std::string_view(line).substr(tab + 1),
                      *Lsn::parse(std::string_view(line).substr(0, tab)), *rec);
    }
  }
  ASSERT_EQ(r2.commits.size(), r1.commits.size());
  for (size_t i = 0; i < r2.commits.size(); ++i) {
    EXPECT_EQ(r2.commits[i].xid, r1.commits[i].xid);
    EXPECT_EQ(r2.commits[i].commit_time, r1.commits[i].commit_time);
    // Format 1's only position is the commit's end LSN.
    EXPECT_EQ(r2.commits[i].end_lsn, r1.commits[i].end_lsn);
  }
  ASSERT_EQ(r2.messages.size(), 1u);
  ASSERT_EQ(r1.messages.size(), 1u);
  EXPECT_EQ(r2.messages[0].lsn, r1.messages[0].lsn);
  EXPECT_EQ(r2.messages[0].message_content, r1.messages[0].message_content);
  // Format 2 also has the truncates format 1 does not write.
  EXPECT_EQ(r2.changes.size(), r1.changes.size() + 3);
}

}  // namespace
