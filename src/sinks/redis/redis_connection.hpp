// RedisConnection: one synchronous hiredis connection, with replies copied into plain values so no
// hiredis type leaves this file pair. Commands can be pipelined: append() any number, then
// read_replies() collects one reply per appended command, in order.
//
// Errors: a broken or unreachable connection is a RetryableSinkError (sink.hpp; kind Consumer)
// naming the server; after one, the connection is unusable (is_broken()) and the owner reconnects.
// An error *reply* (e.g. a Lua error) is not thrown here: it is a RedisReply of type Error, for the
// caller to judge.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sabot/error.hpp"

namespace sabot::sinks::redis {

struct RedisUrl {
  std::string host = "127.0.0.1";
  int port = 6379;
  int database = 0;
  std::string user;      // empty: AUTH with the password only
  std::string password;  // empty: no AUTH
  std::string text;      // the URL as given, password hidden, for messages
};

// Parses redis://[[USER]:PASSWORD@]HOST[:PORT][/DB]; throws CdcError{Config}.
RedisUrl parse_redis_url(std::string_view url);

struct RedisReply {
  enum class Type { Status, Error, Integer, String, Nil, Array };
  Type type = Type::Nil;
  std::string text;  // Status, Error, String
  long long integer = 0;
  std::vector<RedisReply> elements;  // Array

  bool is_error() const { return type == Type::Error; }
};

// True for an error reply that means "not now" rather than "never": the server is loading its
// data, busy with a script, failing over, read-only (a replica during failover), out of memory,
// or lost its script cache (restarted).
bool is_transient_error(const RedisReply& reply);

// True for the error Redis gives to EVALSHA of a script it does not hold (e.g. after a restart).
bool is_noscript(const RedisReply& reply);

class RedisConnection {
 public:
  // Connects, then AUTH and SELECT as the URL says. Throws CdcError{Consumer}.
  RedisConnection(const RedisUrl& url, std::chrono::milliseconds timeout);
  ~RedisConnection();
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  // Queues one command (arguments are binary-safe) in the output buffer.
  void append(const std::vector<std::string>& args);
  // Queues commands already in the wire form (RespCommands::text()), as they are.
  void append_formatted(std::string_view commands);
  // Writes everything queued to the socket (blocking until the kernel took it), without reading.
  void send_appended();
  // Sends everything queued and reads `count` replies. Throws CdcError{Consumer} on I/O errors.
  std::vector<RedisReply> read_replies(size_t count);
  // The same into `replies` (resized to `count`), reusing what its elements hold.
  void read_replies_into(size_t count, std::vector<RedisReply>& replies);
  // append() then read one reply.
  RedisReply command(const std::vector<std::string>& args);
  // SCRIPT LOAD: returns the script's SHA1 for EVALSHA. Throws CdcError{Consumer} on an error.
  std::string load_script(const char* script);
  // EVALSHA sha, then (once the server answered NOSCRIPT, e.g. after a restart) SCRIPT LOAD and
  // EVALSHA again. `args` are the arguments after the SHA: numkeys, keys, argv.
  RedisReply eval(const char* script, std::string& sha, const std::vector<std::string>& args);

  bool is_broken() const;
  const std::string& server() const { return server_; }

 private:
  [[noreturn]] void fail(std::string_view doing);
  // Throws for an error reply to `what`: RetryableSinkError when transient, else permanent_kind.
  [[noreturn]] void refused(ErrorKind permanent_kind, std::string_view what,
                            const RedisReply& reply);
  struct Context;
  std::unique_ptr<Context> context_;
  std::string server_;
};

}  // namespace sabot::sinks::redis
