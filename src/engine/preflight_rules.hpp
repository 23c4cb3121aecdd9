// The rules of `sabot-cdc check`: facts read from the server (pg/preflight_facts.hpp) in, one
// CheckItem per finding out, each with its exact fix. Pure, so every rule is unit-tested without a
// server; PostgresAdmin::check() gathers the facts and calls judge_preflight().
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "pg/preflight_facts.hpp"
#include "sabot/admin.hpp"
#include "sabot/preflight.hpp"

namespace sabot::engine {

struct PreflightFacts {
  pg::ServerFacts server;
  std::vector<pg::TableFacts> tables;  // the captured ones
  pg::PublicationFacts publication;
  DdlCaptureState ddl_capture = DdlCaptureState::Absent;
  std::vector<SlotInfo> slots;                // every slot of the server
  std::optional<std::string> plugin_problem;  // why the plugin cannot be loaded, if it cannot
  std::string database;                       // the connected database
};

PreflightReport judge_preflight(const PreflightFacts& facts, const PreflightOptions& options);

}  // namespace sabot::engine
