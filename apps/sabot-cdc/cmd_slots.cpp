// sabot-cdc slots [--json] | slots drop NAME: the replication slots of the server and the WAL
// each one holds back.
#include <fmt/format.h>

#include <cstdio>

#include "commands.hpp"
#include "sabot/admin.hpp"
#include "sabot/error.hpp"
#include "sabot/jsonl.hpp"

namespace sabot::cli {

namespace {

std::string human_bytes(std::optional<int64_t> bytes) {
  if (!bytes) return "-";
  const char* units[] = {"B", "kB", "MB", "GB", "TB"};
  double value = static_cast<double>(*bytes);
  int unit = 0;
  while (value >= 1024 && unit < 4) {
    value /= 1024;
    ++unit;
  }
  return unit == 0 ? fmt::format("{} B", *bytes) : fmt::format("{:.1f} {}", value, units[unit]);
}

std::string lsn_text(const std::optional<Lsn>& lsn) {
  return lsn ? lsn->to_string() : "-";
}

void print_table(const std::vector<SlotInfo>& slots) {
  std::printf("%-24s %-9s %-8s %-7s %-14s %-14s %-12s %s\n", "slot", "plugin", "type", "active",
              "confirmed", "restart", "retained", "wal_status");
  for (const auto& s : slots) {
    const std::string active = s.active ? fmt::format("pid {}", s.active_pid.value_or(0)) : "no";
    std::printf("%-24s %-9s %-8s %-7s %-14s %-14s %-12s %s\n", s.name.c_str(), s.plugin.c_str(),
                s.slot_type.c_str(), active.c_str(), lsn_text(s.confirmed_flush_lsn).c_str(),
                lsn_text(s.restart_lsn).c_str(), human_bytes(s.retained_wal_bytes).c_str(),
                s.wal_status.c_str());
  }
  if (slots.empty()) std::printf("(no replication slots)\n");
}

void print_json(const std::vector<SlotInfo>& slots) {
  std::string out = "[";
  for (size_t i = 0; i < slots.size(); ++i) {
    const auto& s = slots[i];
    if (i) out += ',';
    out += "{\"slot\":";
    append_json_string(out, s.name);
    out += ",\"plugin\":";
    append_json_string(out, s.plugin);
    out += ",\"type\":";
    append_json_string(out, s.slot_type);
    out += ",\"database\":";
    append_json_string(out, s.database);
    out += fmt::format(",\"active\":{},\"active_pid\":{}", s.active ? "true" : "false",
                       s.active_pid ? std::to_string(*s.active_pid) : "null");
    auto lsn_json = [](const std::optional<Lsn>& l) {
      return l ? "\"" + l->to_string() + "\"" : std::string("null");
    };
    auto int_json = [](const std::optional<int64_t>& v) {
      return v ? std::to_string(*v) : std::string("null");
    };
    out += fmt::format(
        ",\"confirmed_flush_lsn\":{},\"restart_lsn\":{},\"retained_wal_bytes\":{},"
        "\"lag_bytes\":{},\"wal_status\":",
        lsn_json(s.confirmed_flush_lsn), lsn_json(s.restart_lsn), int_json(s.retained_wal_bytes),
        int_json(s.lag_bytes));
    append_json_string(out, s.wal_status);
    out += '}';
  }
  out += "]\n";
  std::fputs(out.c_str(), stdout);
}

}  // namespace

void register_slots(CLI::App& app, int& exit_code) {
  struct Flags {
    ConnectionFlags connection;
    bool json = false;
    std::string drop_name;
  };
  auto flags = std::make_shared<Flags>();
  CLI::App* cmd = app.add_subcommand("slots", "list replication slots, or drop one");
  flags->connection.add_to(*cmd);
  cmd->add_flag("--json", flags->json, "machine-readable output");
  CLI::App* drop = cmd->add_subcommand("drop", "drop an inactive slot");
  drop->add_option("name", flags->drop_name, "slot name")->required();

  cmd->callback([flags, drop, &exit_code] {
    exit_code = run_reporting_errors([&] {
      PostgresAdmin admin(flags->connection.to_config());
      if (drop->parsed()) {
        admin.drop_slot(flags->drop_name);
        std::printf("slot \"%s\" dropped\n", flags->drop_name.c_str());
      } else if (flags->json) {
        print_json(admin.list_slots());
      } else {
        print_table(admin.list_slots());
      }
      return 0;
    });
  });
}

}  // namespace sabot::cli
