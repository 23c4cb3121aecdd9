#include "sabot/status_file.hpp"

#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include <fmt/format.h>
#include <simdjson.h>

#include "output/jsonl_writer.hpp"

namespace sabot {

namespace {

std::string now_iso() {
  return format_iso8601(std::chrono::time_point_cast<std::chrono::microseconds>(
      std::chrono::system_clock::now()));
}

}  // namespace

std::string default_status_file(const std::string& slot) {
  const char* tmp = std::getenv("TMPDIR");
  return fmt::format("{}/sabot-cdc-{}.status", tmp && *tmp ? tmp : "/tmp", slot);
}

StatusFile::~StatusFile() {
  if (last_) write(*last_, /*running=*/false);
}

void StatusFile::update(const StreamStats& stats, bool force,
                        std::vector<PostgresCdcConnector::SnapshotProgress> snapshot) {
  last_ = stats;
  if (!snapshot.empty()) snapshot_ = std::move(snapshot);
  const auto now = std::chrono::steady_clock::now();
  if (!force && now - last_write_ < std::chrono::seconds(1)) return;
  last_write_ = now;
  write(stats, /*running=*/true);
}

void StatusFile::write(const StreamStats& stats, bool running) {
  std::string json = fmt::format("{{\"pid\":{},\"slot\":", getpid());
  output::append_json_string(json, slot_);
  json += fmt::format(
      ",\"running\":{},\"updated_at\":\"{}\",\"last_commit_time\":\"{}\",\"received_lsn\":\"{}\","
      "\"flushed_lsn\":\"{}\",\"events\":{},\"transactions\":{}",
      running ? "true" : "false", now_iso(),
      stats.last_commit_time == Timestamp{} ? "" : format_iso8601(stats.last_commit_time),
      stats.received_lsn.to_string(), stats.flushed_lsn.to_string(), stats.events,
      stats.transactions);
  if (!snapshot_.empty()) {
    json += ",\"snapshot\":[";
    for (size_t i = 0; i < snapshot_.size(); ++i) {
      const auto& table = snapshot_[i];
      json += i == 0 ? "{\"table\":" : ",{\"table\":";
      output::append_json_string(json, table.table);
      json += fmt::format(",\"rows\":{},\"estimated\":{},\"done\":{}}}", table.rows_done,
                          table.rows_estimated, table.done ? "true" : "false");
    }
    json += "]";
  }
  json += "}\n";
  const std::string tmp = path_ + ".tmp";
  std::FILE* f = std::fopen(tmp.c_str(), "w");
  if (!f) return;  // monitoring is best effort: never stop the stream for it
  std::fputs(json.c_str(), f);
  std::fclose(f);
  std::rename(tmp.c_str(), path_.c_str());
}

std::optional<StreamStatus> read_status_file(const std::string& path) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.load(path).get(doc)) return std::nullopt;
  auto text = [&doc](const char* key) {
    std::string_view value;
    return doc[key].get_string().get(value) ? std::string() : std::string(value);
  };
  StreamStatus status;
  int64_t pid = 0;
  bool running = false;
  if (doc["pid"].get_int64().get(pid) || pid <= 0) return std::nullopt;
  status.pid = static_cast<int>(pid);
  if (doc["running"].get_bool().get(running)) running = false;
  status.running = running && kill(status.pid, 0) == 0;
  status.updated_at = text("updated_at");
  status.last_commit_time = text("last_commit_time");
  status.received_lsn = text("received_lsn");
  status.flushed_lsn = text("flushed_lsn");
  if (doc["events"].get_uint64().get(status.events)) status.events = 0;
  simdjson::dom::array tables;
  if (!doc["snapshot"].get_array().get(tables)) {
    for (simdjson::dom::element t : tables) {
      PostgresCdcConnector::SnapshotProgress table;
      std::string_view name;
      if (t["table"].get_string().get(name)) continue;
      table.table = std::string(name);
      if (t["rows"].get_uint64().get(table.rows_done)) table.rows_done = 0;
      if (t["estimated"].get_int64().get(table.rows_estimated)) table.rows_estimated = 0;
      if (t["done"].get_bool().get(table.done)) table.done = false;
      status.snapshot.push_back(std::move(table));
    }
  }
  return status;
}

}  // namespace sabot
