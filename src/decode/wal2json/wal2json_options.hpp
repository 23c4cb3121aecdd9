// The START_REPLICATION options of the wal2json output plugin: what Wal2jsonDecoder expects to
// be sent, and the add-tables value that lets the server filter tables. Pure: no I/O.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace sabot::decode {

// The START_REPLICATION options sabot sends to wal2json: format-version, include-xids,
// include-timestamp, include-lsn, include-types, include-type-oids, include-pk,
// include-transaction (format 2 only), and add-tables when `add_tables` is not empty (see
// wal2json_add_tables_value()). Throws CdcError{Config} for a format version other than 1 or 2.
std::vector<std::pair<std::string, std::string>> wal2json_plugin_options(
    int format_version, const std::string& add_tables);

// The value of wal2json's add-tables option for (schema glob, table glob) pairs, or "" when the
// server cannot filter exactly what the globs select, so the caller filters client-side alone.
// wal2json's syntax: a comma-separated list of schema.table; a part that is exactly '*' is a
// wildcard; other characters are literal, with a backslash escaping the next character (needed
// for ',', '.', '*', '\\', '\'', whitespace). Here every ASCII character other than letters,
// digits and '_' is escaped; bytes of non-ASCII UTF-8 characters are passed as they are.
// A glob part that is "*" becomes wal2json's wildcard; a part with any other '*' or '?' (e.g.
// "audit_*"), an empty part or an empty list gives "". The result never selects fewer tables
// than the globs; the caller still applies its own filter (a quoted literal "*" table name is
// taken as the wildcard here and so only widens what the server sends). The value is raw: the
// caller quotes it as an SQL string literal in START_REPLICATION.
std::string wal2json_add_tables_value(
    const std::vector<std::pair<std::string, std::string>>& schema_table_globs);

}  // namespace sabot::decode
