// StdoutSink: JSON Lines on stdout, flushed before the batch is acknowledged (a pipe reader has
// it then; durability is the reader's business). No checkpoint: at-least-once.
#pragma once

#include <string>

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
  EventRenderer renderer_;
  std::string buffer_;
};

}  // namespace sabot::sinks
