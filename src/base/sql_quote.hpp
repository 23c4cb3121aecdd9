// Quoting of SQL identifiers and string literals, pure (no connection): for text sabot builds
// itself, e.g. START_REPLICATION commands and type names. Text sent on a connection whose client
// encoding matters goes through PgConnection::quote_identifier (libpq) instead.
#pragma once

#include <string>
#include <string_view>

namespace sabot::base {

enum class IdentifierQuoting {
  // Always in double quotes: the name is taken exactly as written (case kept).
  Always,
  // PostgreSQL's quote_ident() rule without its keyword list: left bare when the name is all
  // lower-case ASCII letters, digits and underscores and does not start with a digit, as
  // format_type() prints type names ("mood", but "\"Mood\"").
  WhenNeeded,
};

// The identifier in double quotes, each '"' doubled; or bare, see IdentifierQuoting.
std::string quote_identifier(std::string_view name, IdentifierQuoting when);

// An SQL string literal: the value in single quotes, each '\'' doubled (standard strings: a
// backslash is an ordinary character).
std::string quote_literal(std::string_view value);

}  // namespace sabot::base
