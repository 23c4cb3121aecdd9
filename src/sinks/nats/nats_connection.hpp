// One NATS connection and its JetStream context for the sink: connects with the sink's URL,
// credentials and TLS options, reconnects by itself forever (the library buffers publishes
// meanwhile), and hands every PubAck to an AckCollector.
#pragma once

#include <nats/nats.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>

#include "sabot/nats_sink.hpp"
#include "sinks/nats/nats_errors.hpp"
#include "sinks/nats/nats_url.hpp"

namespace sabot::sinks::nats {

// Counts the PubAcks of what was published since start() and keeps the first failure. Called by
// the library's thread; read by the sink's.
class AckCollector {
 public:
  struct Failure {
    NatsFailure failure;
    std::string msg_id;
    std::string subject;
  };

  void start();
  uint64_t acked() const;
  uint64_t duplicates() const;
  std::optional<Failure> first_failure() const;

  // jsPubAckHandler: `closure` is the AckCollector.
  static void on_ack(jsCtx* js, natsMsg* msg, jsPubAck* ack, jsPubAckErr* error, void* closure);

 private:
  mutable std::mutex lock_;
  uint64_t acked_ = 0;
  uint64_t duplicates_ = 0;
  std::optional<Failure> failure_;
};

class NatsConnection {
 public:
  // Connects and checks that the server has JetStream. Throws as make_nats_sink() says.
  NatsConnection(const NatsSinkOptions& options, const NatsUrl& url, AckCollector& acks);
  ~NatsConnection();
  NatsConnection(const NatsConnection&) = delete;
  NatsConnection& operator=(const NatsConnection&) = delete;

  jsCtx* js() const { return js_; }
  // Sends what the library buffered now (its flusher thread would wait a moment first); a PING
  // round trip. Returns the library's status.
  natsStatus flush(int64_t timeout_ms) const {
    return natsConnection_FlushTimeout(connection_, timeout_ms);
  }
  bool connected() const;
  // Whether JetStream answers an API request now (account info): tells "JetStream is down" from
  // "no stream stores this subject" after a no-responders PubAck.
  bool jetstream_answers() const;
  // Whether stream `name` exists; nullopt when JetStream did not answer.
  std::optional<bool> stream_exists(const std::string& name) const;

 private:
  static void on_disconnected(natsConnection* nc, void* closure);
  static void on_reconnected(natsConnection* nc, void* closure);
  static void on_closed(natsConnection* nc, void* closure);
  void say(const std::string& line) const;
  void connect(const NatsSinkOptions& options, const NatsUrl& url, AckCollector& acks);
  void check_jetstream() const;
  void close();

  std::function<void(std::string_view)> log_;
  std::string url_text_;
  natsConnection* connection_ = nullptr;
  jsCtx* js_ = nullptr;
  std::mutex closed_lock_;
  std::condition_variable closed_signal_;
  bool closed_ = false;
  std::atomic<bool> closing_{false};  // read by the library's thread
};

}  // namespace sabot::sinks::nats
