// Key names and positions shared by the Redis sink and the cache client (layout documented in
// include/sabot/redis_sink.hpp). Keys other than rows and streams live under "<prefix>:~...":
// a row key's second part is "<schema>.<table>" and never starts with '~' for a real table name
// written without quotes, so the two kinds cannot collide.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "sabot/sink.hpp"

namespace sabot::sinks::redis {

// "<schema>.<table>"
std::string qualified_table(std::string_view schema, std::string_view table);
// Key values joined by ':', each ':' and '\' inside a value escaped with '\'.
std::string key_suffix(const std::vector<std::string>& key_values);
// Appends one value to a suffix, escaped as key_suffix does (the caller writes the ':' between).
void append_key_value(std::string& suffix, std::string_view value);
// The inverse of key_suffix.
std::vector<std::string> split_key_suffix(std::string_view suffix);

std::string row_key(std::string_view prefix, std::string_view qualified, std::string_view suffix);
// "<fence> <xid>" of the last change applied to the row (see redis_scripts.hpp).
std::string fence_key(std::string_view prefix, std::string_view qualified, std::string_view suffix);
// Set for a while after the table was truncated: fills of the table wait until it expires.
std::string truncated_key(std::string_view prefix, std::string_view qualified);
// The stream of one table, in Stream mode without a single stream key.
std::string table_stream_key(std::string_view prefix, std::string_view qualified);
// A SCAN MATCH pattern for every row key of one table.
std::string row_key_pattern(std::string_view prefix, std::string_view qualified);

// 16 hex digits of the commit LSN, then 8 of seq: string order = stream order.
std::string fence_of(const EventPosition& position);
// "<commit_lsn as decimal>-<seq>": a stream entry ID that only grows in stream order.
std::string stream_id_of(const EventPosition& position);

// fence_of's text in place, for a caller that writes it once per change.
class FenceText {
 public:
  explicit FenceText(const EventPosition& position);
  std::string_view view() const { return {text_, sizeof text_}; }

 private:
  char text_[16 + 8];
};

// stream_id_of's text in place.
class StreamIdText {
 public:
  explicit StreamIdText(const EventPosition& position);
  std::string_view view() const { return {text_, length_}; }

 private:
  char text_[20 + 1 + 10];
  size_t length_ = 0;
};

}  // namespace sabot::sinks::redis
