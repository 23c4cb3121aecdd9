#include "sabot/config.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "sabot/error.hpp"

namespace sabot {

const char* to_string(Plugin plugin) {
  return plugin == Plugin::Pgoutput ? "pgoutput" : "wal2json";
}

Plugin parse_plugin(std::string_view name) {
  if (name == "pgoutput") return Plugin::Pgoutput;
  if (name == "wal2json") return Plugin::Wal2json;
  throw CdcError(ErrorKind::Config,
                 fmt::format("unknown plugin '{}': use pgoutput or wal2json", name));
}

const char* to_string(SnapshotMode mode) {
  switch (mode) {
    case SnapshotMode::Never: return "never";
    case SnapshotMode::Initial: return "initial";
    case SnapshotMode::Only: return "only";
  }
  return "never";
}

SnapshotMode parse_snapshot_mode(std::string_view name) {
  if (name == "never") return SnapshotMode::Never;
  if (name == "initial") return SnapshotMode::Initial;
  if (name == "only") return SnapshotMode::Only;
  throw CdcError(ErrorKind::Config,
                 fmt::format("unknown snapshot mode '{}': use never, initial or only", name));
}

void validate_slot_name(std::string_view name) {
  const bool valid_chars = std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
  if (name.empty() || name.size() > 63 || !valid_chars) {
    throw CdcError(ErrorKind::Config,
                   fmt::format("invalid slot name '{}': PostgreSQL slot names use only lower-case "
                               "letters, digits and underscores, at most 63 characters",
                               name));
  }
}

}  // namespace sabot
