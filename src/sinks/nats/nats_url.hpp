// The NATS sink's server URL: nats://[USER:PASSWORD@]HOST[:PORT][,HOST[:PORT]...] (tls:// for
// TLS), split into what the client library takes, plus a form safe to print.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace sabot::sinks::nats {

struct NatsUrl {
  std::vector<std::string> servers;  // "nats://HOST:PORT" / "tls://HOST:PORT", no credentials
  std::string user;
  std::string password;
  bool tls = false;
  std::string redacted;  // the URL as given, the password replaced by ********
};

// Throws CdcError{Config} naming the URL (redacted) and the accepted form.
NatsUrl parse_nats_url(std::string_view url);

}  // namespace sabot::sinks::nats
