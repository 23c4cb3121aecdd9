// The exactly-once checkpoint in Kafka: one record per transaction in the checkpoint topic,
// key = the transactional id, value = the position of the transaction's last event,
// {"commit_lsn":"0/16B3748","seq":12} (read back with parse_event_position, jsonl.hpp).
#pragma once

#include <optional>
#include <string>

#include "sabot/kafka_sink.hpp"
#include "sabot/sink.hpp"

namespace sabot::kafka {

std::string encode_checkpoint(const EventPosition& position);

// The newest checkpoint of options.transactional_id in options.checkpoint_topic, read with a
// read_committed consumer up to the end of every partition; nullopt if there is none (or no such
// topic yet). Throws CdcError{Consumer} if Kafka cannot be read within transaction_timeout, or
// if a record for this id is not a checkpoint.
std::optional<EventPosition> read_checkpoint(const KafkaSinkOptions& options);

}  // namespace sabot::kafka
