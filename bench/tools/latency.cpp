// sabot-bench-latency: commit -> delivery latency of a live stream, through the public API only.
//
//   sabot-bench-latency --dsn DSN --slot NAME [--plugin pgoutput|wal2json] [--format-version 1|2]
//                       [--publication NAME] [--ready-file PATH] [--warmup-ms N] --out PATH
//                       [--nats URL [--nats-stream NAME]]
//
// For every delivered row change: latency = wall clock when next_batch() handed it over minus the
// transaction's commit_time (the server's commit timestamp; same machine, same clock). With
// --nats, each batch is first written to the NATS JetStream sink: the latency is then commit ->
// acknowledged (every PubAck of the batch received). The stream
// ends at a logical message with prefix "sabot_bench_stop" (the load driver emits it last).
// Changes committed in the first --warmup-ms after the first one are left out of the figures.
// Writes key=value lines to --out: events, p50_us, p95_us, p99_us, max_us, cpu_s, maxrss_kb.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <memory>
#include <sabot/sabot.hpp>
#include <string>
#include <vector>

#include "tool_flags.hpp"

namespace {

constexpr std::string_view kStopPrefix = "sabot_bench_stop";

struct Args : sabot_bench::SlotFlags {
  std::string ready_file, out;
  int64_t warmup_ms = 1000;
  std::string nats_url, nats_stream;
};

Args parse_args(int argc, char** argv) {
  Args a;
  CLI::App app{"sabot-bench-latency: commit -> delivery latency of a live stream"};
  sabot_bench::add_slot_flags(app, a);
  app.add_option("--ready-file", a.ready_file, "file created once the stream is running");
  app.add_option("--warmup-ms", a.warmup_ms,
                 "leave out changes committed in the first N ms after the first one")
      ->capture_default_str();
  app.add_option("--out", a.out, "key=value report to write")->required();
  app.add_option("--nats", a.nats_url, "write each batch to the NATS JetStream sink at this URL");
  app.add_option("--nats-stream", a.nats_stream, "with --nats: the stream (created if missing)");
  sabot_bench::parse_or_exit(app, argc, argv);
  return a;
}

int64_t percentile(const std::vector<int64_t>& sorted, double p) {
  if (sorted.empty()) return 0;
  const size_t rank = static_cast<size_t>(p / 100.0 * static_cast<double>(sorted.size() - 1) + 0.5);
  return sorted[std::min(rank, sorted.size() - 1)];
}

int run(const Args& args) {
  sabot::PostgresCdcConfig config;
  config.dsn = args.dsn;
  config.slot_name = args.slot;
  config.plugin = args.plugin == "wal2json" ? sabot::Plugin::Wal2json : sabot::Plugin::Pgoutput;
  config.wal2json_format_version = args.format_version;
  config.publication_name = args.publication;

  std::unique_ptr<sabot::NatsSink> sink;
  if (!args.nats_url.empty()) {
    sabot::NatsSinkOptions options;
    options.url = args.nats_url;
    options.stream = args.nats_stream;
    sink = sabot::make_nats_sink(options);
  }
  sabot::PostgresCdcConnector connector(config);
  connector.open();
  if (!args.ready_file.empty()) std::ofstream(args.ready_file) << "ready\n";

  std::vector<int64_t> latencies_us;
  latencies_us.reserve(1 << 20);
  sabot::Timestamp first_commit{};
  uint64_t warmup_events = 0;
  bool stop = false;
  for (const sabot::ChangeBatch& batch : connector.stream_batches()) {
    if (sink) sink->write(batch);
    const auto delivered =
        std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now());
    for (const sabot::ChangeEvent& event : batch) {
      if (event.op == sabot::Op::Message && event.message_prefix == kStopPrefix) {
        stop = true;
        continue;
      }
      if (first_commit == sabot::Timestamp{}) first_commit = event.commit_time;
      if (event.commit_time - first_commit < std::chrono::milliseconds(args.warmup_ms)) {
        ++warmup_events;
        continue;
      }
      latencies_us.push_back((delivered - event.commit_time).count());
    }
    if (stop) break;
  }
  connector.close();

  std::sort(latencies_us.begin(), latencies_us.end());
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const double cpu_s = static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
                       static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
  std::ofstream out(args.out);
  out << "events=" << latencies_us.size() << "\n"
      << "warmup_events=" << warmup_events << "\n"
      << "p50_us=" << percentile(latencies_us, 50) << "\n"
      << "p95_us=" << percentile(latencies_us, 95) << "\n"
      << "p99_us=" << percentile(latencies_us, 99) << "\n"
      << "max_us=" << (latencies_us.empty() ? 0 : latencies_us.back()) << "\n"
      << "cpu_s=" << cpu_s << "\n"
      << "maxrss_kb=" << usage.ru_maxrss << "\n";
  return out ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(parse_args(argc, argv));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "sabot-bench-latency: error: %s\n", e.what());
    return 1;
  }
}
