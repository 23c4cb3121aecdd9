// Sink: where batches go when the connector drives them (run_sink). A sink makes a batch durable
// in write(); only then is the batch acknowledged, so the slot never moves past what a sink holds.
//
// Checkpoint: a sink that can tell which events it already holds (a file, a table with the
// position column, ...) returns the position of its newest one from checkpoint(). run_sink then
// drops every redelivered event at or before it, so such a sink sees every change exactly once
// across crashes. Positions are (commit_lsn, seq): strictly increasing in stream order.
//
// Failures (the delivery runtime, run_sink): every exception a sink throws is classified by
// is_retryable(). A retryable one (connection lost or refused, a timeout, a server loading or
// failing over) makes run_sink wait (exponential backoff with jitter, DeliveryOptions::retry),
// call reset(), and deliver the same batches again, in order, for as long as the policy allows;
// meanwhile the stream pauses: no further batch is taken, so memory stays bounded and the
// server's slot does not advance (the replication connection is kept alive). Anything else is
// permanent: run_sink throws a CdcError naming the sink, the error and the batch's position.
//
// Pipelining (optional): a sink whose server answers requests in order (Redis) may keep several
// batches in flight: submit() sends a batch and returns before it is durable, await_oldest()
// waits for the oldest submitted one. run_sink acknowledges batches in the order submitted, once
// await_oldest() returned for each, so acknowledgements stay contiguous. run_sink keeps every
// submitted batch alive and unchanged until await_oldest() returned for it or reset() was called,
// so a sink may refer to a batch's events meanwhile (the Kafka sink does, in delivery reports). The defaults make
// submit() = write() and await_oldest() a no-op: a plain sink needs only write().
#pragma once

#include <chrono>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <optional>
#include <string>

#include "sabot/change_batch.hpp"
#include "sabot/config.hpp"
#include "sabot/error.hpp"

namespace sabot {

struct EventPosition {
  Lsn commit_lsn;
  uint32_t seq = 0;
  auto operator<=>(const EventPosition&) const = default;
};

inline EventPosition position_of(const ChangeEvent& event) {
  return EventPosition{event.commit_lsn, event.seq};
}

// Thrown by a sink for a failure that may go away by itself (the default is_retryable() answers
// true for it). Its kind is Consumer; the message should name the server and what failed.
class RetryableSinkError : public CdcError {
 public:
  explicit RetryableSinkError(const std::string& message)
      : CdcError(ErrorKind::Consumer, message) {}
};

class Sink {
 public:
  virtual ~Sink() = default;
  // The newest event the sink already holds durably (asked before every batch is submitted);
  // nullopt if the sink keeps no checkpoint (delivery is then at-least-once, unless the sink
  // drops duplicates itself, as the Redis sink's fences do).
  virtual std::optional<EventPosition> checkpoint() { return std::nullopt; }
  // Makes the batch durable before returning; throws (anything) if it could not. `batch` may be
  // a filtered copy holding only events after the checkpoint, never an empty one.
  virtual void write(const ChangeBatch& batch) = 0;

  // Whether `error` (thrown by any call above or below) may go away by itself. Default: a
  // RetryableSinkError, or a CdcError whose retryable() is true (ErrorKind::Connection).
  virtual bool is_retryable(const std::exception& error) const {
    if (dynamic_cast<const RetryableSinkError*>(&error)) return true;
    const auto* cdc = dynamic_cast<const CdcError*>(&error);
    return cdc && cdc->retryable();
  }
  // Called before batches are delivered again after a retryable error: drop what is broken
  // (connections, half-sent requests, batches submitted and not awaited), so the next call starts
  // clean. May throw (a retryable error there counts as a failed attempt). Default: nothing.
  virtual void reset() {}
  // Names the sink in messages and logs ("redis://127.0.0.1:6379/0", "file out.jsonl").
  virtual std::string name() const { return "a user-defined sink"; }
  // Called once by run_sink before anything else, under the retry policy above: a sink that
  // connects lazily connects here, so a server that is down when the stream starts is waited for
  // (each attempt logged) instead of ending the run. Throws like any call. Default: nothing.
  virtual void connect() {}

  // Pipelining (see the top of this file). max_in_flight() > 1 lets run_sink keep that many
  // batches submitted and not yet awaited. submit() may throw for the batch or for any earlier
  // one still in flight; await_oldest() throws if the oldest submitted batch failed. After a
  // throw, run_sink calls reset() and submits every unawaited batch again.
  virtual size_t max_in_flight() const { return 1; }
  // How long run_sink keeps polling the stream for more batches, while its window has room,
  // before it awaits the oldest: a sink whose await is costly (a Kafka transaction's commit)
  // gathers more batches into one await at the price of that much latency. Default 0: await as
  // soon as nothing more is at hand.
  virtual std::chrono::milliseconds linger() const { return std::chrono::milliseconds(0); }
  virtual void submit(const ChangeBatch& batch) { write(batch); }
  virtual void await_oldest() {}
};

// How run_sink retries and how much it keeps in flight.
struct DeliveryOptions {
  // Retryable sink errors: first wait initial_delay, doubling up to max_delay, ±25 % jitter;
  // max_attempts consecutive failed attempts (0 = retry forever) before giving up with the last
  // error. enabled = false: the first error is final.
  ReconnectPolicy retry;
  // Bounds of what is submitted and not yet acknowledged (pipelined sinks; a batch is always let
  // in when nothing is in flight). Events and bytes (values' text) of the batches.
  size_t max_in_flight_events = 20000;
  size_t max_in_flight_bytes = 32 * 1024 * 1024;
};

class PostgresCdcConnector;

// Streams batches into the sink until the connector stops (request_stop(), end_lsn), skipping
// events at or before the sink's checkpoint and acknowledging each batch, in stream order, once
// the sink made it durable. Retryable errors are retried as described above, each attempt logged
// through the connector's config().log and counted in its config().metrics. A permanent error, or
// the last one when the attempts run out, is thrown as CdcError: a CdcError from the sink keeps
// its kind and gets the sink's name and the position added to its message; any other exception
// becomes CdcError{Consumer}. lsn() is the failed batch's commit LSN. That batch and every later
// one are not acknowledged.
void run_sink(PostgresCdcConnector& connector, Sink& sink, const DeliveryOptions& options = {});

}  // namespace sabot
