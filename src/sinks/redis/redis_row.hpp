// What a row change means for Redis: which keys it touches, and the row it writes.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sabot/change_event.hpp"

namespace sabot::sinks::redis {

// The key suffixes (see key_suffix) a change touches. For an update that changed the key both are
// set and differ; for a delete only old_key; for an insert only new_key.
struct ChangeKeys {
  std::optional<std::string> old_key;
  std::optional<std::string> new_key;
};

// key_columns: the configured ones, or nullptr to use the event's own (primary key / identity).
// Throws CdcError{Consumer} naming the table and the fix when a key value is missing.
ChangeKeys change_keys(const ChangeEvent& event, const std::vector<std::string>* key_columns);

// The new row as hash fields: how many columns have a value, how many are NULL, and whether every
// column was sent (false when unchanged TOAST values were left out). The fields themselves are the
// event's columns, in order: a value unless NULL or unchanged_toast.
struct RowShape {
  size_t values = 0;
  size_t nulls = 0;
  bool complete = true;
};
// Throws CdcError{Consumer} if a column is named "_lsn" (the field that holds the position).
RowShape row_shape(const ChangeEvent& event);

// The new row as a JSON object (values as in `sabot-cdc stream`), with "_lsn": fence.
std::string row_json(const ChangeEvent& event, std::string_view fence);

}  // namespace sabot::sinks::redis
