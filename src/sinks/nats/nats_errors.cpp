#include "sinks/nats/nats_errors.hpp"

#include <fmt/format.h>

namespace sabot::sinks::nats {

NatsFailure last_failure(natsStatus status) {
  NatsFailure failure;
  failure.status = status;
  natsStatus last_status = NATS_OK;
  const char* text = nats_GetLastError(&last_status);
  failure.text = text && *text ? text : natsStatus_GetText(status);
  return failure;
}

bool is_retryable(const NatsFailure& failure) {
  if (failure.code == JSClusterNotAvailErr || failure.code == JSClusterNotLeaderErr) return true;
  if (failure.code != 0) return false;  // the server looked at the message and refused it
  switch (failure.status) {
    case NATS_TIMEOUT:
    case NATS_IO_ERROR:
    case NATS_NO_SERVER:
    case NATS_STALE_CONNECTION:
    case NATS_CONNECTION_CLOSED:
    case NATS_CONNECTION_DISCONNECTED:
    case NATS_NOT_YET_CONNECTED:
    case NATS_INSUFFICIENT_BUFFER:
    case NATS_DRAINING:
    case NATS_NO_RESPONDERS:
      return true;
    default:
      return false;
  }
}

CdcError nats_error(const NatsFailure& failure, std::string_view what, std::string_view where,
                    std::optional<Lsn> lsn) {
  std::string detail = failure.text;
  if (failure.code != 0)
    detail += fmt::format(" (JetStream error {})", static_cast<int>(failure.code));
  ErrorKind kind = ErrorKind::Consumer;
  std::string fix;
  if (is_retryable(failure)) {
    kind = ErrorKind::Connection;
    fix = "; retryable: publishing again with the same Nats-Msg-Id is safe";
  } else if (failure.status == NATS_CONNECTION_AUTH_FAILED ||
             failure.status == NATS_NOT_PERMITTED) {
    kind = ErrorKind::Authentication;
    fix = "; check the user and password of the URL or --nats-creds, and the user's permissions";
  } else if (failure.status == NATS_SSL_ERROR || failure.status == NATS_SECURE_CONNECTION_WANTED ||
             failure.status == NATS_SECURE_CONNECTION_REQUIRED) {
    kind = ErrorKind::Config;
    fix =
        "; check tls:// in the URL, --nats-tls-ca (the CA that signed the server's "
        "certificate), --nats-tls-cert / --nats-tls-key, and that the URL's host is the one "
        "the certificate names";
  } else if (failure.status == NATS_MAX_PAYLOAD) {
    fix = "; raise max_payload in the nats-server configuration";
  } else if (failure.code == JSStreamNotMatchErr) {
    fix =
        "; the subject belongs to another stream than --nats-stream: change --nats-subject or "
        "the streams' subjects";
  }
  return CdcError(kind, fmt::format("{} failed: {}{}{}", what, detail, where, fix), "", lsn);
}

}  // namespace sabot::sinks::nats
