// RecordingHandler: a DecodeHandler for tests that keeps every call, in order, and can render
// them as a stable text transcript (the format of the golden *.expected files).
//
//   sabot::testing::RecordingHandler rec;
//   decoder.decode(payload, lsn, rec);
//   EXPECT_EQ(rec.sequence(), "B I C");
//   EXPECT_EQ(rec.changes[0].column("id")->value.text(), "1");
//
// Header-only; no state beyond its vectors. clear() empties it for reuse.
#pragma once

#include <fmt/format.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "decode/decode_handler.hpp"
#include "sabot/change_event.hpp"

namespace sabot::testing {

class RecordingHandler : public decode::DecodeHandler {
 public:
  enum class Call { Begin, Change, Commit, Message };
  // One call: its kind and its index in the vector of that kind.
  struct Entry {
    Call call;
    size_t index;
  };

  std::vector<decode::TxBegin> begins;
  std::vector<ChangeEvent> changes;
  std::vector<decode::TxCommit> commits;
  std::vector<ChangeEvent> messages;  // non-transactional messages (on_message)
  std::vector<Entry> calls;           // every call, in order

  void on_begin(const decode::TxBegin& begin) override {
    calls.push_back({Call::Begin, begins.size()});
    begins.push_back(begin);
  }
  void on_change(ChangeEvent&& event) override {
    calls.push_back({Call::Change, changes.size()});
    changes.push_back(std::move(event));
  }
  void on_commit(const decode::TxCommit& commit) override {
    calls.push_back({Call::Commit, commits.size()});
    commits.push_back(commit);
  }
  void on_message(ChangeEvent&& message) override {
    calls.push_back({Call::Message, messages.size()});
    messages.push_back(std::move(message));
  }

  void clear() {
    begins.clear();
    changes.clear();
    commits.clear();
    messages.clear();
    calls.clear();
  }

  // The calls as letters separated by spaces: B (begin), C (commit), N (non-transactional
  // message), and for changes I U D T M (insert, update, delete, truncate, message), e.g. "B I U
  // C".
  std::string sequence() const {
    std::string out;
    for (const Entry& e : calls) {
      if (!out.empty()) out += ' ';
      switch (e.call) {
        case Call::Begin:
          out += 'B';
          break;
        case Call::Commit:
          out += 'C';
          break;
        case Call::Message:
          out += 'N';
          break;
        case Call::Change:
          out += op_letter(changes[e.index].op);
          break;
      }
    }
    return out;
  }

  // Every call rendered by describe_*(), one line per call (columns on their own indented lines),
  // each line ending in '\n'.
  std::string transcript() const {
    std::string out;
    for (const Entry& e : calls) {
      switch (e.call) {
        case Call::Begin:
          out += describe_begin(begins[e.index]);
          break;
        case Call::Commit:
          out += describe_commit(commits[e.index]);
          break;
        case Call::Change:
          out += describe_event("change", changes[e.index]);
          break;
        case Call::Message:
          out += describe_event("message", messages[e.index]);
          break;
      }
    }
    return out;
  }

  static char op_letter(Op op) {
    switch (op) {
      case Op::Insert:
        return 'I';
      case Op::Update:
        return 'U';
      case Op::Delete:
        return 'D';
      case Op::Truncate:
        return 'T';
      case Op::Message:
        return 'M';
      case Op::SchemaChange:
        return 'S';
      case Op::Read:
        return 'R';
    }
    return '?';
  }

  // A string in double quotes: '"' and '\' escaped with a backslash, \n \r \t as such, other
  // bytes below 0x20 and 0x7f as \u00XX; everything else (including UTF-8) as is.
  static std::string quote(std::string_view s) {
    std::string out = "\"";
    for (char c : s) {
      switch (c) {
        case '"':
          out += "\\\"";
          break;
        case '\\':
          out += "\\\\";
          break;
        case '\n':
          out += "\\n";
          break;
        case '\r':
          out += "\\r";
          break;
        case '\t':
          out += "\\t";
          break;
        default:
          if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
            out += fmt::format("\\u{:04x}", static_cast<unsigned char>(c));
          } else {
            out += c;
          }
      }
    }
    out += '"';
    return out;
  }

  // NULL, or the quoted text form.
  static std::string describe_value(const Value& v) {
    return v.is_null() ? "NULL" : quote(v.text());
  }

  static std::string describe_time(Timestamp t) {
    return t == Timestamp{} ? std::string("-") : format_iso8601(t);
  }

  static std::string describe_begin(const decode::TxBegin& b) {
    return fmt::format("begin xid={} commit_lsn={} commit_time={}\n", b.xid,
                       b.commit_lsn.to_string(), describe_time(b.commit_time));
  }

  static std::string describe_commit(const decode::TxCommit& c) {
    return fmt::format("commit xid={} commit_lsn={} end_lsn={} commit_time={}\n", c.xid,
                       c.commit_lsn.to_string(), c.end_lsn.to_string(),
                       describe_time(c.commit_time));
  }

  // "  new|old <name> <type_name>(<type_oid>) = <value>[ unchanged-toast]\n"
  static std::string describe_column(std::string_view tag, const Column& c) {
    return fmt::format("  {} {} {}({}) = {}{}\n", tag, quote(c.name), quote(c.type_name),
                       c.type_oid, describe_value(c.value),
                       c.unchanged_toast ? " unchanged-toast" : "");
  }

  // Header line "<kind> <op> ...", then the columns. Only the fields a decoder fills are shown
  // (the assembler's transaction_id / commit_lsn / seq are not), plus a non-default commit_time
  // or transaction_id when a decoder set them.
  static std::string describe_event(std::string_view kind, const ChangeEvent& e) {
    std::string out = fmt::format("{} {} lsn={}", kind, to_string(e.op), e.lsn.to_string());
    if (e.transaction_id != 0) out += fmt::format(" xid={}", e.transaction_id);
    if (e.commit_time != Timestamp{}) out += " commit_time=" + format_iso8601(e.commit_time);
    if (e.op == Op::Message) {
      out += fmt::format(" transactional={} prefix={} content={}", e.message_transactional,
                         quote(e.message_prefix), quote(e.message_content));
    } else {
      out += fmt::format(" table={}.{}", quote(e.schema), quote(e.table));
      out += " key=[";
      for (size_t i = 0; i < e.key_columns.size(); ++i) {
        if (i) out += ',';
        out += quote(e.key_columns[i]);
      }
      out += ']';
      out += e.old ? fmt::format(" old={}", e.old->size()) : std::string(" old=none");
    }
    if (e.op == Op::Truncate) {
      out += fmt::format(" cascade={} restart_identity={}", e.truncate_cascade,
                         e.truncate_restart_identity);
    }
    out += '\n';
    for (const Column& c : e.columns) out += describe_column("new", c);
    if (e.old) {
      for (const Column& c : *e.old) out += describe_column("old", c);
    }
    return out;
  }
};

}  // namespace sabot::testing
