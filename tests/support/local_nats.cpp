#include "local_nats.hpp"

#include <nats/nats.h>
#include <stdlib.h>

#include <memory>
#include <stdexcept>

#include "local_postgres.hpp"  // run_command, shell_quote

namespace sabot::test {

namespace {

std::string nats_local(const std::string& args) {
  const std::string script = std::string(SABOT_SOURCE_DIR) + "/scripts/nats-local";
  CommandResult r = run_command("bash " + shell_quote(script) + " " + args);
  if (r.exit_code != 0) {
    throw std::runtime_error("scripts/nats-local " + args + " failed:\n" + r.out + r.err);
  }
  return r.out;
}

void check(natsStatus status, const std::string& what) {
  if (status != NATS_OK) {
    throw std::runtime_error("test NATS client: " + what + ": " + natsStatus_GetText(status));
  }
}

// A connection and JetStream context to the fixture's server, closed on scope exit.
class Client {
 public:
  explicit Client(const std::string& url) {
    check(natsConnection_ConnectTo(&connection_, url.c_str()), "connecting to " + url);
    check(natsConnection_JetStream(&js_, connection_, nullptr), "JetStream context");
  }
  ~Client() {
    jsCtx_Destroy(js_);
    natsConnection_Destroy(connection_);
  }
  jsCtx* js() const { return js_; }

 private:
  natsConnection* connection_ = nullptr;
  jsCtx* js_ = nullptr;
};

NatsRecord record_of(natsMsg* msg, uint64_t sequence) {
  NatsRecord record;
  record.sequence = sequence;
  record.subject = natsMsg_GetSubject(msg);
  record.data.assign(natsMsg_GetData(msg), natsMsg_GetDataLength(msg));
  const char** keys = nullptr;
  int count = 0;
  if (natsMsgHeader_Keys(msg, &keys, &count) == NATS_OK) {
    for (int i = 0; i < count; ++i) {
      const char* value = nullptr;
      if (natsMsgHeader_Get(msg, keys[i], &value) == NATS_OK && value) {
        record.headers[keys[i]] = value;
      }
    }
    free(keys);
  }
  return record;
}

}  // namespace

LocalNats::LocalNats(std::vector<std::string> extra_server_args) {
  char dir_template[] = "/tmp/sabot-nats-XXXXXX";
  if (!mkdtemp(dir_template)) throw std::runtime_error("mkdtemp failed");
  dir_ = dir_template;
  std::string args = "start " + shell_quote(dir_);
  if (!extra_server_args.empty()) {
    args += " --";
    for (const std::string& arg : extra_server_args) args += " " + shell_quote(arg);
  }
  const std::string url = nats_local(args);
  const size_t colon = url.rfind(':');
  port_ = colon == std::string::npos ? 0 : std::atoi(url.c_str() + colon + 1);
  if (port_ <= 0) throw std::runtime_error("scripts/nats-local printed no URL: " + url);
  std::string user, password;
  for (size_t i = 0; i + 1 < extra_server_args.size(); ++i) {
    if (extra_server_args[i] == "--user") user = extra_server_args[i + 1];
    if (extra_server_args[i] == "--pass") password = extra_server_args[i + 1];
  }
  client_url_ = user.empty()
                    ? this->url()
                    : "nats://" + user + ":" + password + "@127.0.0.1:" + std::to_string(port_);
}

LocalNats::~LocalNats() {
  try {
    nats_local("destroy " + shell_quote(dir_));
  } catch (...) {
  }
}

std::string LocalNats::url() const {
  return "nats://127.0.0.1:" + std::to_string(port_);
}

void LocalNats::stop() {
  nats_local("stop " + shell_quote(dir_));
}

void LocalNats::crash() {
  CommandResult r = run_command("pid=$(cat " + shell_quote(dir_ + "/nats.pid") +
                                ") && kill -9 $pid && while kill -0 $pid 2>/dev/null; do sleep "
                                "0.05; done");
  if (r.exit_code != 0) throw std::runtime_error("kill -9 of nats-server failed: " + r.err);
}

void LocalNats::start() {
  nats_local("start " + shell_quote(dir_) + " --port " + std::to_string(port_));
}

std::vector<NatsRecord> LocalNats::read_stream(const std::string& stream) const {
  Client client(client_url_);
  jsStreamInfo* info = nullptr;
  check(js_GetStreamInfo(&info, client.js(), stream.c_str(), nullptr, nullptr),
        "stream info of " + stream);
  const uint64_t first = info->State.FirstSeq;
  const uint64_t last = info->State.LastSeq;
  const uint64_t messages = info->State.Msgs;
  jsStreamInfo_Destroy(info);
  std::vector<NatsRecord> records;
  for (uint64_t seq = first; messages > 0 && seq <= last; ++seq) {
    natsMsg* msg = nullptr;
    check(js_GetMsg(&msg, client.js(), stream.c_str(), seq, nullptr, nullptr),
          "message " + std::to_string(seq) + " of " + stream);
    records.push_back(record_of(msg, seq));
    natsMsg_Destroy(msg);
  }
  return records;
}

bool LocalNats::stream_exists(const std::string& stream) const {
  Client client(client_url_);
  jsStreamInfo* info = nullptr;
  const natsStatus status = js_GetStreamInfo(&info, client.js(), stream.c_str(), nullptr, nullptr);
  jsStreamInfo_Destroy(info);
  return status == NATS_OK;
}

uint64_t LocalNats::message_count(const std::string& stream) const {
  Client client(client_url_);
  jsStreamInfo* info = nullptr;
  if (js_GetStreamInfo(&info, client.js(), stream.c_str(), nullptr, nullptr) != NATS_OK) return 0;
  const uint64_t messages = info->State.Msgs;
  jsStreamInfo_Destroy(info);
  return messages;
}

void LocalNats::add_stream(const std::string& stream, const std::string& subjects) const {
  Client client(client_url_);
  const char* subject_list[] = {subjects.c_str()};
  jsStreamConfig config;
  jsStreamConfig_Init(&config);
  config.Name = stream.c_str();
  config.Subjects = subject_list;
  config.SubjectsLen = 1;
  jsStreamInfo* info = nullptr;
  check(js_AddStream(&info, client.js(), &config, nullptr, nullptr), "adding stream " + stream);
  jsStreamInfo_Destroy(info);
}

}  // namespace sabot::test
