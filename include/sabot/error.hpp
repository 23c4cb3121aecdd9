// CdcError: every error sabot-cdc reports. The message names the problem and the fix; kind() and
// retryable() answer what a caller asks next (retry the connection? give up? fix the config?).
#pragma once

#include <stdexcept>
#include <string>

namespace sabot {

enum class ErrorKind {
  Config,            // a wrong setting given by the user (bad pattern, bad LSN, unknown plugin)
  Connection,        // server unreachable, connection lost (retryable)
  Authentication,    // bad password / role not allowed (permanent)
  ServerSetting,     // wal_level, max_replication_slots, ... (permanent until the server changes)
  MissingPlugin,     // output plugin not installed on the server
  SlotMissing,       // slot does not exist and creation was not asked for
  SlotInUse,         // slot is active for another process
  Protocol,          // malformed or unexpected bytes from the server (names the LSN)
  Server,            // any other error the server reported
  ValueConversion,   // a typed accessor on a value that does not fit
  Consumer,          // the consumer / sink failed
};

class CdcError : public std::runtime_error {
 public:
  CdcError(ErrorKind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
  ErrorKind kind() const { return kind_; }
  // True when the same operation may succeed later without anyone changing anything.
  bool retryable() const { return kind_ == ErrorKind::Connection || kind_ == ErrorKind::SlotInUse; }

 private:
  ErrorKind kind_;
};

const char* to_string(ErrorKind kind);

}  // namespace sabot
