// Capture files: the XLogData payloads of one replication stream, in order, as the walsender sent
// them, for the decoder micro-benchmarks (bench/micro) to replay without a server.
//
//   header   "sabot-capture 1 plugin=<pgoutput|wal2json> format=<0|1|2> proto=<0..4>\n"
//   record   u64 wal_start (little-endian)  u32 length (little-endian)  byte[length] payload
//
// format is the wal2json format-version (0 for pgoutput), proto the pgoutput protocol version
// (0 for wal2json). Files are machine-local scratch data, hence the native little-endian.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

namespace sabot::bench {

struct CaptureHeader {
  std::string plugin;  // "pgoutput" or "wal2json"
  int format_version = 0;
  int protocol_version = 0;
};

struct CapturedMessage {
  uint64_t wal_start = 0;
  std::string_view payload;  // into Capture::bytes
};

struct Capture {
  CaptureHeader header;
  std::string bytes;  // every payload, back to back
  std::vector<CapturedMessage> messages;
  size_t payload_bytes() const { return bytes.size(); }
};

class CaptureWriter {
 public:
  // Throws std::runtime_error if the file cannot be created.
  CaptureWriter(const std::string& path, const CaptureHeader& header);
  ~CaptureWriter();
  CaptureWriter(const CaptureWriter&) = delete;
  CaptureWriter& operator=(const CaptureWriter&) = delete;
  void append(uint64_t wal_start, std::string_view payload);
  // Flushes and closes; throws std::runtime_error on a write error.
  void close();

 private:
  std::FILE* file_;
  std::string path_;
};

// Reads a whole capture file; throws std::runtime_error naming the file and what is wrong.
Capture read_capture(const std::string& path);

}  // namespace sabot::bench
