// How the NATS sink turns the client library's statuses and JetStream's error codes into
// CdcErrors: retryable ones as ErrorKind::Connection, the rest permanent (nats_sink.hpp lists
// which is which).
#pragma once

#include <nats/nats.h>

#include <optional>
#include <string>
#include <string_view>

#include "sabot/error.hpp"

namespace sabot::sinks::nats {

struct NatsFailure {
  natsStatus status = NATS_OK;
  jsErrCode code = static_cast<jsErrCode>(0);  // JetStream's error code; 0 when none
  std::string text;                            // the server's or the library's description
};

// The library's last error on this thread for `status` (its own text when it has none).
NatsFailure last_failure(natsStatus status);

// True when the same publish may succeed later with nothing changed.
bool is_retryable(const NatsFailure& failure);

// The CdcError for `failure`: `what` says what failed ("publishing to sabot.public.t"), `where`
// the sink and position. A no-responders failure must have been resolved by the caller (is it
// JetStream down, or no stream for the subject?) before it comes here.
CdcError nats_error(const NatsFailure& failure, std::string_view what, std::string_view where,
                    std::optional<Lsn> lsn = std::nullopt);

}  // namespace sabot::sinks::nats
