// Test support: a real redis-server started through scripts/redis-local in a temporary directory
// (its own port), stopped and removed when the fixture goes out of scope; plus a tiny synchronous
// client for checking what a test left in Redis.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace sabot::test {

// One reply, flattened: a string/status/integer as `text`, an array as `elements`, nil as
// is_nil, an error reply as is_error with the message in `text`.
struct RedisValue {
  bool is_nil = false;
  bool is_error = false;
  std::string text;
  long long integer = 0;
  std::vector<RedisValue> elements;
};

class LocalRedis {
 public:
  // Starts a server; throws std::runtime_error with the script's output on failure. appendonly:
  // every write is fsynced to an append-only file, so the data survives stop() and start().
  explicit LocalRedis(bool appendonly = false);
  ~LocalRedis();  // stops it and removes the directory
  LocalRedis(const LocalRedis&) = delete;
  LocalRedis& operator=(const LocalRedis&) = delete;

  int port() const { return port_; }
  std::string url(int database = 0) const;  // redis://127.0.0.1:PORT/DB

  // Runs one command on a connection of this fixture (database 0 unless select() was called).
  RedisValue command(const std::vector<std::string>& args);
  void select(int database);
  // Every key matching `pattern` (SCAN, so safe on a live server).
  std::vector<std::string> keys(const std::string& pattern = "*");
  // HGETALL as a map; empty if the key does not exist.
  std::map<std::string, std::string> hash(const std::string& key);
  long long ttl_ms(const std::string& key);  // PTTL: -1 no expiry, -2 no such key
  void flush_all();
  // Stops the server (to test what a sink does when Redis is gone).
  void stop();
  // Starts it again on the same port (after stop()).
  void start();

 private:
  struct Client;
  std::string dir_;
  int port_ = 0;
  std::unique_ptr<Client> client_;
};

}  // namespace sabot::test
