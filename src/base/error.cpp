#include "sabot/error.hpp"

namespace sabot {

const char* to_string(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::Config: return "config";
    case ErrorKind::Connection: return "connection";
    case ErrorKind::Authentication: return "authentication";
    case ErrorKind::ServerSetting: return "server-setting";
    case ErrorKind::MissingPlugin: return "missing-plugin";
    case ErrorKind::SlotMissing: return "slot-missing";
    case ErrorKind::SlotInUse: return "slot-in-use";
    case ErrorKind::SlotInvalidated: return "slot-invalidated";
    case ErrorKind::Protocol: return "protocol";
    case ErrorKind::Server: return "server";
    case ErrorKind::ValueConversion: return "value-conversion";
    case ErrorKind::Consumer: return "consumer";
    case ErrorKind::LocalIo: return "local-io";
    case ErrorKind::Internal: return "internal";
  }
  return "unknown";
}

}  // namespace sabot
