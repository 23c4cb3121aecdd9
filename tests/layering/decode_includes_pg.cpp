// Must not compile: the decoders are pure (no libpq), so the decode layer cannot see pg headers.
#include "pg/pg_connection.hpp"
