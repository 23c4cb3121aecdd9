// The --nats-* flags of `sabot-cdc stream` (and so the keys of a pipeline file): where the NATS
// JetStream sink publishes, which stream it creates, credentials and TLS.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>
#include <string_view>

#include "sabot/nats_sink.hpp"

namespace sabot::cli {

struct NatsFlags {
  std::string subject = "sabot.{schema}.{table}";
  std::string stream;
  int duplicate_window_s = 120;
  std::string creds;
  std::string tls_ca;
  std::string tls_cert;
  std::string tls_key;
  int ack_timeout_ms = 5000;
  int retry_ms = 60000;

  void add_to(CLI::App& cmd);
  NatsSinkOptions to_options(const std::string& url,
                             std::function<void(std::string_view)> log) const;
};

// Whether --sink URL names a NATS server (nats:// or tls://).
bool is_nats_url(const std::string& url);

}  // namespace sabot::cli
