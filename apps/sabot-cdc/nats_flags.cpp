#include "nats_flags.hpp"

#include <chrono>
#include <utility>

namespace sabot::cli {

void NatsFlags::add_to(CLI::App& cmd) {
  cmd.add_option("--nats-subject", subject,
                 "NATS: subject of each change; {schema}, {table} and {op} are replaced (a logical "
                 "message: {schema}=_message, {table}=its prefix)")
      ->capture_default_str()
      ->needs("--sink");
  cmd.add_option("--nats-stream", stream,
                 "NATS: the JetStream stream the changes must land in; created when missing, "
                 "with subjects covering --nats-subject")
      ->needs("--sink");
  cmd.add_option("--nats-duplicate-window", duplicate_window_s,
                 "NATS: seconds JetStream remembers message ids when sabot-cdc creates the stream; "
                 "redeliveries inside it are dropped (exactly once), beyond it at least once")
      ->check(CLI::Range(1, 86400 * 7))
      ->capture_default_str()
      ->needs("--nats-stream");
  cmd.add_option("--nats-creds", creds, "NATS: user credentials file (JWT and NKey seed)")
      ->check(CLI::ExistingFile)
      ->needs("--sink");
  cmd.add_option("--nats-tls-ca", tls_ca,
                 "NATS: CA certificate(s) to verify the server (turns TLS on)")
      ->check(CLI::ExistingFile)
      ->needs("--sink");
  cmd.add_option("--nats-tls-cert", tls_cert, "NATS: client certificate (with --nats-tls-key)")
      ->check(CLI::ExistingFile)
      ->needs("--sink");
  cmd.add_option("--nats-tls-key", tls_key, "NATS: the client certificate's private key")
      ->check(CLI::ExistingFile)
      ->needs("--sink");
  cmd.add_option("--nats-ack-timeout-ms", ack_timeout_ms,
                 "NATS: how long to wait for a batch's PubAcks before publishing it again")
      ->check(CLI::Range(10, 3600000))
      ->capture_default_str()
      ->needs("--sink");
  cmd.add_option("--nats-retry-ms", retry_ms,
                 "NATS: kept for pipeline files; `stream` retries a batch after retryable "
                 "errors (connection lost, no PubAck) under --sink-retry-max-ms and "
                 "--sink-retry-attempts, like every sink")
      ->check(CLI::Range(0, 86400000))
      ->capture_default_str()
      ->needs("--sink");
}

NatsSinkOptions NatsFlags::to_options(const std::string& url,
                                      std::function<void(std::string_view)> log) const {
  NatsSinkOptions options;
  options.url = url;
  options.subject_template = subject;
  options.stream = stream;
  options.duplicate_window = std::chrono::seconds(duplicate_window_s);
  options.creds_file = creds;
  options.tls_ca_file = tls_ca;
  options.tls_cert_file = tls_cert;
  options.tls_key_file = tls_key;
  options.ack_timeout = std::chrono::milliseconds(ack_timeout_ms);
  options.retry_for = std::chrono::milliseconds(retry_ms);
  options.log = std::move(log);
  return options;
}

bool is_nats_url(const std::string& url) {
  return url.rfind("nats://", 0) == 0 || url.rfind("tls://", 0) == 0;
}

}  // namespace sabot::cli
