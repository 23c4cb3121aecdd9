// sabot-cdc status [--slot NAME] [--json] [--warn-retained-bytes N]: per slot, whether it is
// active and for which process, its confirmed and restart positions, the WAL it retains, its lag
// behind the current WAL position, wal_status, the server's flush lag for an active stream, and,
// when a sabot-cdc stream of that slot is running here, the last commit time it delivered. An
// inactive slot that retains WAL is flagged: nothing consumes it, and PostgreSQL keeps every WAL
// file from its restart_lsn on until it is used or dropped — a slot left behind by a test run
// grows until the disk is full.
#include <fmt/format.h>

#include <algorithm>
#include <cstdio>

#include "commands.hpp"
#include "sabot/admin.hpp"
#include "sabot/error.hpp"
#include "sabot/jsonl.hpp"
#include "sabot/status_file.hpp"

namespace sabot::cli {

namespace {

struct StatusFlags {
  ConnectionFlags connection;
  std::string slot;
  bool json = false;
  int64_t warn_retained_bytes = int64_t{1} << 30;
  double warn_lag_seconds = 0;  // 0: no threshold
  std::string status_file;
};

struct SlotRow {
  SlotStatus status;                   // from the server
  std::optional<StreamStatus> stream;  // from the stream's status file
  bool retained_warning = false;
  bool idle_retaining = false;  // inactive, yet holding WAL back
};

std::string opt_lsn(const std::optional<Lsn>& lsn) {
  return lsn ? lsn->to_string() : "-";
}
std::string opt_int(const std::optional<int64_t>& v) {
  return v ? std::to_string(*v) : "-";
}

void print_text(const std::vector<SlotRow>& rows) {
  for (const auto& row : rows) {
    const auto& s = row.status.slot;
    std::printf("slot %s (%s)\n", s.name.c_str(), s.plugin.c_str());
    std::printf(
        "  active:              %s\n",
        s.active ? fmt::format("yes, walsender pid {}", s.active_pid.value_or(0)).c_str() : "no");
    std::printf("  confirmed_flush_lsn: %s\n", opt_lsn(s.confirmed_flush_lsn).c_str());
    std::printf("  restart_lsn:         %s\n", opt_lsn(s.restart_lsn).c_str());
    std::printf("  retained WAL:        %s bytes\n", opt_int(s.retained_wal_bytes).c_str());
    std::printf("  lag:                 %s bytes behind the current WAL position\n",
                opt_int(s.lag_bytes).c_str());
    std::printf("  wal_status:          %s\n", s.wal_status.c_str());
    if (row.status.flush_lag_seconds) {
      std::printf("  seconds behind:      %.3f (server's flush lag)\n", *row.status.flush_lag_seconds);
    }
    if (row.idle_retaining) {
      std::printf(
          "  warning:             inactive, yet retains %s bytes of WAL that PostgreSQL cannot "
          "recycle; if nothing will stream from it again: sabot-cdc slots drop %s\n",
          opt_int(s.retained_wal_bytes).c_str(), s.name.c_str());
    }
    if (row.stream && row.stream->running) {
      std::printf(
          "  stream:              sabot-cdc pid %d, %llu events, last commit %s\n", row.stream->pid,
          static_cast<unsigned long long>(row.stream->events),
          row.stream->last_commit_time.empty() ? "-" : row.stream->last_commit_time.c_str());
      for (const auto& table : row.stream->snapshot) {
        std::printf("  snapshot:            %s: %llu of ~%lld rows%s\n", table.table.c_str(),
                    static_cast<unsigned long long>(table.rows_done),
                    static_cast<long long>(table.rows_estimated), table.done ? ", done" : "");
      }
    }
  }
  if (rows.empty()) std::printf("(no replication slots)\n");
}

void print_json(const std::vector<SlotRow>& rows) {
  std::string out = "[";
  for (size_t i = 0; i < rows.size(); ++i) {
    const auto& s = rows[i].status.slot;
    if (i) out += ',';
    out += "{\"slot\":";
    append_json_string(out, s.name);
    out += ",\"plugin\":";
    append_json_string(out, s.plugin);
    auto lsn = [](const std::optional<Lsn>& l) {
      return l ? "\"" + l->to_string() + "\"" : std::string("null");
    };
    auto num = [](const std::optional<int64_t>& v) {
      return v ? std::to_string(*v) : std::string("null");
    };
    out += fmt::format(
        ",\"active\":{},\"active_pid\":{},\"confirmed_flush_lsn\":{},\"restart_lsn\":{},"
        "\"retained_wal_bytes\":{},\"lag_bytes\":{},\"wal_status\":\"{}\",\"seconds_behind\":{},"
        "\"retained_wal_warning\":{},\"inactive_retaining_wal\":{}",
        s.active ? "true" : "false", s.active_pid ? std::to_string(*s.active_pid) : "null",
        lsn(s.confirmed_flush_lsn), lsn(s.restart_lsn), num(s.retained_wal_bytes), num(s.lag_bytes),
        s.wal_status,
        rows[i].status.flush_lag_seconds ? fmt::format("{:.3f}", *rows[i].status.flush_lag_seconds) : "null",
        rows[i].retained_warning ? "true" : "false", rows[i].idle_retaining ? "true" : "false");
    const auto& stream = rows[i].stream;
    if (stream && stream->running) {
      out += fmt::format(
          ",\"stream\":{{\"pid\":{},\"events\":{},\"last_commit_time\":{},\"flushed_lsn\":\"{}\"",
          stream->pid, stream->events,
          stream->last_commit_time.empty() ? "null" : "\"" + stream->last_commit_time + "\"",
          stream->flushed_lsn);
      out += ",\"snapshot\":[";
      for (size_t t = 0; t < stream->snapshot.size(); ++t) {
        const auto& table = stream->snapshot[t];
        out += t == 0 ? "{\"table\":" : ",{\"table\":";
        append_json_string(out, table.table);
        out += fmt::format(",\"rows\":{},\"estimated\":{},\"done\":{}}}", table.rows_done,
                           table.rows_estimated, table.done ? "true" : "false");
      }
      out += "]}";
    } else {
      out += ",\"stream\":null";
    }
    out += '}';
  }
  out += "]\n";
  std::fputs(out.c_str(), stdout);
}

// Nagios-style, for cron and monitoring checks: 2 when a slot is invalidated (its WAL is gone), 1
// when a threshold is crossed, 0 otherwise. Each finding is also named on stderr.
int status_exit_code(const std::vector<SlotRow>& rows, const StatusFlags& flags) {
  int code = 0;
  for (const SlotRow& row : rows) {
    const SlotInfo& slot = row.status.slot;
    const auto lag = row.status.flush_lag_seconds;
    if (slot.wal_status == "lost") {
      log_line(LogLevel::Error,
               fmt::format("slot \"{}\" has been invalidated (wal_status lost): drop it, create a "
                           "new one and take a new snapshot",
                           slot.name));
      code = 2;
    } else if (flags.warn_lag_seconds > 0 && lag && *lag > flags.warn_lag_seconds) {
      log_line(LogLevel::Warning, fmt::format("slot \"{}\" is {:.3f} s behind (threshold {:.3f})",
                                              slot.name, *lag, flags.warn_lag_seconds));
      code = std::max(code, 1);
    }
    if (row.retained_warning) code = std::max(code, 1);
  }
  return code;
}

int run_status(const StatusFlags& flags) {
  PostgresAdmin admin(flags.connection.to_config());
  std::vector<SlotRow> rows;
  for (SlotStatus& status : admin.slot_status(flags.slot)) {
    const SlotInfo& slot = status.slot;
    SlotRow row;
    row.stream = read_status_file(flags.status_file.empty() ? default_status_file(slot.name)
                                                            : flags.status_file);
    row.retained_warning =
        slot.retained_wal_bytes && *slot.retained_wal_bytes > flags.warn_retained_bytes;
    row.idle_retaining = !slot.active && slot.retained_wal_bytes.value_or(0) > 0;
    if (row.retained_warning) {
      log_line(LogLevel::Warning,
               fmt::format("slot \"{0}\" retains {1} bytes of WAL (threshold {2}). If nothing "
                           "consumes it any more, drop it: sabot-cdc slots drop {0}",
                           slot.name, *slot.retained_wal_bytes, flags.warn_retained_bytes));
    }
    row.status = std::move(status);
    rows.push_back(std::move(row));
  }
  flags.json ? print_json(rows) : print_text(rows);
  return status_exit_code(rows, flags);
}

}  // namespace

void register_status(CLI::App& app, int& exit_code) {
  auto flags = std::make_shared<StatusFlags>();
  CLI::App* cmd = app.add_subcommand("status", "replication slots' position, lag and retained WAL");
  flags->connection.add_to(*cmd);
  add_log_flags(*cmd);
  cmd->add_option("--slot", flags->slot, "only this slot");
  cmd->add_flag("--json", flags->json, "machine-readable output");
  cmd->add_option("--warn-retained-bytes", flags->warn_retained_bytes,
                  "warn, and exit 1, when a slot retains more WAL than this")
      ->capture_default_str();
  cmd->add_option("--warn-lag-seconds", flags->warn_lag_seconds,
                  "exit 1 when an active slot's flush lag exceeds this (0 = no threshold)");
  cmd->add_option("--status-file", flags->status_file,
                  "the stream's status file (default: $TMPDIR/sabot-cdc-SLOT.status)");
  cmd->callback([flags, &exit_code] {
    exit_code = run_reporting_errors([&] { return run_status(*flags); });
  });
}

}  // namespace sabot::cli
