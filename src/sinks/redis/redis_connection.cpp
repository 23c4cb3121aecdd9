#include "sinks/redis/redis_connection.hpp"

#include <fmt/format.h>
#include <hiredis.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>

#include <charconv>

#include "sabot/error.hpp"
#include "sabot/sink.hpp"

namespace sabot::sinks::redis {

namespace {

[[noreturn]] void bad_url(std::string_view url, std::string_view why) {
  throw CdcError(ErrorKind::Config,
                 fmt::format("Redis URL '{}' {}: write it as redis://[[USER]:PASSWORD@]HOST[:PORT]"
                             "[/DB], e.g. redis://127.0.0.1:6379/0",
                             url, why));
}

int parse_int(std::string_view text, std::string_view url, std::string_view what, int max) {
  int value = -1;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value < 0 ||
      value > max) {
    bad_url(url, fmt::format("has an invalid {} '{}'", what, text));
  }
  return value;
}

struct timeval to_timeval(std::chrono::milliseconds timeout) {
  struct timeval tv {};
  tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
  return tv;
}

// Copies `reply` into `out`, reusing the memory `out` already holds.
void copy_reply(const redisReply* reply, RedisReply& out) {
  switch (reply->type) {
    case REDIS_REPLY_STATUS:
      out.type = RedisReply::Type::Status;
      break;
    case REDIS_REPLY_ERROR:
      out.type = RedisReply::Type::Error;
      break;
    case REDIS_REPLY_INTEGER:
      out.type = RedisReply::Type::Integer;
      break;
    case REDIS_REPLY_STRING:
      out.type = RedisReply::Type::String;
      break;
    case REDIS_REPLY_ARRAY:
      out.type = RedisReply::Type::Array;
      break;
    default:
      out.type = RedisReply::Type::Nil;
      break;
  }
  if (reply->str) {
    out.text.assign(reply->str, reply->len);
  } else {
    out.text.clear();
  }
  out.integer = reply->integer;
  out.elements.resize(reply->elements);
  for (size_t i = 0; i < reply->elements; ++i) copy_reply(reply->element[i], out.elements[i]);
}

// hiredis writes with write(2): a server that went away would raise SIGPIPE, whose default action
// ends the process. While one lives, SIGPIPE is blocked on this thread, and one raised meanwhile
// is taken off the thread's pending set, so the write fails with EPIPE instead (the caller's
// signal mask and handlers stay as they were).
class SigpipeGuard {
 public:
  SigpipeGuard() {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    sigset_t pending;
    sigpending(&pending);
    was_pending_ = sigismember(&pending, SIGPIPE) == 1;
    pthread_sigmask(SIG_BLOCK, &pipe_, &previous_);
  }
  ~SigpipeGuard() {
    if (!was_pending_) {
      sigset_t pending;
      sigpending(&pending);
      if (sigismember(&pending, SIGPIPE) == 1) {
        const struct timespec no_wait {};
        sigtimedwait(&pipe_, nullptr, &no_wait);
      }
    }
    pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
  }
  SigpipeGuard(const SigpipeGuard&) = delete;
  SigpipeGuard& operator=(const SigpipeGuard&) = delete;

 private:
  sigset_t pipe_{};
  sigset_t previous_{};
  bool was_pending_ = false;
};

}  // namespace

RedisUrl parse_redis_url(std::string_view url) {
  constexpr std::string_view scheme = "redis://";
  if (url.substr(0, scheme.size()) != scheme) bad_url(url, "does not start with redis://");
  RedisUrl out;
  std::string_view rest = url.substr(scheme.size());
  std::string_view shown_credentials;
  if (const size_t at = rest.rfind('@'); at != std::string_view::npos) {
    const std::string_view credentials = rest.substr(0, at);
    const size_t colon = credentials.find(':');
    if (colon == std::string_view::npos) bad_url(url, "has credentials without ':PASSWORD'");
    out.user = std::string(credentials.substr(0, colon));
    out.password = std::string(credentials.substr(colon + 1));
    shown_credentials = out.user.empty() ? ":***@" : "USER:***@";
    rest = rest.substr(at + 1);
  }
  if (const size_t slash = rest.find('/'); slash != std::string_view::npos) {
    const std::string_view db = rest.substr(slash + 1);
    if (!db.empty()) out.database = parse_int(db, url, "database number", 1 << 20);
    rest = rest.substr(0, slash);
  }
  std::string_view host = rest;
  if (!rest.empty() && rest.front() == '[') {  // [IPv6]:port
    const size_t close = rest.find(']');
    if (close == std::string_view::npos) bad_url(url, "has an unclosed '['");
    host = rest.substr(1, close - 1);
    rest = rest.substr(close + 1);
    if (!rest.empty() && rest.front() != ':') bad_url(url, "has text after ']'");
    if (!rest.empty()) out.port = parse_int(rest.substr(1), url, "port", 65535);
  } else if (const size_t colon = rest.rfind(':'); colon != std::string_view::npos) {
    host = rest.substr(0, colon);
    out.port = parse_int(rest.substr(colon + 1), url, "port", 65535);
  }
  if (host.empty()) bad_url(url, "has no host");
  out.host = std::string(host);
  out.text = fmt::format("redis://{}{}:{}/{}", shown_credentials, out.host, out.port, out.database);
  return out;
}

struct RedisConnection::Context {
  redisContext* ctx = nullptr;
  ~Context() {
    if (ctx) redisFree(ctx);
  }
};

RedisConnection::RedisConnection(const RedisUrl& url, std::chrono::milliseconds timeout)
    : context_(std::make_unique<Context>()), server_(url.text) {
  context_->ctx = redisConnectWithTimeout(url.host.c_str(), url.port, to_timeval(timeout));
  if (!context_->ctx) {
    throw CdcError(ErrorKind::Consumer, fmt::format("cannot allocate a Redis connection"));
  }
  if (context_->ctx->err) {
    throw RetryableSinkError(
        fmt::format("cannot connect to Redis at {}: {}. Is redis-server running "
                    "there? (scripts/redis-local start DIR starts one)",
                    server_, context_->ctx->errstr));
  }
  redisSetTimeout(context_->ctx, to_timeval(timeout));
  redisEnableKeepAlive(context_->ctx);
  if (!url.password.empty()) {
    RedisReply auth = url.user.empty() ? command({"AUTH", url.password})
                                       : command({"AUTH", url.user, url.password});
    if (auth.is_error()) refused(ErrorKind::Consumer, "AUTH", auth);
  }
  if (url.database != 0) {
    RedisReply select = command({"SELECT", std::to_string(url.database)});
    if (select.is_error())
      refused(ErrorKind::Config, "SELECT " + std::to_string(url.database), select);
  }
}

RedisConnection::~RedisConnection() = default;

void RedisConnection::fail(std::string_view doing) {
  throw RetryableSinkError(
      fmt::format("Redis at {}: {} failed: {}. Nothing unconfirmed was acknowledged", server_,
                  doing, context_->ctx->errstr));
}

void RedisConnection::append(const std::vector<std::string>& args) {
  std::vector<const char*> argv;
  std::vector<size_t> lengths;
  argv.reserve(args.size());
  lengths.reserve(args.size());
  for (const std::string& a : args) {
    argv.push_back(a.data());
    lengths.push_back(a.size());
  }
  if (redisAppendCommandArgv(context_->ctx, static_cast<int>(args.size()), argv.data(),
                             lengths.data()) != REDIS_OK) {
    fail("queueing a command");
  }
}

void RedisConnection::send_appended() {
  const SigpipeGuard guard;
  int done = 0;
  while (!done) {
    if (redisBufferWrite(context_->ctx, &done) != REDIS_OK) fail("sending commands");
  }
}

void RedisConnection::append_formatted(std::string_view commands) {
  if (redisAppendFormattedCommand(context_->ctx, commands.data(), commands.size()) != REDIS_OK) {
    fail("queueing commands");
  }
}

std::vector<RedisReply> RedisConnection::read_replies(size_t count) {
  std::vector<RedisReply> replies;
  read_replies_into(count, replies);
  return replies;
}

void RedisConnection::read_replies_into(size_t count, std::vector<RedisReply>& replies) {
  const SigpipeGuard guard;  // the first redisGetReply() writes what was appended
  replies.resize(count);
  for (size_t i = 0; i < count; ++i) {
    void* raw = nullptr;
    // The first call also writes the whole output buffer (every appended command).
    if (redisGetReply(context_->ctx, &raw) != REDIS_OK || raw == nullptr) fail("reading a reply");
    std::unique_ptr<redisReply, decltype(&freeReplyObject)> reply(static_cast<redisReply*>(raw),
                                                                  &freeReplyObject);
    copy_reply(reply.get(), replies[i]);
  }
}

RedisReply RedisConnection::command(const std::vector<std::string>& args) {
  append(args);
  return std::move(read_replies(1).front());
}

std::string RedisConnection::load_script(const char* script) {
  RedisReply reply = command({"SCRIPT", "LOAD", script});
  if (reply.type != RedisReply::Type::String) refused(ErrorKind::Consumer, "SCRIPT LOAD", reply);
  return reply.text;
}

void RedisConnection::refused(ErrorKind permanent_kind, std::string_view what,
                              const RedisReply& reply) {
  const std::string message = fmt::format("Redis at {} refused {}: {}", server_, what, reply.text);
  if (is_transient_error(reply)) throw RetryableSinkError(message);
  throw CdcError(permanent_kind, message);
}

bool is_transient_error(const RedisReply& reply) {
  static constexpr std::string_view kTransient[] = {
      "LOADING", "BUSY", "TRYAGAIN", "MASTERDOWN", "READONLY", "CLUSTERDOWN", "OOM", "NOSCRIPT"};
  if (!reply.is_error()) return false;
  for (std::string_view prefix : kTransient) {
    if (std::string_view(reply.text).substr(0, prefix.size()) == prefix) return true;
  }
  return false;
}

bool is_noscript(const RedisReply& reply) {
  return reply.is_error() && reply.text.rfind("NOSCRIPT", 0) == 0;
}

RedisReply RedisConnection::eval(const char* script, std::string& sha,
                                 const std::vector<std::string>& args) {
  if (sha.empty()) sha = load_script(script);
  std::vector<std::string> command_args = {"EVALSHA", sha};
  command_args.insert(command_args.end(), args.begin(), args.end());
  RedisReply reply = command(command_args);
  if (!is_noscript(reply)) return reply;
  sha = load_script(script);
  command_args[1] = sha;
  return command(command_args);
}

bool RedisConnection::is_broken() const {
  return context_->ctx->err != 0;
}

}  // namespace sabot::sinks::redis
