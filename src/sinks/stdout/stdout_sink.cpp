#include "sinks/stdout/stdout_sink.hpp"

#include <cstdio>

#include "sabot/error.hpp"

namespace sabot::sinks {

void StdoutSink::write(const ChangeBatch& batch) {
  buffer_.clear();
  renderer_.append_batch_lines(buffer_, batch);
  if (std::fwrite(buffer_.data(), 1, buffer_.size(), stdout) != buffer_.size() ||
      std::fflush(stdout) != 0) {
    throw CdcError(ErrorKind::Consumer,
                   "cannot write to stdout (closed pipe or full disk); nothing unwritten was "
                   "acknowledged");
  }
}

}  // namespace sabot::sinks

namespace sabot {

std::unique_ptr<Sink> make_stdout_sink() { return std::make_unique<sinks::StdoutSink>(); }

std::unique_ptr<Sink> make_stdout_sink(const FormatOptions& format) {
  return std::make_unique<sinks::StdoutSink>(format);
}

}  // namespace sabot
