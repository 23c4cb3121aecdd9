// The preflight of `sabot-cdc check`: every server, role, table and slot problem that would stop
// or endanger a stream, each with its fix, found before streaming starts.
//
//   sabot::PostgresAdmin admin(config);
//   sabot::PreflightReport report = admin.check({.slot = "orders_slot", .tables = {"public.*"}});
//   for (const sabot::CheckItem& item : report.items) ...   // ok / warning / error, with a fix
//
// Ownership: plain values. Errors: PostgresAdmin::check() reports what it finds as items; it throws
// CdcError only when it cannot ask at all (the connection fails). Threading: none of its own.
#pragma once

#include <string>
#include <vector>

#include "sabot/config.hpp"

namespace sabot {

enum class CheckLevel { Ok, Warning, Error };
const char* to_string(CheckLevel level);  // "ok", "warning", "error"

struct CheckItem {
  std::string name;  // what was checked: "wal_level", "replica_identity", ...
  CheckLevel level = CheckLevel::Ok;
  std::string message;  // what was found
  std::string fix;      // what to do ("" when nothing is to be done); SQL is exact, ready to run
};

// What the stream will use; the defaults match `sabot-cdc stream`.
struct PreflightOptions {
  std::string slot = "sabot_cdc_slot";
  std::string publication = "sabot_cdc";
  Plugin plugin = Plugin::Pgoutput;
  std::vector<std::string> tables;  // patterns; empty = every table
};

struct PreflightReport {
  std::vector<CheckItem> items;
  CheckLevel worst() const;  // the highest level of any item (Ok when there is none)
  // 0 / 1 / 2 for ok / warnings / errors: the exit code of `sabot-cdc check`.
  int exit_code() const { return static_cast<int>(worst()); }
};

}  // namespace sabot
