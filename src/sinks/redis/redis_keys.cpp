#include "sinks/redis/redis_keys.hpp"

#include <fmt/format.h>

#include <charconv>

#include "sabot/redis_sink.hpp"

namespace sabot::sinks::redis {

namespace {

// Escapes the characters SCAN MATCH treats as special, so names match literally.
std::string glob_literal(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

}  // namespace

std::string qualified_table(std::string_view schema, std::string_view table) {
  return fmt::format("{}.{}", schema, table);
}

void append_key_value(std::string& suffix, std::string_view value) {
  if (value.find_first_of(":\\") == std::string_view::npos) {
    suffix.append(value);
    return;
  }
  for (char c : value) {
    if (c == ':' || c == '\\') suffix += '\\';
    suffix += c;
  }
}

std::string key_suffix(const std::vector<std::string>& key_values) {
  std::string out;
  for (size_t i = 0; i < key_values.size(); ++i) {
    if (i > 0) out += ':';
    append_key_value(out, key_values[i]);
  }
  return out;
}

std::vector<std::string> split_key_suffix(std::string_view suffix) {
  std::vector<std::string> values(1);
  for (size_t i = 0; i < suffix.size(); ++i) {
    if (suffix[i] == '\\' && i + 1 < suffix.size()) {
      values.back() += suffix[++i];
    } else if (suffix[i] == ':') {
      values.emplace_back();
    } else {
      values.back() += suffix[i];
    }
  }
  return values;
}

std::string row_key(std::string_view prefix, std::string_view qualified, std::string_view suffix) {
  return fmt::format("{}:{}:{}", prefix, qualified, suffix);
}

std::string fence_key(std::string_view prefix, std::string_view qualified,
                      std::string_view suffix) {
  return fmt::format("{}:~fence:{}:{}", prefix, qualified, suffix);
}

std::string truncated_key(std::string_view prefix, std::string_view qualified) {
  return fmt::format("{}:~truncated:{}", prefix, qualified);
}

std::string table_stream_key(std::string_view prefix, std::string_view qualified) {
  return fmt::format("{}:{}", prefix, qualified);
}

std::string row_key_pattern(std::string_view prefix, std::string_view qualified) {
  return fmt::format("{}:{}:*", glob_literal(prefix), glob_literal(qualified));
}

FenceText::FenceText(const EventPosition& position) {
  constexpr char kHex[] = "0123456789ABCDEF";
  uint64_t lsn = position.commit_lsn.value();
  for (int i = 15; i >= 0; --i, lsn >>= 4) text_[i] = kHex[lsn & 0xf];
  uint32_t seq = position.seq;
  for (int i = 23; i >= 16; --i, seq >>= 4) text_[i] = kHex[seq & 0xf];
}

StreamIdText::StreamIdText(const EventPosition& position) {
  char* const end = text_ + sizeof text_;
  char* p = std::to_chars(text_, end, position.commit_lsn.value()).ptr;
  *p++ = '-';
  p = std::to_chars(p, end, position.seq).ptr;
  length_ = static_cast<size_t>(p - text_);
}

std::string fence_of(const EventPosition& position) {
  return std::string(FenceText(position).view());
}

std::string stream_id_of(const EventPosition& position) {
  return std::string(StreamIdText(position).view());
}

}  // namespace sabot::sinks::redis

namespace sabot {

std::string redis_row_key(std::string_view prefix, std::string_view schema, std::string_view table,
                          const std::vector<std::string>& key_values) {
  using namespace sinks::redis;
  return row_key(prefix, qualified_table(schema, table), key_suffix(key_values));
}

}  // namespace sabot
