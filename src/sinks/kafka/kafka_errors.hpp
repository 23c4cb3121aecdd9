// How the Kafka sink reports what Kafka refused: which change, which topic, what error, and what
// to do about it.
#pragma once

#include <librdkafka/rdkafka.h>

#include <string>
#include <string_view>

#include "sabot/change_event.hpp"
#include "sabot/error.hpp"

namespace sabot::kafka {

// A message of `event` that Kafka (or librdkafka before sending) refused with `error`.
CdcError delivery_error(const ChangeEvent& event, std::string_view topic,
                        rd_kafka_resp_err_t error);

// A failed transactional call (`step`: "init_transactions", "commit_transaction", ...). Takes
// ownership of `error`. Fencing gets its own message: another instance took over the id.
CdcError transaction_error(rd_kafka_error_t* error, std::string_view step,
                           std::string_view transactional_id);

// Whether a transaction error means another producer with the same transactional id took over.
bool is_fenced(rd_kafka_resp_err_t code);

}  // namespace sabot::kafka
