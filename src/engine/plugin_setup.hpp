// Chooses and configures the decoder and the START_REPLICATION options for a config.
#pragma once

#include <memory>

#include "decode/decode_handler.hpp"
#include "pg/replication_stream.hpp"
#include "sabot/config.hpp"
#include "sabot/table_pattern.hpp"

namespace sabot::engine {

struct PluginSetup {
  std::unique_ptr<decode::Decoder> decoder;
  pg::PluginOptions options;
};

// `server_version` is PQserverVersion (e.g. 150004); pgoutput's protocol version follows it.
// `spill_dir`: where pgoutput spills held transactions (created if missing; stale files removed).
PluginSetup make_plugin_setup(const PostgresCdcConfig& config, const TableFilter& filter,
                              int server_version, const std::string& spill_dir);

}  // namespace sabot::engine
