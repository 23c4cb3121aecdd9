// Sink: where batches go when the connector drives them (run_sink). A sink makes a batch durable
// in write(); only then is the batch acknowledged, so the slot never moves past what a sink holds.
//
// Checkpoint: a sink that can tell which events it already holds (a file, a table with the
// position column, ...) returns the position of its newest one from checkpoint(). run_sink then
// drops every redelivered event at or before it, so such a sink sees every change exactly once
// across crashes. Positions are (commit_lsn, seq): strictly increasing in stream order.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>

#include "sabot/change_batch.hpp"

namespace sabot {

struct EventPosition {
  Lsn commit_lsn;
  uint32_t seq = 0;
  auto operator<=>(const EventPosition&) const = default;
};

inline EventPosition position_of(const ChangeEvent& event) {
  return EventPosition{event.commit_lsn, event.seq};
}

class Sink {
 public:
  virtual ~Sink() = default;
  // The newest event the sink already holds durably (asked before every batch); nullopt if the
  // sink keeps no checkpoint (delivery is then at-least-once).
  virtual std::optional<EventPosition> checkpoint() { return std::nullopt; }
  // Makes the batch durable before returning; throws (anything) if it could not. `batch` may be
  // a filtered copy holding only events after the checkpoint, never an empty one.
  virtual void write(const ChangeBatch& batch) = 0;
};

class PostgresCdcConnector;

// Streams batches into the sink until the connector stops (request_stop(), end_lsn), skipping
// events at or before the sink's checkpoint and acknowledging each batch after write() returned.
// A CdcError from the sink propagates unchanged; any other exception (std::exception or not)
// becomes CdcError{Consumer} naming the failed call, the sink's message and the batch's first
// position (also in lsn()). The failed batch is not acknowledged.
void run_sink(PostgresCdcConnector& connector, Sink& sink);

}  // namespace sabot
