#include "local_redis.hpp"

#include <hiredis.h>
#include <stdlib.h>

#include <fstream>
#include <stdexcept>

#include "local_postgres.hpp"  // run_command, shell_quote

namespace sabot::test {

namespace {

std::string redis_local(const std::string& args) {
  const std::string script = std::string(SABOT_SOURCE_DIR) + "/scripts/redis-local";
  CommandResult r = run_command("bash " + shell_quote(script) + " " + args);
  if (r.exit_code != 0) {
    throw std::runtime_error("scripts/redis-local " + args + " failed:\n" + r.out + r.err);
  }
  return r.out;
}

RedisValue flatten(const redisReply* reply) {
  RedisValue value;
  value.is_nil = reply->type == REDIS_REPLY_NIL;
  value.is_error = reply->type == REDIS_REPLY_ERROR;
  if (reply->str) value.text.assign(reply->str, reply->len);
  if (reply->type == REDIS_REPLY_INTEGER) {
    value.integer = reply->integer;
    value.text = std::to_string(reply->integer);
  }
  for (size_t i = 0; i < reply->elements; ++i) value.elements.push_back(flatten(reply->element[i]));
  return value;
}

}  // namespace

struct LocalRedis::Client {
  redisContext* ctx = nullptr;
  ~Client() {
    if (ctx) redisFree(ctx);
  }
};

LocalRedis::LocalRedis(bool appendonly) {
  char dir_template[] = "/tmp/sabot-redis-XXXXXX";
  if (!mkdtemp(dir_template)) throw std::runtime_error("mkdtemp failed");
  dir_ = dir_template;
  redis_local("start " + shell_quote(dir_) + (appendonly ? " --appendonly" : ""));
  std::ifstream port_file(dir_ + "/port");
  port_file >> port_;
  if (port_ <= 0) throw std::runtime_error("scripts/redis-local recorded no port in " + dir_);
}

LocalRedis::~LocalRedis() {
  client_.reset();
  try {
    redis_local("destroy " + shell_quote(dir_));
  } catch (...) {
  }
}

std::string LocalRedis::url(int database) const {
  return "redis://127.0.0.1:" + std::to_string(port_) + "/" + std::to_string(database);
}

RedisValue LocalRedis::command(const std::vector<std::string>& args) {
  if (!client_ || client_->ctx->err) {
    client_ = std::make_unique<Client>();
    client_->ctx = redisConnect("127.0.0.1", port_);
    if (!client_->ctx || client_->ctx->err) {
      throw std::runtime_error("cannot connect to the test redis on port " + std::to_string(port_));
    }
  }
  std::vector<const char*> argv;
  std::vector<size_t> lengths;
  for (const std::string& a : args) {
    argv.push_back(a.data());
    lengths.push_back(a.size());
  }
  auto* reply = static_cast<redisReply*>(
      redisCommandArgv(client_->ctx, static_cast<int>(args.size()), argv.data(), lengths.data()));
  if (!reply)
    throw std::runtime_error(std::string("redis command failed: ") + client_->ctx->errstr);
  RedisValue value = flatten(reply);
  freeReplyObject(reply);
  return value;
}

void LocalRedis::select(int database) {
  command({"SELECT", std::to_string(database)});
}

std::vector<std::string> LocalRedis::keys(const std::string& pattern) {
  std::vector<std::string> out;
  std::string cursor = "0";
  do {
    RedisValue page = command({"SCAN", cursor, "MATCH", pattern, "COUNT", "1000"});
    cursor = page.elements.at(0).text;
    for (const RedisValue& key : page.elements.at(1).elements) out.push_back(key.text);
  } while (cursor != "0");
  return out;
}

std::map<std::string, std::string> LocalRedis::hash(const std::string& key) {
  RedisValue all = command({"HGETALL", key});
  std::map<std::string, std::string> out;
  for (size_t i = 0; i + 1 < all.elements.size(); i += 2) {
    out[all.elements[i].text] = all.elements[i + 1].text;
  }
  return out;
}

long long LocalRedis::ttl_ms(const std::string& key) {
  return command({"PTTL", key}).integer;
}

void LocalRedis::flush_all() {
  command({"FLUSHALL"});
}

void LocalRedis::stop() {
  client_.reset();
  redis_local("stop " + shell_quote(dir_));
}

void LocalRedis::start() {
  client_.reset();
  redis_local("start " + shell_quote(dir_));
}

}  // namespace sabot::test
