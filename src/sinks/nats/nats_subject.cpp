#include "sinks/nats/nats_subject.hpp"

#include <fmt/format.h>

#include "sabot/error.hpp"
#include "sabot/nats_sink.hpp"

namespace sabot::sinks::nats {

namespace {

[[noreturn]] void bad_template(std::string_view text, std::string_view why) {
  throw CdcError(ErrorKind::Config,
                 fmt::format("NATS subject template '{}' {}: write tokens separated by '.', with "
                             "{{schema}}, {{table}} and {{op}} as placeholders, e.g. "
                             "sabot.{{schema}}.{{table}}",
                             text, why));
}

bool literal_byte_allowed(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u > ' ' && u != 0x7f && c != '*' && c != '>' && c != '{' && c != '}';
}

bool plain_token_byte(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

// The names an event's placeholders expand to (see nats_sink.hpp for why).
struct EventNames {
  std::string_view schema;
  std::string_view table;
  std::string_view op;
};

EventNames names_of(const ChangeEvent& event) {
  switch (event.op) {
    case Op::Message:
      return {"_message",
              event.message_prefix.empty() ? std::string_view("_")
                                           : std::string_view(event.message_prefix),
              "message"};
    case Op::Read:
      return {event.schema, event.table, "insert"};
    default:
      return {event.schema, event.table, to_string(event.op)};
  }
}

}  // namespace

void append_subject_token(std::string& out, std::string_view name) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (char c : name) {
    if (plain_token_byte(c)) {
      out.push_back(c);
      continue;
    }
    const auto u = static_cast<unsigned char>(c);
    out.push_back('%');
    out.push_back(kHex[u >> 4]);
    out.push_back(kHex[u & 0xf]);
  }
}

SubjectTemplate::SubjectTemplate(std::string_view text) : text_(text) {
  if (text.empty()) bad_template(text, "is empty");
  std::string literal;
  size_t token_length = 0;
  auto end_literal = [&] {
    if (!literal.empty()) pieces_.push_back({Part::Literal, std::move(literal)});
    literal.clear();
  };
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '{') {
      const size_t close = text.find('}', i);
      if (close == std::string_view::npos) bad_template(text, "has a '{' without '}'");
      const std::string_view name = text.substr(i + 1, close - i - 1);
      end_literal();
      if (name == "schema") {
        pieces_.push_back({Part::Schema, {}});
      } else if (name == "table") {
        pieces_.push_back({Part::Table, {}});
      } else if (name == "op") {
        pieces_.push_back({Part::Op, {}});
      } else {
        bad_template(text, fmt::format("has an unknown placeholder {{{}}}", name));
      }
      token_length += close - i + 1;
      i = close;
      continue;
    }
    if (c == '.') {
      if (token_length == 0) bad_template(text, "has an empty token");
      token_length = 0;
      literal.push_back(c);
      continue;
    }
    if (!literal_byte_allowed(c)) {
      bad_template(text, "holds a wildcard, a brace, whitespace or a control character");
    }
    literal.push_back(c);
    ++token_length;
  }
  if (token_length == 0) bad_template(text, "has an empty token");
  end_literal();
}

void SubjectTemplate::expand(std::string& out, const ChangeEvent& event) const {
  const EventNames names = names_of(event);
  out.clear();
  for (const Piece& piece : pieces_) {
    switch (piece.part) {
      case Part::Literal:
        out += piece.literal;
        break;
      case Part::Schema:
        append_subject_token(out, names.schema);
        break;
      case Part::Table:
        append_subject_token(out, names.table);
        break;
      case Part::Op:
        append_subject_token(out, names.op);
        break;
    }
  }
}

std::string SubjectTemplate::wildcard() const {
  std::string out;
  size_t start = 0;
  while (start <= text_.size()) {
    size_t dot = text_.find('.', start);
    if (dot == std::string::npos) dot = text_.size();
    const std::string_view token = std::string_view(text_).substr(start, dot - start);
    if (!out.empty()) out.push_back('.');
    out += token.find('{') == std::string_view::npos ? std::string(token) : std::string("*");
    start = dot + 1;
  }
  return out;
}

}  // namespace sabot::sinks::nats

namespace sabot {

std::string nats_subject(std::string_view subject_template, const ChangeEvent& event) {
  std::string out;
  sinks::nats::SubjectTemplate(subject_template).expand(out, event);
  return out;
}

std::string nats_stream_subjects(std::string_view subject_template) {
  return sinks::nats::SubjectTemplate(subject_template).wildcard();
}

std::string nats_message_id(const EventPosition& position) {
  return fmt::format("{}:{}", position.commit_lsn.to_string(), position.seq);
}

}  // namespace sabot
