// The NATS JetStream sink behind make_nats_sink() (include/sabot/nats_sink.hpp): renders and
// publishes a batch asynchronously, waits for every PubAck, and retries retryable failures
// within retry_for by publishing the whole batch again (the message ids make that safe).
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
  explicit NatsSinkImpl(const NatsSinkOptions& options);
  void write(const ChangeBatch& batch) override;
  const NatsSinkStats& stats() const override { return stats_; }

 private:
  void publish_confirmed(const ChangeBatch& batch);
  void publish(const ChangeEvent& event);
  void wait_for_acks(const ChangeBatch& batch);
  [[noreturn]] void fail_ack(const AckCollector::Failure& failure);
  // After a failed attempt: takes back whatever still awaits a PubAck, so it is not counted
  // against the next attempt.
  void discard_unconfirmed();
  std::string where(const EventPosition& position) const;

  NatsSinkOptions options_;
  NatsUrl url_;
  SubjectTemplate subjects_;
  AckCollector acks_;
  std::unique_ptr<NatsConnection> connection_;
  NatsSinkStats stats_;
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
