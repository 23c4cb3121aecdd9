#include <algorithm>
#include <exception>
#include <string>

#include <fmt/format.h>

#include "sabot/connector.hpp"
#include "sabot/error.hpp"
#include "sabot/sink.hpp"

namespace sabot {

namespace {

// Where the batch starts: its first event's position (the batch's commit LSN if it has none).
EventPosition batch_start(const ChangeBatch& batch) {
  if (batch.events.empty()) return EventPosition{batch.commit_lsn, 0};
  return position_of(batch.events.front());
}

CdcError consumer_error(const char* call, const std::string& why, const ChangeBatch& batch) {
  const EventPosition at = batch_start(batch);
  return CdcError(ErrorKind::Consumer,
                  fmt::format("the sink's {} failed: {} (batch starting at commit_lsn {} seq {}; "
                              "it was not acknowledged and comes again on the next run)",
                              call, why, at.commit_lsn.to_string(), at.seq),
                  "", at.commit_lsn);
}

// Calls the sink (user code) for `batch`. A CdcError passes unchanged: the sink chose its kind
// (the Redis sink's Consumer errors, say). Anything else becomes CdcError{Consumer}, so that no
// other exception type leaves the library.
template <typename Call>
auto call_sink(const char* call, const ChangeBatch& batch, Call&& body) -> decltype(body()) {
  try {
    return body();
  } catch (const CdcError&) {
    throw;
  } catch (const std::exception& e) {
    throw consumer_error(call, e.what(), batch);
  } catch (...) {
    throw consumer_error(call, "an unknown exception", batch);
  }
}

}  // namespace

void run_sink(PostgresCdcConnector& connector, Sink& sink) {
  // What the sink holds decides where an interrupted snapshot resumes.
  const ChangeBatch none;
  if (auto held = call_sink("checkpoint()", none, [&] { return sink.checkpoint(); })) {
    connector.set_consumer_checkpoint(held->commit_lsn, held->seq);
  }
  while (auto batch = connector.next_batch()) {
    // Asked per batch: after a reconnect the server may resend what the sink took moments ago.
    const std::optional<EventPosition> checkpoint =
        call_sink("checkpoint()", *batch, [&] { return sink.checkpoint(); });
    if (checkpoint && !batch->empty() && position_of(batch->events.front()) <= *checkpoint) {
      // Redelivered after a restart: keep only what the sink does not hold yet.
      std::erase_if(batch->events,
                    [&](const ChangeEvent& e) { return position_of(e) <= *checkpoint; });
    }
    if (!batch->empty()) call_sink("write()", *batch, [&] { sink.write(*batch); });
    connector.acknowledge(*batch);
  }
}

}  // namespace sabot
