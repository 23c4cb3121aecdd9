// StdoutSink: JSON Lines on stdout, flushed before the batch is acknowledged (a pipe reader has
// it then; durability is the reader's business). No checkpoint: at-least-once.
#pragma once

#include <string>
#include <string_view>

#include "output/json_text.hpp"

#include "sabot/format.hpp"
#include "sabot/jsonl.hpp"
#include "sabot/sink.hpp"

namespace sabot::sinks {

class StdoutSink : public Sink {
 public:
  explicit StdoutSink(const FormatOptions& format = {}) : renderer_(format) {}
  void write(const ChangeBatch& batch) override;  // throws CdcError{Consumer} on a closed pipe
  std::string name() const override { return "stdout"; }

 private:
  // The batch's lines, in text_ (sabot format) or buffer_ (others); valid until the next call.
  std::string_view render(const ChangeBatch& batch);

  EventRenderer renderer_;
  output::JsonText text_;
  std::string buffer_;
};

}  // namespace sabot::sinks
