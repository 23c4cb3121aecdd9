#include "engine/snapshot_state.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <map>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>
#include <simdjson.h>

#include "output/jsonl_writer.hpp"
#include "sabot/error.hpp"
#include "sabot/jsonl.hpp"

namespace sabot::engine {

namespace {

[[noreturn]] void io_error(const std::string& what, const std::string& path) {
  throw CdcError(ErrorKind::LocalIo,
                 fmt::format("snapshot state: {} {}: {} (the snapshot's progress is kept there; "
                             "choose another place with --snapshot-state)",
                             what, path, std::strerror(errno)));
}

KeyValues parse_key(simdjson::dom::array parts) {
  KeyValues key;
  std::string_view value;
  for (auto part : parts) {
    if (part.is_null()) {
      key.emplace_back(std::nullopt);
    } else if (!part.get_string().get(value)) {
      key.emplace_back(std::string(value));
    }
  }
  return key;
}

std::string json_position(EventPosition position) {
  return fmt::format("\"lsn\":\"{}\",\"seq\":{}", position.commit_lsn.to_string(), position.seq);
}

std::string json_quoted(std::string_view text) {
  std::string out;
  append_json_string(out, text);
  return out;
}

std::string json_key(const KeyValues& key) {
  std::string out = "[";
  for (const std::optional<std::string>& part : key) {
    if (out.size() > 1) out += ',';
    out += part ? json_quoted(*part) : "null";
  }
  out += ']';
  return out;
}

void write_all(int fd, std::string_view text, const std::string& path) {
  while (!text.empty()) {
    const ssize_t written = ::write(fd, text.data(), text.size());
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) io_error("cannot write", path);
    text.remove_prefix(static_cast<size_t>(written));
  }
}

// Makes a rename inside `dir` durable.
void sync_directory(const std::string& dir) {
  const int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) io_error("cannot open the directory of", dir);
  const bool ok = ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) io_error("cannot sync the directory", dir);
}

// A kill -9 while appending can leave a last line without its newline: cut it off, so the next
// append starts a line of its own.
void cut_torn_tail(std::ifstream& in, const std::string& path) {
  in.seekg(0, std::ios::end);
  const auto size = static_cast<std::streamoff>(in.tellg());
  std::streamoff keep = size;
  while (keep > 0) {
    in.seekg(keep - 1);
    if (in.get() == '\n') break;
    --keep;
  }
  in.clear();
  in.seekg(0);
  if (keep == size) return;
  std::error_code ec;
  std::filesystem::resize_file(path, static_cast<uintmax_t>(keep), ec);
}

}  // namespace

std::string SnapshotState::default_path(const std::string& system_id, const std::string& slot) {
  std::string dir;
  if (const char* state = std::getenv("XDG_STATE_HOME"); state != nullptr && *state != '\0') {
    dir = std::string(state) + "/sabot-cdc";
  } else if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') {
    dir = std::string(home) + "/.local/state/sabot-cdc";
  } else {
    dir = "/var/lib/sabot-cdc";
  }
  return fmt::format("{}/{}-{}.snapshot", dir, system_id, slot);
}

SnapshotState::SnapshotState(std::string path) : path_(std::move(path)) {
  std::error_code ec;
  const auto dir = std::filesystem::path(path_).parent_path();
  if (!dir.empty()) std::filesystem::create_directories(dir, ec);
  load();
}

void SnapshotState::load() {
  std::ifstream in(path_, std::ios::binary);
  if (!in) return;
  cut_torn_tail(in, path_);
  simdjson::dom::parser parser;
  std::map<std::string, std::deque<size_t>> keyed_lines;  // plan+table -> lines with keys
  std::string text;
  while (std::getline(in, text)) {
    simdjson::dom::element doc;
    if (parser.parse(text).get(doc)) continue;  // a torn last line
    Line line;
    std::string_view value;
    if (doc["plan"].get_string().get(value)) continue;
    line.plan = std::string(value);
    simdjson::dom::array tables;
    if (!doc["tables"].get_array().get(tables)) {
      for (auto table : tables) {
        if (!table.get_string().get(value)) line.tables.emplace_back(value);
      }
      lines_.push_back(std::move(line));
      continue;
    }
    if (doc["table"].get_string().get(value)) continue;
    line.table = std::string(value);
    std::string_view lsn;
    uint64_t seq = 0;
    if (doc["lsn"].get_string().get(lsn) || doc["seq"].get_uint64().get(seq)) continue;
    const auto parsed = Lsn::parse(lsn);
    if (!parsed) continue;
    line.position = EventPosition{*parsed, static_cast<uint32_t>(seq)};
    bool done = false;
    if (!doc["done"].get_bool().get(done)) line.done = done;
    simdjson::dom::array after;
    if (!doc["after"].get_array().get(after)) line.after = parse_key(after);
    uint64_t first = 0;
    if (!doc["first"].get_uint64().get(first)) line.first_seq = static_cast<uint32_t>(first);
    simdjson::dom::array keys;
    if (!doc["keys"].get_array().get(keys)) {
      for (auto key : keys) {
        simdjson::dom::array parts;
        if (!key.get_array().get(parts)) line.keys.push_back(parse_key(parts));
      }
      // Only the newest lines of a table keep their keys (bounded memory, see the header).
      auto& keyed = keyed_lines[line.plan + '\n' + line.table];
      keyed.push_back(lines_.size());
      if (keyed.size() > kKeyedLines) {
        lines_[keyed.front()].keys = {};
        keyed.pop_front();
      }
    }
    lines_.push_back(std::move(line));
  }
}

std::vector<PlanResume> SnapshotState::resolve(EventPosition durable) const {
  std::vector<PlanResume> plans;
  auto find = [&plans](const std::string& id) -> PlanResume* {
    for (PlanResume& plan : plans) {
      if (plan.id == id) return &plan;
    }
    return nullptr;
  };
  for (const Line& line : lines_) {
    if (line.table.empty()) {
      if (find(line.plan) == nullptr) plans.push_back(PlanResume{line.plan, line.tables, {}});
      continue;
    }
    PlanResume* plan = find(line.plan);
    if (plan == nullptr) continue;
    if (durable < line.position) {
      // The sink may hold the first part of this batch.
      if (auto within = key_within(line, durable)) {
        TableResume& table = plan->progress[line.table];
        table.after = within;
        table.position = durable;  // the read the sink holds last
      }
      continue;
    }
    TableResume& table = plan->progress[line.table];
    if (line.done) table.done = true;
    if (line.after) table.after = line.after;
    if (line.done || line.after) table.position = std::max(table.position, line.position);
  }
  return plans;
}

std::optional<KeyValues> SnapshotState::key_within(const Line& line, EventPosition durable) {
  if (line.done || line.keys.empty() || durable.commit_lsn != line.position.commit_lsn ||
      durable.seq < line.first_seq) {
    return std::nullopt;
  }
  const size_t index = durable.seq - line.first_seq;
  if (index >= line.keys.size()) return std::nullopt;
  return line.keys[index];
}

std::vector<PlanResume> SnapshotState::resume(EventPosition durable) {
  std::vector<PlanResume> plans = resolve(durable);
  if (lines_.empty()) return plans;  // no file yet: nothing to rewrite
  std::vector<Line> lines = lines_of(plans);
  // A file that already says just that (a finished snapshot, once compacted) stays as it is.
  const bool compact =
      lines.size() == lines_.size() &&
      std::none_of(lines_.begin(), lines_.end(),
                   [&](const Line& line) { return durable < line.position || !line.keys.empty(); });
  if (compact) return plans;
  replace_file(lines);
  lines_ = std::move(lines);
  return plans;
}

std::vector<SnapshotState::Line> SnapshotState::lines_of(const std::vector<PlanResume>& plans) {
  std::vector<Line> lines;
  for (const PlanResume& plan : plans) {
    Line line;
    line.plan = plan.id;
    line.tables = plan.tables;
    lines.push_back(std::move(line));
  }
  for (const PlanResume& plan : plans) {
    for (const auto& [table, progress] : plan.progress) {
      if (!progress.done && !progress.after) continue;  // nothing durable: read from the start
      Line line;
      line.plan = plan.id;
      line.table = table;
      line.done = progress.done;
      line.after = progress.after;
      line.position = progress.position;
      lines.push_back(std::move(line));
    }
  }
  return lines;
}

std::string SnapshotState::render(const Line& line) {
  if (line.table.empty()) {
    std::string list = "[";
    for (const std::string& table : line.tables) {
      if (list.size() > 1) list += ',';
      list += json_quoted(table);
    }
    list += ']';
    return fmt::format("{{\"plan\":{},\"tables\":{}}}", json_quoted(line.plan), list);
  }
  std::string out = fmt::format("{{\"plan\":{},\"table\":{},", json_quoted(line.plan),
                                json_quoted(line.table));
  if (line.done) out += "\"done\":true,";
  out += json_position(line.position);
  if (line.after) out += ",\"after\":" + json_key(*line.after);
  out += '}';
  return out;
}

void SnapshotState::replace_file(const std::vector<Line>& lines) {
  std::string text;
  for (const Line& line : lines) text += render(line) + '\n';
  // A link to the file stays one: the file it names is replaced, with its permissions.
  std::error_code ec;
  std::string target = path_;
  if (std::filesystem::is_symlink(path_, ec)) {
    const auto resolved = std::filesystem::canonical(path_, ec);
    if (!ec) target = resolved.string();
  }
  struct stat old_file {};
  const mode_t mode = ::stat(target.c_str(), &old_file) == 0 ? (old_file.st_mode & 07777) : 0644;
  const std::string aside = target + ".new";
  const int fd = ::open(aside.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) io_error("cannot create", aside);
  try {
    write_all(fd, text, aside);
    if (::fchmod(fd, mode) != 0) io_error("cannot set the permissions of", aside);
    if (::fsync(fd) != 0) io_error("cannot sync", aside);
  } catch (...) {
    ::close(fd);
    throw;
  }
  ::close(fd);
  if (std::rename(aside.c_str(), target.c_str()) != 0) io_error("cannot replace", target);
  sync_directory(std::filesystem::path(target).parent_path().string());
}

bool SnapshotState::has_plan(const std::string& id) const {
  for (const Line& line : lines_) {
    if (line.table.empty() && line.plan == id) return true;
  }
  return false;
}

void SnapshotState::append_plan(const std::string& id, const std::vector<std::string>& tables) {
  Line line{id, tables, "", std::nullopt, false, {}};
  append(render(line));
  lines_.push_back(std::move(line));
}

void SnapshotState::append_progress(const std::string& plan, const std::string& table,
                                    const std::vector<ChangeEvent>& reads,
                                    const std::vector<std::string>& chunk_key) {
  if (reads.empty()) return;
  // The reads of a batch share their chunk's column order: look each key column up once, and
  // only by name where an event's column at that index is another one.
  std::vector<size_t> key_index;
  for (const std::string& name : chunk_key) {
    const Column* column = reads.front().column(name);
    key_index.push_back(column ? static_cast<size_t>(column - reads.front().columns.data()) : 0);
  }
  const auto key_column = [&](const ChangeEvent& read, size_t i) -> const Column* {
    const size_t at = key_index[i];
    if (at < read.columns.size() && read.columns[at].name == chunk_key[i]) return &read.columns[at];
    return read.column(chunk_key[i]);
  };
  // One reused buffer (a batch's line is tens of kilobytes); "after", the last key, ends it.
  line_text_.clear();
  line_text_ += fmt::format("{{\"plan\":{},\"table\":{},{},\"first\":{},\"keys\":[",
                            json_quoted(plan), json_quoted(table),
                            json_position(position_of(reads.back())), reads.front().seq);
  size_t last_key_start = line_text_.size();
  for (const ChangeEvent& read : reads) {
    if (&read != &reads.front()) line_text_ += ',';
    last_key_start = line_text_.size();
    line_text_ += '[';
    for (size_t i = 0; i < chunk_key.size(); ++i) {
      if (i > 0) line_text_ += ',';
      const Column* column = key_column(read, i);
      if (column == nullptr || column->value.is_null()) {
        line_text_ += "null";
      } else {
        output::append_json_string(line_text_, column->value.text());
      }
    }
    line_text_ += ']';
  }
  const std::string last_key(line_text_.view().substr(last_key_start));
  line_text_ += "],\"after\":";
  line_text_ += last_key;
  line_text_ += "}\n";
  write_line(line_text_.view());
  line_text_.release_if_larger_than(kKeptTextBytes);
  // Appended lines are not kept in memory: resolve() is for the next start, which reads the file.
}

void SnapshotState::append_done(const std::string& plan, const std::string& table,
                                EventPosition position) {
  Line line{plan, {}, table, std::nullopt, true, position};
  append(render(line));
  lines_.push_back(std::move(line));
}

void SnapshotState::reset() {
  lines_.clear();
  if (std::remove(path_.c_str()) != 0 && errno != ENOENT) io_error("cannot remove", path_);
}

void SnapshotState::append(std::string line) {
  line += '\n';
  write_line(line);
}

void SnapshotState::write_line(std::string_view line) {
  const int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) io_error("cannot open", path_);
  const ssize_t written = ::write(fd, line.data(), line.size());
  const bool ok = written == static_cast<ssize_t>(line.size());
  ::close(fd);
  if (!ok) io_error("cannot append to", path_);
}

}  // namespace sabot::engine
