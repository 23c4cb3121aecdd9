// sabot-bench-check: verifies a `sabot-cdc stream` JSON Lines output of ONE transaction that
// inserted ids 1..N: every id exactly once, a single xid, seq 0..N-1 in order. Reads stdin.
//
//   sabot-cdc stream ... | sabot-bench-check --expect N
//
// Prints "lines=N distinct_ids=N duplicates=N missing=N other_xid_lines=N seq_in_order=yes|no";
// exits 0 only when everything matches. Uses plain string search: the writer's layout is fixed
// ("columns":{"id":N, "xid":N, "seq":N).
#include <CLI/CLI.hpp>
#include <charconv>
#include <cstdio>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

namespace {

// The unsigned integer after `key` in `line`, or -1.
long long number_after(std::string_view line, std::string_view key) {
  const size_t at = line.find(key);
  if (at == std::string_view::npos) return -1;
  long long value = -1;
  const char* begin = line.data() + at + key.size();
  std::from_chars(begin, line.data() + line.size(), value);
  return value;
}

}  // namespace

int main(int argc, char** argv) {
  long long expect = -1;
  CLI::App app{"sabot-bench-check: verifies a JSON Lines stream of one transaction (stdin)"};
  app.add_option("--expect", expect, "number of inserted ids (1..N)")
      ->required()
      ->check(CLI::NonNegativeNumber);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  std::ios::sync_with_stdio(false);
  std::vector<uint8_t> seen(static_cast<size_t>(expect) + 1, 0);
  long long lines = 0, duplicates = 0, out_of_range = 0, first_xid = -1, other_xids = 0;
  bool seq_in_order = true;
  std::string line;
  while (std::getline(std::cin, line)) {
    const long long id = number_after(line, "\"columns\":{\"id\":");
    const long long xid = number_after(line, "\"xid\":");
    const long long seq = number_after(line, "\"seq\":");
    if (id < 1 || id > expect) {
      ++out_of_range;
    } else if (seen[static_cast<size_t>(id)]++) {
      ++duplicates;
    }
    if (first_xid < 0) first_xid = xid;
    if (xid != first_xid) ++other_xids;
    if (seq != lines) seq_in_order = false;
    ++lines;
  }
  long long missing = 0;
  for (long long id = 1; id <= expect; ++id) missing += seen[static_cast<size_t>(id)] == 0;
  std::printf(
      "lines=%lld distinct_ids=%lld duplicates=%lld out_of_range=%lld missing=%lld "
      "other_xid_lines=%lld seq_in_order=%s\n",
      lines, expect - missing, duplicates, out_of_range, missing, other_xids,
      seq_in_order ? "yes" : "no");
  const bool ok = lines == expect && duplicates == 0 && out_of_range == 0 && missing == 0 &&
                  other_xids == 0 && seq_in_order;
  return ok ? 0 : 1;
}
