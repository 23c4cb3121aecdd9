// The START_REPLICATION options of PostgreSQL's pgoutput plugin, as the connector sends them to
// the stream PgoutputDecoder reads. Pure: no I/O.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace sabot::engine {

// Options for START_REPLICATION ... LOGICAL lsn (name 'value', ...), unquoted values:
//   proto_version, publication_names, and messages / streaming when true.
// publication_names_csv is a comma-separated list of publication names, each used exactly as
// written (case kept) unless double-quoted, in which case the quotes are removed and "" is a
// quote; pgoutput splits the value with SplitIdentifierString, which folds unquoted names to
// lower case, so every name is sent double-quoted: 'sabot_cdc' → '"sabot_cdc"'.
// Throws CdcError{Config} for an empty name, bad quoting, a protocol version outside 1..4 or
// streaming with protocol 1.
std::vector<std::pair<std::string, std::string>> pgoutput_plugin_options(
    int proto_version, const std::string& publication_names_csv, bool streaming, bool messages);

}  // namespace sabot::engine
