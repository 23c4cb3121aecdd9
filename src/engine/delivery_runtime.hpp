// DeliveryRuntime: what run_sink() does (contract in include/sabot/sink.hpp). It takes batches
// from the connector, keeps a window of batches submitted to the sink and not yet acknowledged,
// acknowledges them in stream order once the sink made them durable, and rides out retryable
// sink errors: backoff, reset(), every batch of the window submitted again.
//
// Bounded memory: the window holds at most the sink's max_in_flight() batches and
// DeliveryOptions' events and bytes (one batch always fits); while it is full, or while a retry
// waits, the connector is not asked for more, so the replication socket is not read and the slot
// does not advance. keep_alive() is called during waits so the server keeps the connection.
//
// Private to the engine layer. One thread; borrows the connector and the sink for its lifetime.
#pragma once

#include <cstddef>
#include <deque>
#include <exception>
#include <string>

#include "engine/reconnect_backoff.hpp"
#include "sabot/connector.hpp"
#include "sabot/metrics.hpp"
#include "sabot/sink.hpp"

namespace sabot::engine {

class DeliveryRuntime {
 public:
  DeliveryRuntime(PostgresCdcConnector& connector, Sink& sink, const DeliveryOptions& options);
  ~DeliveryRuntime();  // clears the queue gauges
  void run();

 private:
  struct Pending {
    ChangeBatch batch;
    size_t bytes = 0;
    bool submitted = false;  // false: emptied by the checkpoint, nothing to await
  };

  bool fits(const Pending& next) const;
  bool full() const;
  // Nothing at hand: true until the sink's linger() has passed since the stream first had nothing
  // at hand (after a short nap, so the stream is polled again), then false.
  bool linger_for_more();
  // Nothing at hand and no (more) lingering: awaits the oldest batch, or with a lingering sink
  // every batch in flight.
  void complete_when_idle();
  void admit(ChangeBatch batch);
  void complete_oldest();
  void drop_redelivered(ChangeBatch& batch);
  void account(const Pending& pending, int sign);

  // Runs one sink call; on a retryable error waits, resets the sink and submits the window again
  // until `call` succeeds; throws the final error otherwise.
  template <typename Call>
  auto with_retry(const char* what, const ChangeBatch& at, Call&& call) -> decltype(call());
  // After `error` from `what`: returns once the window was submitted again; throws when the error
  // is permanent, the attempts are used up, or a stop was requested.
  void recover(const char* what, const ChangeBatch& at, std::exception_ptr error);
  void resubmit_window();
  // What a retry log line says waits: the window's batches and where they start.
  std::string waiting(const ChangeBatch& at) const;
  bool wait_keeping_alive(std::chrono::milliseconds wait);

  PostgresCdcConnector& connector_;
  Sink& sink_;
  DeliveryOptions options_;
  ReconnectBackoff backoff_;
  StreamMetrics* metrics_;
  std::deque<Pending> window_;
  size_t window_events_ = 0;
  size_t window_bytes_ = 0;
  std::optional<std::chrono::steady_clock::time_point> idle_since_;  // first empty poll
  int failed_attempts_ = 0;  // consecutive; 0 after any sink call succeeds
};

// The value bytes of a batch's events (new and old columns) plus a fixed cost per event: what the
// window's byte bound counts.
size_t batch_value_bytes(const ChangeBatch& batch);

}  // namespace sabot::engine
