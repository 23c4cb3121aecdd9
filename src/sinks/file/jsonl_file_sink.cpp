#include "sinks/file/jsonl_file_sink.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>
#include <simdjson.h>

#include "output/jsonl_writer.hpp"
#include "sabot/error.hpp"

namespace sabot {

std::optional<EventPosition> parse_event_position(std::string_view line) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(simdjson::padded_string(line)).get(doc)) return std::nullopt;
  std::string_view commit_text;
  uint64_t seq = 0;
  if (doc["commit_lsn"].get_string().get(commit_text) || doc["seq"].get_uint64().get(seq)) {
    return std::nullopt;
  }
  auto lsn = Lsn::parse(commit_text);
  if (!lsn || seq > UINT32_MAX) return std::nullopt;
  return EventPosition{*lsn, static_cast<uint32_t>(seq)};
}

std::unique_ptr<Sink> make_jsonl_file_sink(const std::string& path) {
  return std::make_unique<sinks::JsonlFileSink>(path);
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

}  // namespace

JsonlFileSink::JsonlFileSink(std::string path) : path_(std::move(path)) {
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
  const size_t line_start = tail.rfind('\n', last_newline == 0 ? 0 : last_newline - 1);
  const std::string_view last_line = std::string_view(tail).substr(
      line_start == std::string::npos || last_newline == 0 ? 0 : line_start + 1,
      last_newline - (line_start == std::string::npos || last_newline == 0 ? 0 : line_start + 1));
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
  for (const ChangeEvent& event : batch.events) output::append_event_jsonl(buffer_, event);
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
