#include "sinks/file/jsonl_file_sink.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>
#include <simdjson.h>

#include "sabot/error.hpp"

namespace sabot {

std::optional<EventPosition> parse_event_position(std::string_view line) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(simdjson::padded_string(line)).get(doc)) return std::nullopt;
  std::string_view commit_text;
  uint64_t seq = 0;
  const bool sabot_line =
      !doc["commit_lsn"].get_string().get(commit_text) && !doc["seq"].get_uint64().get(seq);
  const bool debezium_line = !sabot_line &&
                             !doc["source"]["sabot_commit_lsn"].get_string().get(commit_text) &&
                             !doc["source"]["sabot_seq"].get_uint64().get(seq);
  if (!sabot_line && !debezium_line) return std::nullopt;
  auto lsn = Lsn::parse(commit_text);
  if (!lsn || seq > UINT32_MAX) return std::nullopt;
  return EventPosition{*lsn, static_cast<uint32_t>(seq)};
}

std::unique_ptr<Sink> make_jsonl_file_sink(const std::string& path) {
  return std::make_unique<sinks::JsonlFileSink>(path);
}

std::unique_ptr<Sink> make_jsonl_file_sink(const std::string& path, const FormatOptions& format) {
  return std::make_unique<sinks::JsonlFileSink>(path, format);
}

}  // namespace sabot

namespace sabot::sinks {

namespace {

// The file is ours but the disk refuses (ENOSPC, EIO, ...): a local I/O failure, not a setting.
[[noreturn]] void io_error(const std::string& what, const std::string& path) {
  throw CdcError(ErrorKind::LocalIo,
                 fmt::format("{} {}: {}. Nothing unwritten was acknowledged", what, path,
                             std::strerror(errno)));
}

// Reads the file's last `max_tail` bytes.
std::string read_tail(int fd, off_t size, off_t max_tail) {
  const off_t from = size > max_tail ? size - max_tail : 0;
  std::string tail(static_cast<size_t>(size - from), '\0');
  if (pread(fd, tail.data(), tail.size(), from) != static_cast<ssize_t>(tail.size())) return {};
  return tail;
}

// A Debezium transaction metadata line (BEGIN / END), as EventRenderer writes it: it holds no
// event position, the event lines before it do.
bool is_transaction_line(std::string_view line) { return line.starts_with("{\"status\":\""); }

// The last line of tail[0, end) (end just past a '\n', or the tail's end), without the newline.
std::string_view line_before(std::string_view tail, size_t end) {
  const size_t content_end = end > 0 && tail[end - 1] == '\n' ? end - 1 : end;
  const size_t previous_newline = content_end == 0 ? std::string_view::npos
                                                   : tail.rfind('\n', content_end - 1);
  const size_t start = previous_newline == std::string_view::npos ? 0 : previous_newline + 1;
  return tail.substr(start, content_end - start);
}

}  // namespace

JsonlFileSink::JsonlFileSink(std::string path, const FormatOptions& format)
    : path_(std::move(path)), renderer_(format) {
  fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd_ < 0) {
    throw CdcError(ErrorKind::Config,
                   fmt::format("cannot open output file {}: {}", path_, std::strerror(errno)));
  }
  struct stat st {};
  if (fstat(fd_, &st) != 0) io_error("cannot stat", path_);
  if (st.st_size == 0) return;
  // Lines are at most a few MB; 64 MiB of tail always holds the last complete line.
  const std::string tail = read_tail(fd_, st.st_size, off_t{64} << 20);
  const size_t last_newline = tail.rfind('\n');
  const off_t complete_size =
      last_newline == std::string::npos
          ? st.st_size - static_cast<off_t>(tail.size())
          : st.st_size - static_cast<off_t>(tail.size()) + static_cast<off_t>(last_newline) + 1;
  if (complete_size != st.st_size) {
    // A torn line from a crash mid-write: it was never acknowledged, so it will come again.
    if (ftruncate(fd_, complete_size) != 0) io_error("cannot cut the torn last line of", path_);
  }
  if (last_newline == std::string::npos) return;
  std::string_view last_line = line_before(tail, last_newline + 1);
  while (is_transaction_line(last_line) && last_line.data() > tail.data()) {
    last_line = line_before(tail, static_cast<size_t>(last_line.data() - tail.data()));
  }
  checkpoint_ = parse_event_position(last_line);
  if (!checkpoint_) {
    throw CdcError(ErrorKind::Config,
                   fmt::format("output file {} does not end with a sabot-cdc event line; refusing "
                               "to append to it. Use another --output file",
                               path_));
  }
}

JsonlFileSink::~JsonlFileSink() {
  if (fd_ >= 0) ::close(fd_);
}

void JsonlFileSink::write(const ChangeBatch& batch) {
  buffer_.clear();
  // After a restart in the middle of a transaction the file already has its BEGIN line.
  const bool begun = checkpoint_ && checkpoint_->commit_lsn == batch.commit_lsn;
  renderer_.append_batch_lines(buffer_, batch, !begun);
  size_t written = 0;
  while (written < buffer_.size()) {
    const ssize_t n = ::write(fd_, buffer_.data() + written, buffer_.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      io_error("cannot write to", path_);
    }
    written += static_cast<size_t>(n);
  }
  if (fdatasync(fd_) != 0) io_error("cannot fsync", path_);
  if (!batch.events.empty()) checkpoint_ = position_of(batch.events.back());
}

}  // namespace sabot::sinks
