#include "capture_file.hpp"

#include <cstring>
#include <stdexcept>

namespace sabot::bench {

namespace {

constexpr std::string_view kMagic = "sabot-capture 1 ";

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw std::runtime_error("capture file " + path + ": " + what);
}

template <typename T>
void put(std::FILE* file, T value) {
  std::fwrite(&value, sizeof value, 1, file);
}

// Value of "key=" in the header line, or "" when absent.
std::string header_field(const std::string& line, const std::string& key) {
  const size_t at = line.find(" " + key + "=");
  if (at == std::string::npos) return {};
  const size_t start = at + key.size() + 2;
  const size_t end = line.find_first_of(" \n", start);
  return line.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

}  // namespace

CaptureWriter::CaptureWriter(const std::string& path, const CaptureHeader& header)
    : file_(std::fopen(path.c_str(), "wb")), path_(path) {
  if (!file_) fail(path, std::string("cannot create: ") + std::strerror(errno));
  std::fprintf(file_, "%.*splugin=%s format=%d proto=%d\n", static_cast<int>(kMagic.size()),
               kMagic.data(), header.plugin.c_str(), header.format_version,
               header.protocol_version);
}

CaptureWriter::~CaptureWriter() {
  if (file_) std::fclose(file_);
}

void CaptureWriter::append(uint64_t wal_start, std::string_view payload) {
  put<uint64_t>(file_, wal_start);
  put<uint32_t>(file_, static_cast<uint32_t>(payload.size()));
  std::fwrite(payload.data(), 1, payload.size(), file_);
}

void CaptureWriter::close() {
  if (!file_) return;
  const bool failed = std::ferror(file_) != 0;
  const int rc = std::fclose(file_);
  file_ = nullptr;
  if (failed || rc != 0) fail(path_, "write error");
}

Capture read_capture(const std::string& path) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (!file) fail(path, std::string("cannot open: ") + std::strerror(errno));
  std::string content;
  char chunk[1 << 16];
  size_t n;
  while ((n = std::fread(chunk, 1, sizeof chunk, file)) > 0) content.append(chunk, n);
  std::fclose(file);

  Capture capture;
  const size_t eol = content.find('\n');
  if (eol == std::string::npos || content.compare(0, kMagic.size(), kMagic) != 0) {
    fail(path, "not a capture file (bad header)");
  }
  const std::string line = " " + content.substr(kMagic.size(), eol - kMagic.size());
  capture.header.plugin = header_field(line, "plugin");
  capture.header.format_version = std::atoi(header_field(line, "format").c_str());
  capture.header.protocol_version = std::atoi(header_field(line, "proto").c_str());
  if (capture.header.plugin != "pgoutput" && capture.header.plugin != "wal2json") {
    fail(path, "unknown plugin '" + capture.header.plugin + "'");
  }

  // First pass: sizes, so the payload buffer never moves once views point into it.
  struct Span {
    uint64_t wal_start;
    size_t offset;
    uint32_t length;
  };
  std::vector<Span> spans;
  size_t pos = eol + 1;
  size_t total = 0;
  while (pos < content.size()) {
    if (content.size() - pos < 12) fail(path, "truncated record header");
    Span span{};
    std::memcpy(&span.wal_start, content.data() + pos, 8);
    std::memcpy(&span.length, content.data() + pos + 8, 4);
    span.offset = pos + 12;
    if (content.size() - span.offset < span.length) fail(path, "truncated record");
    spans.push_back(span);
    total += span.length;
    pos = span.offset + span.length;
  }
  capture.bytes.reserve(total);
  for (const Span& span : spans) capture.bytes.append(content, span.offset, span.length);
  capture.messages.reserve(spans.size());
  size_t offset = 0;
  for (const Span& span : spans) {
    capture.messages.push_back(CapturedMessage{
        span.wal_start, std::string_view(capture.bytes).substr(offset, span.length)});
    offset += span.length;
  }
  return capture;
}

}  // namespace sabot::bench
