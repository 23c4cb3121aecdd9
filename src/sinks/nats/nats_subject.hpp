// Subject templates of the NATS sink ("sabot.{schema}.{table}"): parsed and checked once, then
// expanded per event. The rules (placeholders, %XX escaping, what each op maps to) are in
// include/sabot/nats_sink.hpp.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "sabot/change_event.hpp"

namespace sabot::sinks::nats {

class SubjectTemplate {
 public:
  // Throws CdcError{Config} naming the template and what is wrong with it.
  explicit SubjectTemplate(std::string_view text);

  // Replaces `out` with the subject of `event`.
  void expand(std::string& out, const ChangeEvent& event) const;
  // The stream subjects covering every expansion: each token holding a placeholder becomes '*'.
  std::string wildcard() const;
  const std::string& text() const { return text_; }

 private:
  enum class Part { Literal, Schema, Table, Op };
  struct Piece {
    Part part;
    std::string literal;
  };
  std::string text_;
  std::vector<Piece> pieces_;
};

// Appends `name` as one subject token: bytes other than A-Z a-z 0-9 _ - as %XX.
void append_subject_token(std::string& out, std::string_view name);

}  // namespace sabot::sinks::nats
