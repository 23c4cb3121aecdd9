// JSON Lines: the `sabot-cdc stream` output format (README "Each output line is one change"), and
// the two built-in sinks that write it. Use them with run_sink() (sink.hpp):
//
//   auto sink = sabot::make_jsonl_file_sink("changes.jsonl");   // exactly once across restarts
//   sabot::run_sink(connector, *sink);
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "sabot/change_event.hpp"
#include "sabot/format.hpp"
#include "sabot/sink.hpp"

namespace sabot {

// Appends one event as a JSON object and a newline.
void append_json_line(std::string& out, const ChangeEvent& event);
// Appends `text` as a JSON string literal (quotes included), escaped as RFC 8259 requires.
void append_json_string(std::string& out, std::string_view text);

// JSON Lines on stdout, flushed before a batch is acknowledged; no checkpoint (at-least-once).
// write() throws CdcError{Consumer} when stdout is closed. `format` (format.hpp) chooses the
// lines: sabot's events, or Debezium's envelopes (with transaction metadata: BEGIN / END lines
// at the transaction's boundaries).
std::unique_ptr<Sink> make_stdout_sink();
std::unique_ptr<Sink> make_stdout_sink(const FormatOptions& format);

// Appends to `path`, fsyncs before a batch is acknowledged; its checkpoint is the last complete
// line of the file, so a restart skips what the file holds: every change exactly once. A torn
// last line (a crash mid-write) is cut off when the sink opens. Throws CdcError{Config} if the
// file cannot be opened or its last line is not a sabot-cdc event; write() throws on I/O errors.
// In the Debezium format the checkpoint is read from the source block's sabot_commit_lsn /
// sabot_seq (BEGIN / END lines are stepped over), and a transaction the file already has events
// of gets no second BEGIN line after a restart.
std::unique_ptr<Sink> make_jsonl_file_sink(const std::string& path);
std::unique_ptr<Sink> make_jsonl_file_sink(const std::string& path, const FormatOptions& format);

// The (commit_lsn, seq) of one line written by append_json_line, or of a Debezium envelope line
// (source.sabot_commit_lsn, source.sabot_seq); nullopt if it has none.
std::optional<EventPosition> parse_event_position(std::string_view line);

}  // namespace sabot
