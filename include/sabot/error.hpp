// CdcError: every error sabot-cdc reports. The message names the problem and the fix; kind() and
// retryable() answer what a caller asks next (retry the connection? give up? fix the config?).
#pragma once

#include <optional>
#include <stdexcept>
#include <string>

#include "sabot/lsn.hpp"

namespace sabot {

enum class ErrorKind {
  Config,            // a wrong setting given by the user (bad pattern, bad LSN, unknown plugin)
  Connection,        // server unreachable, connection lost (retryable)
  Authentication,    // bad password / role not allowed (permanent)
  ServerSetting,     // wal_level, max_replication_slots, ... (permanent until the server changes)
  MissingPlugin,     // output plugin not installed on the server
  SlotMissing,       // slot does not exist and creation was not asked for
  SlotInUse,         // slot is active for another process
  SlotInvalidated,   // the server invalidated the slot (wal_status lost): its WAL is gone (permanent)
  Protocol,          // malformed or unexpected bytes from the server (names the LSN)
  Server,            // any other error the server reported
  ValueConversion,   // a typed accessor on a value that does not fit
  Consumer,          // the consumer / sink failed (names it)
  LocalIo,           // a local file could not be written or read back (disk full, spill file)
  Internal,          // a broken internal invariant: a bug in sabot-cdc, never caused by input
};

class CdcError : public std::runtime_error {
 public:
  CdcError(ErrorKind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
  // `sqlstate`: the five-character SQLSTATE the server sent ("" when none); `lsn`: the WAL
  // position the error is about, when known.
  CdcError(ErrorKind kind, const std::string& message, std::string sqlstate,
           std::optional<Lsn> lsn = std::nullopt)
      : std::runtime_error(message), kind_(kind), sqlstate_(std::move(sqlstate)), lsn_(lsn) {}

  ErrorKind kind() const { return kind_; }
  // True when the same operation may succeed later without anyone changing anything.
  bool retryable() const { return kind_ == ErrorKind::Connection || kind_ == ErrorKind::SlotInUse; }
  // The server's SQLSTATE (e.g. "28P01" for a bad password); empty when the server sent none.
  const std::string& sqlstate() const { return sqlstate_; }
  // The WAL position concerned (a malformed message's LSN, ...); nullopt when not known.
  const std::optional<Lsn>& lsn() const { return lsn_; }

 private:
  ErrorKind kind_;
  std::string sqlstate_;
  std::optional<Lsn> lsn_;
};

const char* to_string(ErrorKind kind);

}  // namespace sabot
