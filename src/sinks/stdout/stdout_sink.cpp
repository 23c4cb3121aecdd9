#include "sinks/stdout/stdout_sink.hpp"

#include <cstdio>

#include "output/jsonl_writer.hpp"
#include "sabot/error.hpp"

namespace sabot::sinks {

namespace {
// What the sink keeps of its line buffer between batches.
constexpr size_t kKeptBufferBytes = size_t{8} << 20;
}  // namespace

std::string_view StdoutSink::render(const ChangeBatch& batch) {
  if (renderer_.options().format == EventFormat::Sabot) {
    // Sabot's lines have no per-batch lines around them: each event straight into one buffer.
    text_.clear();
    for (const ChangeEvent& event : batch.events) output::append_event_jsonl(text_, event);
    return text_.view();
  }
  buffer_.clear();
  renderer_.append_batch_lines(buffer_, batch);
  return buffer_;
}

void StdoutSink::write(const ChangeBatch& batch) {
  const std::string_view lines = render(batch);
  if (std::fwrite(lines.data(), 1, lines.size(), stdout) != lines.size() ||
      std::fflush(stdout) != 0) {
    throw CdcError(ErrorKind::Consumer,
                   "cannot write to stdout (closed pipe or full disk); nothing unwritten was "
                   "acknowledged");
  }
  text_.release_if_larger_than(kKeptBufferBytes);  // after a batch of huge values
}

}  // namespace sabot::sinks

namespace sabot {

std::unique_ptr<Sink> make_stdout_sink() { return std::make_unique<sinks::StdoutSink>(); }

std::unique_ptr<Sink> make_stdout_sink(const FormatOptions& format) {
  return std::make_unique<sinks::StdoutSink>(format);
}

}  // namespace sabot
