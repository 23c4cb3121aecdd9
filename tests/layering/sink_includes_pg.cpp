// Must not compile: a sink gets batches handed to it; it never reaches the source.
#include "pg/replication_stream.hpp"
