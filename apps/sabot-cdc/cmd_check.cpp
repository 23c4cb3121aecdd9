// sabot-cdc check: the preflight (PostgresAdmin::check). Lists every finding as ok / warning /
// error with its fix, and exits 0 / 1 / 2 accordingly, so it can gate a deployment.
#include <cstdio>
#include <string>

#include <fmt/format.h>

#include "commands.hpp"
#include "sabot/admin.hpp"
#include "sabot/error.hpp"
#include "sabot/jsonl.hpp"
#include "sabot/preflight.hpp"

namespace sabot::cli {

namespace {

struct CheckFlags {
  ConnectionFlags connection;
  std::string slot = "sabot_cdc_slot";
  std::string publication = "sabot_cdc";
  std::string plugin = "pgoutput";
  std::vector<std::string> tables;
  bool json = false;
};

void print_text(const PreflightReport& report) {
  for (const CheckItem& item : report.items) {
    std::printf("%-7s %-22s %s\n", to_string(item.level), item.name.c_str(), item.message.c_str());
    if (item.level != CheckLevel::Ok && !item.fix.empty()) {
      std::printf("        %-22s fix: %s\n", "", item.fix.c_str());
    }
  }
  std::printf("%s\n", report.worst() == CheckLevel::Ok        ? "all checks passed"
                      : report.worst() == CheckLevel::Warning ? "passed with warnings"
                                                              : "errors found: fix them first");
}

void print_json(const PreflightReport& report) {
  std::string out = fmt::format("{{\"result\":\"{}\",\"items\":[", to_string(report.worst()));
  for (size_t i = 0; i < report.items.size(); ++i) {
    const CheckItem& item = report.items[i];
    out += i ? ",{\"check\":" : "{\"check\":";
    append_json_string(out, item.name);
    out += fmt::format(",\"level\":\"{}\",\"message\":", to_string(item.level));
    append_json_string(out, item.message);
    out += ",\"fix\":";
    append_json_string(out, item.fix);
    out += '}';
  }
  out += "]}\n";
  std::fputs(out.c_str(), stdout);
}

int run_check(const CheckFlags& flags) {
  PostgresAdmin admin(flags.connection.to_config());
  PreflightOptions options;
  options.slot = flags.slot;
  options.publication = flags.publication;
  options.plugin = parse_plugin(flags.plugin);
  for (const std::string& t : flags.tables) {
    for (std::string& p : split_patterns(t)) options.tables.push_back(std::move(p));
  }
  const PreflightReport report = admin.check(options);
  flags.json ? print_json(report) : print_text(report);
  return report.exit_code();
}

}  // namespace

void register_check(CLI::App& app, int& exit_code) {
  auto flags = std::make_shared<CheckFlags>();
  CLI::App* cmd = app.add_subcommand(
      "check",
      "preflight: every setting, privilege, table and slot problem with its fix (exit 0 "
      "ok, 1 warnings, 2 errors)");
  flags->connection.add_to(*cmd);
  add_log_flags(*cmd);
  cmd->add_option("--slot", flags->slot, "the slot the stream will use")->capture_default_str();
  cmd->add_option("--publication", flags->publication, "publication (pgoutput)")
      ->capture_default_str();
  cmd->add_option("--plugin", flags->plugin, "output plugin: pgoutput or wal2json")
      ->check(CLI::IsMember({"wal2json", "pgoutput"}))
      ->capture_default_str();
  cmd->add_option("--tables", flags->tables, "the captured table patterns (default: every table)");
  cmd->add_flag("--json", flags->json, "machine-readable output");
  cmd->callback([flags, &exit_code] {
    // A server that cannot be asked fails the preflight as an error (2), not as a warning (1).
    exit_code = run_reporting_errors([&] {
      try {
        return run_check(*flags);
      } catch (const CdcError& e) {
        log_line(LogLevel::Error, e.what());
        return 2;
      }
    });
  });
}

}  // namespace sabot::cli
