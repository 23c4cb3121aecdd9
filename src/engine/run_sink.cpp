#include <algorithm>

#include "sabot/connector.hpp"
#include "sabot/sink.hpp"

namespace sabot {

void run_sink(PostgresCdcConnector& connector, Sink& sink) {
  while (auto batch = connector.next_batch()) {
    // Asked per batch: after a reconnect the server may resend what the sink took moments ago.
    const std::optional<EventPosition> checkpoint = sink.checkpoint();
    if (checkpoint && !batch->empty() && position_of(batch->events.front()) <= *checkpoint) {
      // Redelivered after a restart: keep only what the sink does not hold yet.
      std::erase_if(batch->events,
                    [&](const ChangeEvent& e) { return position_of(e) <= *checkpoint; });
    }
    if (!batch->empty()) sink.write(*batch);
    connector.acknowledge(*batch);
  }
}

}  // namespace sabot
