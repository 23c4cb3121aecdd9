// run_sink (include/sabot/sink.hpp): the delivery runtime under every sink.
#include "engine/delivery_runtime.hpp"
#include "sabot/sink.hpp"

namespace sabot {

void run_sink(PostgresCdcConnector& connector, Sink& sink, const DeliveryOptions& options) {
  engine::DeliveryRuntime runtime(connector, sink, options);
  runtime.run();
}

}  // namespace sabot
