// The decoders' view of the PostgreSQL text-form parsers, which live in base/pg_text.hpp so that
// the output layer (Debezium's value mapping) shares them.
#pragma once

#include "base/pg_text.hpp"

namespace sabot::decode {

using base::parse_pg_timestamptz;

}  // namespace sabot::decode
