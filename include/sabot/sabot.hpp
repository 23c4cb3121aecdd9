// Umbrella header: the whole public API.
#pragma once

#include "sabot/admin.hpp"
#include "sabot/change_batch.hpp"
#include "sabot/change_event.hpp"
#include "sabot/config.hpp"
#include "sabot/connector.hpp"
#include "sabot/error.hpp"
#include "sabot/jsonl.hpp"
#include "sabot/kafka_sink.hpp"
#include "sabot/lsn.hpp"
#include "sabot/nats_sink.hpp"
#include "sabot/redis_sink.hpp"
#include "sabot/schema.hpp"
#include "sabot/sink.hpp"
#include "sabot/status_file.hpp"
#include "sabot/table_pattern.hpp"
#include "sabot/value.hpp"
