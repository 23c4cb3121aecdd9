#include "decode/decoder_factory.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "decode/pgoutput/pgoutput_decoder.hpp"
#include "decode/wal2json/wal2json_decoder.hpp"

namespace sabot::decode {

namespace {

// wal2json can filter on the server when every pattern is expressible as add-tables; otherwise
// everything is sent and the assembler's filter does the selection (it always runs anyway).
std::string wal2json_add_tables(const TableFilter& filter) {
  if (filter.empty()) return "";
  std::vector<std::pair<std::string, std::string>> globs;
  for (const TablePattern& p : filter.patterns()) {
    globs.emplace_back(p.schema_pattern(), p.table_pattern());
  }
  return Wal2jsonDecoder::add_tables_value(globs);
}

// pgoutput protocol versions: 1 (PG 10+), 2 streaming (PG 14+), 3 two-phase (PG 15+).
int pgoutput_protocol_for(int server_version) {
  if (server_version >= 150000) return 3;
  if (server_version >= 140000) return 2;
  return 1;
}

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

PluginSetup make_builtin_plugin_setup(const PostgresCdcConfig& config, const TableFilter& filter,
                                      int server_version);

}  // namespace

PluginSetup make_plugin_setup(const PostgresCdcConfig& config, const TableFilter& filter,
                              int server_version) {
  PluginSetup setup = make_builtin_plugin_setup(config, filter, server_version);
  apply_user_options(setup.options, config);
  return setup;
}

namespace {

PluginSetup make_builtin_plugin_setup(const PostgresCdcConfig& config, const TableFilter& filter,
                              int server_version) {
  PluginSetup setup;
  if (config.plugin == Plugin::Wal2json) {
    setup.decoder = std::make_unique<Wal2jsonDecoder>(config.wal2json_format_version);
    setup.options = Wal2jsonDecoder::plugin_options(config.wal2json_format_version,
                                                    wal2json_add_tables(filter));
    return setup;
  }
  const int protocol = pgoutput_protocol_for(server_version);
  PgoutputDecoder::Options options;
  options.protocol_version = protocol;
  setup.decoder = std::make_unique<PgoutputDecoder>(options);
  std::string publication = "\"";
  for (char c : config.publication_name) {
    if (c == '"') publication += '"';
    publication += c;
  }
  publication += '"';
  setup.options = PgoutputDecoder::plugin_options(protocol, publication,
                                                  /*streaming=*/protocol >= 2, /*messages=*/true);
  return setup;
}

}  // namespace

}  // namespace sabot::decode
