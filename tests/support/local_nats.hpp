// Test support: a real nats-server with JetStream started through scripts/nats-local in a
// temporary directory (its own port, a file store that survives restarts), stopped and removed
// when the fixture goes out of scope; plus a reader of what a stream holds (NATS C client).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace sabot::test {

// One message as the stream stored it.
struct NatsRecord {
  uint64_t sequence = 0;
  std::string subject;
  std::string data;
  std::map<std::string, std::string> headers;
};

class LocalNats {
 public:
  // Starts a server; extra_server_args go to nats-server (e.g. {"--user", "u", "--pass", "p"}:
  // the fixture's own reads then use that user).
  // Throws std::runtime_error with the script's output on failure.
  explicit LocalNats(std::vector<std::string> extra_server_args = {});
  ~LocalNats();  // stops it and removes the directory
  LocalNats(const LocalNats&) = delete;
  LocalNats& operator=(const LocalNats&) = delete;

  int port() const { return port_; }
  std::string url() const;  // nats://127.0.0.1:PORT

  void stop();   // clean shutdown; the JetStream store stays
  void crash();  // kill -9 of the server; the store stays as the crash left it
  void start();  // again, on the same port, with the same store

  // Every message of `stream` in stream order; throws std::runtime_error if it cannot be read.
  std::vector<NatsRecord> read_stream(const std::string& stream) const;
  bool stream_exists(const std::string& stream) const;
  uint64_t message_count(const std::string& stream) const;  // 0 when there is no such stream
  // Creates a stream with these subjects (file storage, default duplicate window).
  void add_stream(const std::string& stream, const std::string& subjects) const;

 private:
  std::string dir_;
  int port_ = 0;
  std::string client_url_;  // url() with the --user/--pass of the server's arguments
};

}  // namespace sabot::test
