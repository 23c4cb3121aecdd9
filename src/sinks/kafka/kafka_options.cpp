// Parsing and validation of KafkaSinkOptions (include/sabot/kafka_sink.hpp).
#include <fmt/format.h>

#include "sabot/error.hpp"
#include "sabot/kafka_sink.hpp"

namespace sabot {

namespace {

constexpr std::string_view kScheme = "kafka://";

[[noreturn]] void bad_url(std::string_view url, std::string_view why) {
  throw CdcError(ErrorKind::Config,
                 fmt::format("--sink '{}': {}; write kafka://HOST:PORT[,HOST:PORT...]", url, why));
}

void check_server(std::string_view url, std::string_view server) {
  const size_t colon = server.rfind(':');
  if (server.empty() || colon == std::string_view::npos || colon == 0 ||
      colon + 1 == server.size()) {
    bad_url(url, fmt::format("'{}' is not HOST:PORT", server));
  }
  for (char c : server.substr(colon + 1)) {
    if (c < '0' || c > '9') bad_url(url, fmt::format("the port of '{}' is not a number", server));
  }
}

}  // namespace

std::string parse_kafka_url(std::string_view url) {
  if (url.substr(0, kScheme.size()) != kScheme) bad_url(url, "it does not start with kafka://");
  std::string_view servers = url.substr(kScheme.size());
  if (!servers.empty() && servers.back() == '/') servers.remove_suffix(1);
  if (servers.empty()) bad_url(url, "no broker given");
  size_t from = 0;
  while (from <= servers.size()) {
    const size_t comma = servers.find(',', from);
    const size_t to = comma == std::string_view::npos ? servers.size() : comma;
    check_server(url, servers.substr(from, to - from));
    if (comma == std::string_view::npos) break;
    from = comma + 1;
  }
  return std::string(servers);
}

void add_kafka_setting(KafkaSinkOptions& options, std::string_view spec) {
  const size_t eq = spec.find('=');
  if (eq == std::string_view::npos || eq == 0) {
    throw CdcError(ErrorKind::Config,
                   fmt::format("--kafka-option '{}' must look like NAME=VALUE (a librdkafka "
                               "setting, e.g. compression.type=lz4)",
                               spec));
  }
  options.settings.emplace_back(std::string(spec.substr(0, eq)), std::string(spec.substr(eq + 1)));
}

std::string render_kafka_topic(std::string_view topic_template, std::string_view schema,
                               std::string_view table) {
  std::string out;
  out.reserve(topic_template.size() + schema.size() + table.size());
  size_t i = 0;
  while (i < topic_template.size()) {
    if (topic_template.compare(i, 8, "{schema}") == 0) {
      out += schema;
      i += 8;
    } else if (topic_template.compare(i, 7, "{table}") == 0) {
      out += table;
      i += 7;
    } else {
      out += topic_template[i++];
    }
  }
  return out;
}

}  // namespace sabot
