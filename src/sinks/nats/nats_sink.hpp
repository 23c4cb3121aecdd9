// The NATS JetStream sink behind make_nats_sink() (include/sabot/nats_sink.hpp): submit() renders
// and publishes a batch asynchronously and returns; await_oldest() waits for every PubAck of the
// oldest batch submitted (the AckCollector counts them per batch), so up to max_in_flight()
// batches are on the wire at once, on one connection (the server stores them in order). reset()
// drops the connection and what awaits a PubAck; the caller publishes it again on a new one (the
// message ids make that safe). write() = submit() + await_oldest(), retrying retryable failures
// within retry_for.
#pragma once

#include <memory>
#include <string>

#include "sabot/nats_sink.hpp"
#include "sinks/nats/nats_connection.hpp"
#include "sinks/nats/nats_subject.hpp"
#include "sinks/nats/nats_url.hpp"

namespace sabot::sinks::nats {

class NatsSinkImpl : public NatsSink {
 public:
  // Batches in flight on one connection, which the server stores in order. After a lost
  // connection the sink connects anew and the window is published again from its start, so the
  // store stays a prefix of the stream (the client does not reconnect by itself: see
  // NatsConnection).
  static constexpr size_t kMaxInFlight = 32;

  explicit NatsSinkImpl(const NatsSinkOptions& options);
  // For callers that do not pipeline (nothing else in flight).
  void write(const ChangeBatch& batch) override;
  void submit(const ChangeBatch& batch) override;
  void await_oldest() override;
  size_t max_in_flight() const override { return kMaxInFlight; }
  // After a failed attempt: drops the connection and whatever still awaits a PubAck; the next
  // submit() connects anew.
  void reset() override;
  std::string name() const override { return url_.redacted; }
  const NatsSinkStats& stats() const override { return stats_; }

 private:
  void connect();  // throws as make_nats_sink() says
  void publish(const ChangeEvent& event);
  [[noreturn]] void fail_ack(const AckCollector::Failure& failure);
  [[noreturn]] void fail_timeout(const AckCollector::BatchAcks& acks);
  std::string where(const EventPosition& position) const;

  NatsSinkOptions options_;
  NatsUrl url_;
  SubjectTemplate subjects_;
  AckCollector acks_;
  std::unique_ptr<NatsConnection> connection_;
  NatsSinkStats stats_;
  size_t in_flight_ = 0;  // batches submitted, not yet awaited
  bool flushed_ = true;   // nothing published since the last flush
  // Reused per event.
  std::string subject_;
  std::string body_;
  std::string msg_id_;
  std::string header_;
};

// Creates `options.stream` when it is missing (see nats_sink.hpp); leaves an existing one as is.
void ensure_stream(const NatsConnection& connection, const NatsSinkOptions& options,
                   const SubjectTemplate& subjects, const NatsUrl& url);

}  // namespace sabot::sinks::nats
