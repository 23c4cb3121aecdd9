#include "sinks/nats/nats_url.hpp"

#include <fmt/format.h>

#include <charconv>
#include <vector>

#include "sabot/error.hpp"

namespace sabot::sinks::nats {

namespace {

constexpr std::string_view kForm =
    "nats://[USER:PASSWORD@]HOST[:PORT][,HOST[:PORT]...] (tls:// for TLS; PORT defaults to 4222)";

[[noreturn]] void bad_url(const std::string& redacted, std::string_view why) {
  throw CdcError(ErrorKind::Config,
                 fmt::format("NATS URL '{}' {}: write it as {}", redacted, why, kForm));
}

std::vector<std::string_view> split_servers(std::string_view url) {
  std::vector<std::string_view> items;
  size_t start = 0;
  while (start <= url.size()) {
    size_t comma = url.find(',', start);
    if (comma == std::string_view::npos) comma = url.size();
    items.push_back(url.substr(start, comma - start));
    start = comma + 1;
  }
  return items;
}

// The URL with the password of every USER:PASSWORD@ replaced, for messages.
std::string redact(std::string_view url) {
  std::string out;
  for (std::string_view item : split_servers(url)) {
    const size_t at = item.rfind('@');
    const size_t scheme = item.find("://");
    const size_t user_start = scheme == std::string_view::npos ? 0 : scheme + 3;
    const size_t colon = item.find(':', user_start);
    if (item.data() != url.data()) out.push_back(',');
    if (at != std::string_view::npos && colon != std::string_view::npos && colon < at) {
      out += item.substr(0, colon + 1);
      out += "********";
      out += item.substr(at);
    } else {
      out += item;
    }
  }
  return out;
}

int parse_port(std::string_view text, const std::string& redacted) {
  int port = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), port);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || port < 1 ||
      port > 65535) {
    bad_url(redacted, fmt::format("has port '{}', not a number from 1 to 65535", text));
  }
  return port;
}

void add_server(NatsUrl& out, std::string_view item, bool first) {
  std::string_view scheme = "nats";
  if (const size_t sep = item.find("://"); sep != std::string_view::npos) {
    scheme = item.substr(0, sep);
    item.remove_prefix(sep + 3);
  } else if (first) {
    bad_url(out.redacted, "has no scheme");
  }
  if (scheme == "tls") {
    out.tls = true;
  } else if (scheme != "nats") {
    bad_url(out.redacted, fmt::format("has scheme '{}'", scheme));
  }
  if (const size_t at = item.rfind('@'); at != std::string_view::npos) {
    const std::string_view userinfo = item.substr(0, at);
    const size_t colon = userinfo.find(':');
    out.user = std::string(userinfo.substr(0, colon));
    out.password = colon == std::string_view::npos ? "" : std::string(userinfo.substr(colon + 1));
    item.remove_prefix(at + 1);
  }
  while (!item.empty() && item.back() == '/') item.remove_suffix(1);
  const size_t colon = item.rfind(':');
  const std::string_view host = item.substr(0, colon);
  const int port =
      colon == std::string_view::npos ? 4222 : parse_port(item.substr(colon + 1), out.redacted);
  if (host.empty() || host.find('/') != std::string_view::npos) {
    bad_url(out.redacted, "has no host");
  }
  out.servers.push_back(fmt::format("{}://{}:{}", scheme, host, port));
}

}  // namespace

NatsUrl parse_nats_url(std::string_view url) {
  NatsUrl out;
  out.redacted = redact(url);
  if (url.empty()) bad_url(out.redacted, "is empty");
  for (std::string_view item : split_servers(url)) add_server(out, item, item.data() == url.data());
  if (out.tls) {
    for (std::string& server : out.servers) {
      if (server.rfind("nats://", 0) == 0) server = "tls://" + server.substr(7);
    }
  }
  return out;
}

}  // namespace sabot::sinks::nats
