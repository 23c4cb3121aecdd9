// One NATS connection and its JetStream context for the sink: connects with the sink's URL,
// credentials and TLS options and hands every PubAck to an AckCollector. It does not reconnect: a
// lost connection fails every PubAck still awaited (retryable), and the sink makes a new one.
#pragma once

#include <nats/nats.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>

#include "sabot/nats_sink.hpp"
#include "sabot/sink.hpp"
#include "sinks/nats/nats_errors.hpp"
#include "sinks/nats/nats_url.hpp"

namespace sabot::sinks::nats {

// Counts the PubAcks of each batch in flight (published, not yet awaited) and keeps each batch's
// first failure. A PubAck is matched to its batch by the position in its message's Nats-Msg-Id
// (batches are published in stream order, so each holds a range of positions); one for a
// batch no longer expected (taken back after a failed attempt) is ignored. on_ack runs on the
// library's thread; the rest on the sink's.
class AckCollector {
 public:
  struct Failure {
    NatsFailure failure;
    std::string msg_id;
    std::string subject;
  };
  // One batch's PubAcks so far.
  struct BatchAcks {
    EventPosition first;  // the positions of the batch's first and last messages
    EventPosition last;
    uint64_t expected = 0;  // messages published
    uint64_t acked = 0;
    uint64_t duplicates = 0;
    std::optional<Failure> failure;
    bool complete() const { return failure || acked >= expected; }
  };

  // Forgets every batch (after a failed attempt: what was in flight is published again).
  void start();
  // A batch of `count` messages from `first` to `last` is about to be published.
  void expect(const EventPosition& first, const EventPosition& last, uint64_t count);
  // Waits up to `timeout` for the oldest batch to complete (every PubAck, or a failure), then
  // drops it from the collector and returns it as it stands (complete() false: timed out).
  // Precondition: a batch is expected.
  BatchAcks take_oldest(std::chrono::milliseconds timeout);
  // Gives every batch not yet complete `failure` (the connection carrying it was lost) and wakes
  // the waiter. Runs on the library's thread.
  void fail_all(const NatsFailure& failure);
  // Whether the oldest batch expected is complete (no wait).
  bool oldest_complete() const;

  // jsPubAckHandler: `closure` is the AckCollector.
  static void on_ack(jsCtx* js, natsMsg* msg, jsPubAck* ack, jsPubAckErr* error, void* closure);

 private:
  BatchAcks* batch_of(natsMsg* msg);  // lock_ held

  mutable std::mutex lock_;
  std::condition_variable changed_;
  std::deque<BatchAcks> batches_;
};

class NatsConnection {
 public:
  // Connects and checks that the server has JetStream. Throws as make_nats_sink() says.
  // `acks` must outlive the connection.
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
  static void on_closed(natsConnection* nc, void* closure);
  void say(const std::string& line) const;
  void fail_awaited_acks();
  void connect(const NatsSinkOptions& options, const NatsUrl& url);
  void check_jetstream() const;
  void close();

  std::function<void(std::string_view)> log_;
  std::string url_text_;
  AckCollector& acks_;
  natsConnection* connection_ = nullptr;
  jsCtx* js_ = nullptr;
  std::mutex closed_lock_;
  std::condition_variable closed_signal_;
  bool closed_ = false;
  std::atomic<bool> closing_{false};  // read by the library's thread
};

}  // namespace sabot::sinks::nats
