#include "sinks/nats/nats_sink.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "output/jsonl_writer.hpp"
#include "sabot/error.hpp"

namespace sabot::sinks::nats {

namespace {

using Clock = std::chrono::steady_clock;
constexpr std::chrono::milliseconds kFirstRetryDelay{100};
constexpr std::chrono::milliseconds kLongestRetryDelay{2000};

void render_sabot_json(std::string& out, const ChangeEvent& event) {
  output::append_event_jsonl(out, event);
  out.pop_back();  // the newline
}

void validate(const NatsSinkOptions& options) {
  if (options.ack_timeout.count() <= 0 || options.connect_timeout.count() <= 0) {
    throw CdcError(ErrorKind::Config, "NATS sink: the connect and ack timeouts must be positive");
  }
  if (options.retry_for.count() < 0) {
    throw CdcError(ErrorKind::Config, "NATS sink: the retry time must not be negative");
  }
  if (options.max_pending <= 0) {
    throw CdcError(ErrorKind::Config, "NATS sink: max_pending must be positive");
  }
}

// The seq of a Nats-Msg-Id "<commit_lsn>:<seq>" ("?" if it is not one of ours).
std::string_view seq_of(std::string_view msg_id) {
  const size_t colon = msg_id.rfind(':');
  return colon == std::string_view::npos ? std::string_view("?") : msg_id.substr(colon + 1);
}

void set_header(natsMsg* msg, const char* key, const std::string& value) {
  natsMsgHeader_Set(msg, key, value.c_str());
}

}  // namespace

NatsSinkImpl::NatsSinkImpl(const NatsSinkOptions& options)
    : options_(options), url_(parse_nats_url(options.url)), subjects_(options.subject_template) {
  validate(options_);
  if (!options_.render) options_.render = render_sabot_json;
  connect();
}

void NatsSinkImpl::connect() {
  connection_ = std::make_unique<NatsConnection>(options_, url_, acks_);
  // Again after a reconnect: a server restarted without its store has lost the stream.
  if (!options_.stream.empty()) ensure_stream(*connection_, options_, subjects_, url_);
}

void NatsSinkImpl::write(const ChangeBatch& batch) {
  const Clock::time_point give_up_at = Clock::now() + options_.retry_for;
  std::chrono::milliseconds delay = kFirstRetryDelay;
  for (int attempt = 1;; ++attempt) {
    try {
      submit(batch);
      await_oldest();
      return;
    } catch (const CdcError& e) {
      reset();
      if (!e.retryable() || Clock::now() + delay > give_up_at) throw;
      if (options_.log) {
        options_.log(
            fmt::format("NATS sink: attempt {} failed, publishing the batch again in {} "
                        "ms: {}",
                        attempt, delay.count(), e.what()));
      }
      std::this_thread::sleep_for(delay);
      delay = std::min(delay * 2, kLongestRetryDelay);
      ++stats_.retries;
    }
  }
}

void NatsSinkImpl::submit(const ChangeBatch& batch) {
  if (batch.empty()) return;
  if (!connection_) connect();  // after reset(); throws a retryable error while the server is down
  if (!connection_->connected()) {
    throw nats_error(NatsFailure{NATS_CONNECTION_DISCONNECTED, static_cast<jsErrCode>(0),
                                 "not connected (the connection was lost)"},
                     fmt::format("NATS sink at {}: publishing", url_.redacted),
                     where(position_of(batch.events.front())), batch.commit_lsn);
  }
  acks_.expect(position_of(batch.events.front()), position_of(batch.events.back()), batch.size());
  ++in_flight_;
  flushed_ = false;
  for (const ChangeEvent& event : batch.events) publish(event);
}

void NatsSinkImpl::await_oldest() {
  if (in_flight_ == 0) return;
  if (in_flight_ == 1 && !flushed_ && !acks_.oldest_complete()) {
    // A lone batch: without it the PubAck wait starts only once the library's flusher thread,
    // which pauses before it writes (to gather more), sent it. With more in flight the flusher's
    // pause overlaps them, while this blocking round trip would hold up the next submit (at 5,000
    // tx/s, flushing every await gave p99 229-308 ms, flushing lone batches only 40-47 ms).
    connection_->flush(options_.ack_timeout.count());
    flushed_ = true;
  }
  --in_flight_;
  const AckCollector::BatchAcks acks = acks_.take_oldest(options_.ack_timeout);
  if (acks.failure) fail_ack(*acks.failure);
  if (!acks.complete()) fail_timeout(acks);
  stats_.published += acks.acked;
  stats_.duplicates += acks.duplicates;
  ++stats_.batches;
}

void NatsSinkImpl::reset() {
  // A new connection for the next attempt: the server then holds a prefix of what this one sent
  // (one connection keeps order), and the attempt publishes the window again from its start.
  connection_.reset();
  acks_.start();
  in_flight_ = 0;
  flushed_ = true;
}

void NatsSinkImpl::fail_timeout(const AckCollector::BatchAcks& acks) {
  NatsFailure failure{NATS_TIMEOUT, static_cast<jsErrCode>(0), ""};
  failure.text = fmt::format("{} of {} PubAcks did not come within {} ms",
                             acks.expected - std::min(acks.acked, acks.expected), acks.expected,
                             options_.ack_timeout.count());
  throw nats_error(failure, fmt::format("NATS sink at {}: waiting for PubAcks", url_.redacted),
                   where(acks.first), acks.first.commit_lsn);
}

void NatsSinkImpl::publish(const ChangeEvent& event) {
  subjects_.expand(subject_, event);
  body_.clear();
  options_.render(body_, event);
  msg_id_ = nats_message_id(position_of(event));
  natsMsg* msg = nullptr;
  natsStatus status =
      natsMsg_Create(&msg, subject_.c_str(), nullptr, body_.data(), static_cast<int>(body_.size()));
  if (status == NATS_OK) {
    set_header(msg, "Sabot-Commit-Lsn", event.commit_lsn.to_string());
    header_ = std::to_string(event.seq);
    set_header(msg, "Sabot-Seq", header_);
    header_ = std::to_string(event.transaction_id);
    set_header(msg, "Sabot-Xid", header_);
    natsMsgHeader_Set(msg, "Sabot-Op", std::string(to_string(event.op)).c_str());
    jsPubOptions publish_options;
    jsPubOptions_Init(&publish_options);
    publish_options.MsgId = msg_id_.c_str();
    if (!options_.stream.empty()) publish_options.ExpectStream = options_.stream.c_str();
    status = js_PublishMsgAsync(connection_->js(), &msg, &publish_options);
  }
  natsMsg_Destroy(msg);  // no-op when the library took it
  if (status == NATS_OK) return;
  AckCollector::Failure failure{last_failure(status), msg_id_, subject_};
  fail_ack(failure);
}

void NatsSinkImpl::fail_ack(const AckCollector::Failure& failure) {
  const std::string what =
      fmt::format("NATS sink at {}: publishing to '{}'", url_.redacted, failure.subject);
  const std::string_view id = failure.msg_id;
  const std::string_view lsn_text = id.substr(0, std::min(id.size(), id.rfind(':')));
  const std::string at = fmt::format(
      " (change at commit_lsn {} seq {}; the batch was not "
      "acknowledged)",
      lsn_text, seq_of(id));
  const std::optional<Lsn> lsn = Lsn::parse(lsn_text);
  if (failure.failure.status != NATS_NO_RESPONDERS || !connection_->jetstream_answers()) {
    throw nats_error(failure.failure, what, at, lsn);  // JetStream down: retryable
  }
  // JetStream answers, so no stream listens on the subject: a setting to fix, not to wait out.
  std::string why;
  if (options_.stream.empty()) {
    why = fmt::format(
        "no JetStream stream stores subject '{}': create one whose subjects cover "
        "'{}', or pass --nats-stream NAME to have sabot-cdc create it",
        failure.subject, subjects_.wildcard());
  } else if (connection_->stream_exists(options_.stream).value_or(true)) {
    why = fmt::format(
        "stream '{}' does not store subject '{}': add '{}' to its subjects, or "
        "change --nats-subject",
        options_.stream, failure.subject, subjects_.wildcard());
  } else {
    why = fmt::format(
        "stream '{}' does not exist any more (deleted while sabot-cdc ran); restart "
        "sabot-cdc to create it again",
        options_.stream);
  }
  throw CdcError(ErrorKind::Consumer, fmt::format("{} failed: {}{}", what, why, at), "", lsn);
}

std::string NatsSinkImpl::where(const EventPosition& position) const {
  return fmt::format(" (batch from commit_lsn {} seq {}; it was not acknowledged)",
                     position.commit_lsn.to_string(), position.seq);
}

}  // namespace sabot::sinks::nats

namespace sabot {

std::unique_ptr<NatsSink> make_nats_sink(const NatsSinkOptions& options) {
  return std::make_unique<sinks::nats::NatsSinkImpl>(options);
}

}  // namespace sabot
