// JsonlFileSink: appends events as JSON Lines to a file, fsyncs, and only then lets the batch be
// acknowledged. Its checkpoint is the position of the last complete line in the file, so after a
// crash a restart skips what the file already holds: every change exactly once, in commit order.
// A torn last line (crash in the middle of a write) is cut off at open.
#pragma once

#include <optional>
#include <string>

#include "sabot/format.hpp"
#include "sabot/jsonl.hpp"
#include "sabot/sink.hpp"

namespace sabot::sinks {

class JsonlFileSink : public Sink {
 public:
  // Opens or creates `path` for appending. Throws CdcError{Config} if it cannot, or if the last
  // complete event line is not an event written by sabot-cdc (then it is not ours to append
  // to). Lines are rendered in `format`; Debezium BEGIN / END lines are stepped over when the
  // checkpoint is read.
  explicit JsonlFileSink(std::string path, const FormatOptions& format = {});
  ~JsonlFileSink() override;
  JsonlFileSink(const JsonlFileSink&) = delete;
  JsonlFileSink& operator=(const JsonlFileSink&) = delete;

  std::optional<EventPosition> checkpoint() override { return checkpoint_; }
  void write(const ChangeBatch& batch) override;  // throws CdcError{Consumer} on I/O errors
  std::string name() const override { return "file " + path_; }

 private:
  std::string path_;
  int fd_ = -1;
  std::optional<EventPosition> checkpoint_;
  EventRenderer renderer_;
  std::string buffer_;
};

}  // namespace sabot::sinks
