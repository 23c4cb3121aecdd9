// The JSON side shared by both wal2json formats: a DocumentReader parses one XLogData payload in
// place and reads its scalars and column values, checked, with the decoder's error messages.
//
//   XID: JSON number (uint32). TS: timestamptz text, see pg_text.hpp. LSN: "X/Y".
//   VALUE: string | number | true | false | null; see wal2json_decoder.hpp for the text form of
//          each.
//
// Why ondemand and not the DOM parser: the DOM parser turns every number into a double or an
// int64 while building its tape, so numeric(40,9) would be rounded and 1.50 would become 1.5;
// ondemand gives the number's raw token. It is also the faster of the two for these documents:
// we read every field exactly once, in document order, and ondemand never builds a tape.
//
// Internal to the decode layer (simdjson stays out of wal2json_decoder.hpp). Thread-safety: none;
// one reader per decoder.
#pragma once

#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/byte_arena.hpp"
#include "sabot/change_event.hpp"
#include "sabot/lsn.hpp"

namespace sabot::decode::wal2json {

namespace od = simdjson::ondemand;

// Escapes a prefix of the payload for an error message: printable ASCII as is, the rest \xNN.
std::string escaped_prefix(std::string_view payload);

// Presence bits of the keys of one JSON object, to find duplicates, missing and misplaced keys.
// Each object kind names its keys in an enum of single bits and lists their names in bit order.
using KeySet = uint32_t;

// The names of the keys in `keys`, quoted and comma-separated; names[i] is the name of bit i.
template <size_t N>
std::string key_list(KeySet keys, const char* const (&names)[N]) {
  std::string out;
  for (size_t i = 0; i < N; ++i) {
    if (keys & (KeySet{1} << i)) {
      if (!out.empty()) out += ", ";
      out += '"';
      out += names[i];
      out += '"';
    }
  }
  return out;
}

// Column count a row's vectors are first sized for; format 2 grows it to the widest row seen.
constexpr size_t kInitialColumnsHint = 8;

// Where the backslashes of a document are, found lazily: whether a range holds one costs a
// comparison, and each backslash is searched for (memchr) about once, as long as ranges are asked
// for in document order (the order simdjson's on-demand reader visits values). A range asked for
// out of order just searches again from its start.
class BackslashCursor {
 public:
  void reset(std::string_view document) {
    end_ = document.data() + document.size();
    search(document.data());
  }
  // Precondition: [begin, end) lies within the document.
  bool any_in(const char* begin, const char* end) {
    // next_ is the first backslash at or after from_: valid for any begin in [from_, next_].
    if (begin < from_ || next_ < begin) search(begin);
    return next_ < end;
  }

 private:
  void search(const char* from) {
    from_ = from;
    const void* hit = std::memchr(from, '\\', static_cast<size_t>(end_ - from));
    next_ = hit != nullptr ? static_cast<const char*>(hit) : end_;
  }
  const char* end_ = nullptr;
  const char* from_ = nullptr;
  const char* next_ = nullptr;
};

// Shared, immutable key-name lists: the events of a table all point at one (storage.names).
class KeyNameCache {
 public:
  std::shared_ptr<const std::vector<std::string>> intern(
      const std::vector<std::string_view>& names) {
    for (const auto& entry : entries_) {
      if (std::equal(entry->begin(), entry->end(), names.begin(), names.end())) return entry;
    }
    auto fresh = std::make_shared<const std::vector<std::string>>(names.begin(), names.end());
    if (entries_.size() == kMaxEntries) entries_.erase(entries_.begin());
    entries_.push_back(fresh);
    return fresh;
  }

 private:
  static constexpr size_t kMaxEntries = 64;
  std::vector<std::shared_ptr<const std::vector<std::string>>> entries_;
};

// One per decoder. The payload is copied into the arena (with simdjson's padding) and parsed in
// place: names and values without escapes are views into that copy, the rest are copied next to
// it. Events keep the chunk (set_storage), so every view a reader returns stays valid as long as
// the events of the document do.
//
// The read_* functions run for every field of every document. They are defined in
// wal2json_reader.cpp together with the fast paths they use (plain strings, short unsigned
// integers), which the compiler inlines there; the format decoders call them, as they did when
// all of it was one file.
class DocumentReader {
 public:
  // format_version: 1 or 2, for error messages only.
  explicit DocumentReader(int format_version) : format_version_(format_version) {}

  int format_version() const { return format_version_; }
  // The XLogData position of the payload being read.
  Lsn wal_start() const { return wal_start_; }

  // Starts reading `payload` (an error names `wal_start`). Throws for an empty payload, invalid
  // UTF-8 or a document simdjson cannot start on.
  od::document parse(std::string_view payload, Lsn wal_start);
  // The call is over: its payload is no longer valid and no longer quoted in errors.
  void forget_payload() { payload_ = {}; }

  // CdcError{Protocol} naming the format, the XLogData position, `what` and the payload's start.
  [[noreturn]] void fail(std::string_view what) const;
  // The message is only formatted when there is an error: check() runs for every value.
  template <typename... Args>
  void check(simdjson::error_code ec, fmt::format_string<Args...> format, Args&&... args) const {
    if (ec) [[unlikely]] {
      fail(fmt::format("{} ({})", fmt::format(format, std::forward<Args>(args)...),
                       simdjson::error_message(ec)));
    }
  }
  // Adds `key` to `seen`; a key already there is a duplicate.
  void mark(KeySet& seen, KeySet key, std::string_view name) const {
    if (seen & key) fail(fmt::format("duplicate key \"{}\"", name));
    seen |= key;
  }

  // Scalars. `what` names the field for error messages.
  std::string_view read_string(od::value& v, std::string_view what);
  bool read_bool(od::value& v, std::string_view what);
  uint32_t read_uint32(od::value& v, std::string_view what);
  // Return false for JSON null (`out` untouched).
  bool read_nullable_uint32(od::value& v, std::string_view what, uint32_t& out);
  bool read_nullable_string(od::value& v, std::string_view what, std::string_view& out);
  Lsn read_lsn(od::value& v, std::string_view what);
  // A timestamptz text (TS); the same text twice in a row is parsed once.
  Timestamp to_timestamp(std::string_view text, std::string_view what);

  // A column value in PostgreSQL's text form. `index`: the element of the array `what` the value
  // is in (for error messages only).
  Value read_value(od::value& v, std::string_view what, size_t index);
  // Puts back the "\x" wal2json strips from a bytea value; call once the column's type is known.
  void finish_bytea(Column& column);

  // Gives the event its storage: the shared list of `pk` names (when not empty) and the arena
  // chunk its views point into. Call last, after every arena copy made for the event.
  void set_storage(ChangeEvent& event, const std::vector<std::string_view>& pk);

 private:
  int format_version_;
  od::parser parser_;
  base::ByteArena arena_;
  // Key column names, shared by the events of a table (storage.names).
  KeyNameCache key_names_;
  BackslashCursor backslashes_;  // over the document being read

  // The call being decoded, for error messages.
  std::string_view payload_;
  Lsn wal_start_;

  // The last timestamp parsed: a transaction's BEGIN and COMMIT carry the same one.
  std::string last_timestamp_text_;
  Timestamp last_timestamp_{};
};

}  // namespace sabot::decode::wal2json
