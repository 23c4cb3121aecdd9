// sabot-cdc slots [--json] | slots drop NAME | slots drop --inactive [--prefix P] [--yes]: the
// replication slots of the server and the WAL each one holds back; dropping the ones nobody uses.
#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>

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
  // The server's slots of every database: the database column says whose each one is (a logical
  // slot can only be used, and dropped, from its own database).
  std::printf("%-24s %-16s %-9s %-8s %-9s %-14s %-14s %-12s %s\n", "slot", "database", "plugin",
              "type", "active", "confirmed", "restart", "retained", "wal_status");
  for (const auto& s : slots) {
    const std::string active = s.active ? fmt::format("pid {}", s.active_pid.value_or(0)) : "no";
    std::printf("%-24s %-16s %-9s %-8s %-9s %-14s %-14s %-12s %s\n", s.name.c_str(),
                s.database.empty() ? "-" : s.database.c_str(), s.plugin.c_str(),
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

struct DropFlags {
  std::string name;
  bool inactive = false;
  std::string prefix;
  bool yes = false;
};

// Asks on the terminal; without one, --yes is the only way to say yes.
bool confirmed(const std::string& question, bool yes) {
  if (yes) return true;
  if (!isatty(STDIN_FILENO)) {
    throw CdcError(ErrorKind::Config,
                   "not dropping anything: stdin is not a terminal to ask on; add --yes");
  }
  std::printf("%s [y/N] ", question.c_str());
  std::fflush(stdout);
  std::string answer;
  std::getline(std::cin, answer);
  return answer == "y" || answer == "Y" || answer == "yes";
}

// Drops the inactive logical slots of the connected database whose name starts with the prefix,
// after asking; slots of other databases are named with how to reach them.
int drop_inactive(PostgresAdmin& admin, const DropFlags& flags) {
  const std::string database = admin.current_database();
  std::vector<std::string> names;
  for (const SlotInfo& s : admin.list_slots()) {
    if (s.active || s.slot_type != "logical" || s.name.rfind(flags.prefix, 0) != 0) continue;
    if (s.database == database) {
      names.push_back(s.name);
    } else {
      std::printf("slot \"%s\" is in database \"%s\": connect there (dbname=%s) to drop it\n",
                  s.name.c_str(), s.database.c_str(), s.database.c_str());
    }
  }
  if (names.empty()) {
    std::printf("no inactive slot%s in database \"%s\"\n",
                flags.prefix.empty() ? "" : (" named " + flags.prefix + "*").c_str(),
                database.c_str());
    return 0;
  }
  std::string list;
  for (const std::string& n : names) list += (list.empty() ? "" : ", ") + n;
  if (!confirmed(fmt::format("Drop {} inactive slot{} of database \"{}\" ({})?", names.size(),
                             names.size() == 1 ? "" : "s", database, list),
                 flags.yes)) {
    std::printf("nothing dropped\n");
    return 0;
  }
  for (const std::string& n : names) {
    admin.drop_slot(n);
    std::printf("slot \"%s\" dropped\n", n.c_str());
  }
  return 0;
}

}  // namespace

void register_slots(CLI::App& app, int& exit_code) {
  struct Flags {
    ConnectionFlags connection;
    bool json = false;
    DropFlags drop;
  };
  auto flags = std::make_shared<Flags>();
  CLI::App* cmd = app.add_subcommand("slots", "list replication slots, or drop one");
  flags->connection.add_to(*cmd);
  add_log_flags(*cmd);
  cmd->add_flag("--json", flags->json, "machine-readable output");
  CLI::App* drop = cmd->add_subcommand(
      "drop", "drop a slot (an active one is refused), or every inactive one with --inactive");
  add_log_flags(*drop);
  CLI::Option* name = drop->add_option("name", flags->drop.name, "slot name");
  CLI::Option* inactive =
      drop->add_flag("--inactive", flags->drop.inactive,
                     "drop the inactive logical slots of this database (asks first)")
          ->excludes(name);
  drop->add_option("--prefix", flags->drop.prefix, "with --inactive: only slots named PREFIX*")
      ->needs(inactive);
  drop->add_flag("--yes,-y", flags->drop.yes, "with --inactive: do not ask")->needs(inactive);
  drop->callback([name, inactive] {
    if (name->count() == 0 && inactive->count() == 0) {
      throw CLI::RequiredError("a slot name or --inactive");
    }
  });

  cmd->callback([flags, drop, &exit_code] {
    exit_code = run_reporting_errors([&] {
      PostgresAdmin admin(flags->connection.to_config());
      if (drop->parsed() && flags->drop.inactive) {
        return drop_inactive(admin, flags->drop);
      } else if (drop->parsed()) {
        admin.drop_slot(flags->drop.name);
        std::printf("slot \"%s\" dropped\n", flags->drop.name.c_str());
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
