// Test support: the parameter of tests that run once per output plugin and format — "pg"
// (pgoutput), "w1" / "w2" (wal2json format-version 1 / 2) — and what it means on the CLI.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace sabot::test {

// "pgoutput" or "wal2json".
inline std::string plugin_of(const std::string& param) {
  return param == "pg" ? "pgoutput" : "wal2json";
}

// The `sabot-cdc stream` flags: --plugin, and for wal2json --format-version.
inline std::vector<std::string> plugin_stream_args(const std::string& param) {
  std::vector<std::string> args = {"--plugin", plugin_of(param)};
  if (param != "pg") args.insert(args.end(), {"--format-version", param.substr(1)});
  return args;
}

// Test names: "pgoutput", "wal2json_format1", "wal2json_format2".
inline std::string plugin_test_name(const ::testing::TestParamInfo<std::string>& info) {
  return info.param == "pg" ? std::string("pgoutput") : "wal2json_format" + info.param.substr(1);
}

}  // namespace sabot::test
