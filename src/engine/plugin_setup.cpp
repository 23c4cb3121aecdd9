#include "engine/plugin_setup.hpp"

#include <algorithm>

#include "decode/pgoutput/pgoutput_decoder.hpp"
#include "decode/wal2json/wal2json_decoder.hpp"
#include "decode/wal2json/wal2json_options.hpp"
#include "engine/pgoutput_options.hpp"

namespace sabot::engine {

namespace {

// wal2json can filter on the server when every pattern is expressible as add-tables; otherwise
// everything is sent and the assembler's filter does the selection (it always runs anyway).
std::string wal2json_add_tables(const TableFilter& filter) {
  if (filter.empty()) return "";
  std::vector<std::pair<std::string, std::string>> globs;
  for (const TablePattern& p : filter.patterns()) {
    globs.emplace_back(p.schema_pattern(), p.table_pattern());
  }
  return decode::wal2json_add_tables_value(globs);
}

// pgoutput protocol versions: 1 (PG 10+), 2 streaming (PG 14+), 3 two-phase (PG 15+). Version 4
// (PG 16) only adds parallel apply, which a client like this gains nothing from.
int pgoutput_protocol_for(int server_version) {
  if (server_version >= 150000) return 3;
  if (server_version >= 140000) return 2;
  return 1;
}

PluginSetup make_wal2json_setup(const PostgresCdcConfig& config, const TableFilter& filter) {
  PluginSetup setup;
  setup.decoder = std::make_unique<decode::Wal2jsonDecoder>(config.wal2json_format_version);
  setup.options =
      decode::wal2json_plugin_options(config.wal2json_format_version, wal2json_add_tables(filter));
  return setup;
}

PluginSetup make_pgoutput_setup(const PostgresCdcConfig& config, int server_version,
                                const std::string& spill_dir) {
  PluginSetup setup;
  decode::PgoutputDecoder::Options options;
  options.protocol_version = pgoutput_protocol_for(server_version);
  options.spill_dir = spill_dir;
  options.memory_limit_bytes = config.memory_limit_bytes;
  options.report_relation_changes = true;  // schema_change "relation_changed" (schema.hpp)
  setup.decoder = std::make_unique<decode::PgoutputDecoder>(options);
  setup.options = pgoutput_plugin_options(options.protocol_version, config.publication_name,
                                          /*streaming=*/options.protocol_version >= 2,
                                          /*messages=*/true);
  return setup;
}

// The user's extra options replace ours of the same name, or are appended.
void apply_user_options(pg::PluginOptions& options, const PostgresCdcConfig& config) {
  for (const auto& [name, value] : config.plugin_options) {
    auto same = std::find_if(options.begin(), options.end(),
                             [&name](const auto& o) { return o.first == name; });
    if (same != options.end()) {
      same->second = value;
    } else {
      options.emplace_back(name, value);
    }
  }
}

}  // namespace

PluginSetup make_plugin_setup(const PostgresCdcConfig& config, const TableFilter& filter,
                              int server_version, const std::string& spill_dir) {
  PluginSetup setup = config.plugin == Plugin::Wal2json
                          ? make_wal2json_setup(config, filter)
                          : make_pgoutput_setup(config, server_version, spill_dir);
  apply_user_options(setup.options, config);
  return setup;
}

}  // namespace sabot::engine
