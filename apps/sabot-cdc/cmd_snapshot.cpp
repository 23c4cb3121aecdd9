// sabot-cdc snapshot: asks the running stream of a slot to read tables again (README "Snapshots",
// on demand). The request travels through the WAL as a transactional logical message, so no table
// has to be created and the stream serves it in order, exactly once.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "commands.hpp"
#include "sabot/admin.hpp"
#include "sabot/connector.hpp"
#include "sabot/error.hpp"

namespace sabot::cli {

namespace {

struct SnapshotFlags {
  ConnectionFlags connection;
  std::string slot;
  std::vector<std::string> tables;
  bool queue = false;
};

// A request only a running stream serves now: without one it would wait in the WAL.
void require_running_stream(const PostgresCdcConfig& config, bool queue) {
  PostgresAdmin admin(config);
  const std::vector<SlotStatus> slots = admin.slot_status(config.slot_name);
  if (slots.empty()) {
    throw CdcError(ErrorKind::SlotMissing,
                   fmt::format("replication slot \"{}\" does not exist: start the stream first "
                               "(sabot-cdc stream --slot {} --create-slot --snapshot initial)",
                               config.slot_name, config.slot_name));
  }
  if (!slots.front().slot.active && !queue) {
    throw CdcError(ErrorKind::Config,
                   fmt::format("no stream is running on slot \"{}\": start it (sabot-cdc stream "
                               "--slot {}), or pass --queue to have the next stream of the slot "
                               "serve the request when it starts",
                               config.slot_name, config.slot_name));
  }
}

int run_snapshot(const SnapshotFlags& flags) {
  PostgresCdcConfig config = flags.connection.to_config();
  config.slot_name = flags.slot;
  validate_slot_name(config.slot_name);
  std::vector<std::string> patterns;
  for (const std::string& t : flags.tables) {
    for (std::string& p : split_patterns(t)) patterns.push_back(std::move(p));
  }
  require_running_stream(config, flags.queue);
  PostgresCdcConnector connector(config);
  const std::string id = connector.request_snapshot(patterns);
  std::printf("snapshot %s requested for slot %s: %s (progress: sabot-cdc status --slot %s)\n",
              id.c_str(), flags.slot.c_str(), fmt::format("{}", fmt::join(patterns, ", ")).c_str(),
              flags.slot.c_str());
  return 0;
}

}  // namespace

void register_snapshot(CLI::App& app, int& exit_code) {
  auto flags = std::make_shared<SnapshotFlags>();
  CLI::App* cmd = app.add_subcommand(
      "snapshot", "ask the running stream of a slot to read tables again, without stopping it");
  flags->connection.add_to(*cmd);
  add_log_flags(*cmd);
  cmd->add_option("--slot", flags->slot, "the slot whose stream reads the tables")->required();
  cmd->add_option("--tables", flags->tables,
                  "table patterns, comma-separated or repeated (among the stream's tables)")
      ->required();
  cmd->add_flag("--queue", flags->queue,
                "also when no stream runs now: the next stream of the slot serves the request");
  cmd->callback([flags, &exit_code] {
    exit_code = run_reporting_errors([&] { return run_snapshot(*flags); });
  });
}

}  // namespace sabot::cli
