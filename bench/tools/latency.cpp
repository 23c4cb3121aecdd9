// sabot-bench-latency: commit -> delivery latency of a live stream, through the public API only.
//
//   sabot-bench-latency --dsn DSN --slot NAME [--plugin pgoutput|wal2json] [--format-version 1|2]
//                       [--publication NAME] [--ready-file PATH] [--warmup-ms N] --out PATH
//
// For every delivered row change: latency = wall clock when next_batch() handed it over minus the
// transaction's commit_time (the server's commit timestamp; same machine, same clock). The stream
// ends at a logical message with prefix "sabot_bench_stop" (the load driver emits it last).
// Changes committed in the first --warmup-ms after the first one are left out of the figures.
// Writes key=value lines to --out: events, p50_us, p95_us, p99_us, max_us, cpu_s, maxrss_kb.
// With --redis URL the changes go through run_sink() into the Redis sink (--redis-mode) and the
// latency is taken when a batch is acknowledged (Redis confirmed it), not when it is handed over.
// --nats URL and --kafka kafka://HOST:PORT (at-least-once, topics bench.{schema}.{table}) do the
// same through the NATS and Kafka sinks.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <deque>
#include <fstream>
#include <sabot/kafka_sink.hpp>
#include <sabot/nats_sink.hpp>
#include <sabot/redis_sink.hpp>
#include <sabot/sabot.hpp>
#include <string>
#include <vector>

#include "tool_flags.hpp"

namespace {

constexpr std::string_view kStopPrefix = "sabot_bench_stop";

struct Args : sabot_bench::SlotFlags {
  std::string ready_file, out, redis_url, redis_mode = "upsert", nats_url, nats_stream,
      kafka_url;
  int64_t warmup_ms = 1000;
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
  app.add_option("--redis", a.redis_url, "deliver into the Redis sink at this URL");
  app.add_option("--nats", a.nats_url, "deliver into the NATS JetStream sink at this URL");
  app.add_option("--nats-stream", a.nats_stream, "with --nats: the stream (created if missing)");
  app.add_option("--kafka", a.kafka_url, "deliver into the Kafka sink at kafka://HOST:PORT");
  app.add_option("--redis-mode", a.redis_mode, "invalidate|upsert|refresh|stream")
      ->capture_default_str();
  sabot_bench::parse_or_exit(app, argc, argv);
  return a;
}

int64_t percentile(const std::vector<int64_t>& sorted, double p) {
  if (sorted.empty()) return 0;
  const size_t rank = static_cast<size_t>(p / 100.0 * static_cast<double>(sorted.size() - 1) + 0.5);
  return sorted[std::min(rank, sorted.size() - 1)];
}

// Collects commit -> "now" latencies of delivered changes, leaving out the warm-up and the stop
// message (which it reports).
class LatencyRecorder {
 public:
  explicit LatencyRecorder(int64_t warmup_ms) : warmup_(std::chrono::milliseconds(warmup_ms)) {
    latencies_us.reserve(1 << 20);
  }
  // Returns true when the batch holds the stop message.
  bool record(const sabot::ChangeBatch& batch) {
    const auto now =
        std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now());
    bool stop = false;
    for (const sabot::ChangeEvent& event : batch) {
      if (event.op == sabot::Op::Message && event.message_prefix == kStopPrefix) {
        stop = true;
        continue;
      }
      if (first_commit_ == sabot::Timestamp{}) first_commit_ = event.commit_time;
      if (event.commit_time - first_commit_ < warmup_) {
        ++warmup_events;
        continue;
      }
      latencies_us.push_back((now - event.commit_time).count());
    }
    return stop;
  }
  std::vector<int64_t> latencies_us;
  uint64_t warmup_events = 0;

 private:
  std::chrono::milliseconds warmup_;
  sabot::Timestamp first_commit_{};
};

// Wraps the Redis sink: a batch's latency is taken once Redis confirmed it (await_oldest()).
class AcknowledgedLatencySink : public sabot::Sink {
 public:
  AcknowledgedLatencySink(sabot::Sink& inner, LatencyRecorder& recorder,
                          sabot::PostgresCdcConnector& connector)
      : inner_(inner), recorder_(recorder), connector_(connector) {}
  void write(const sabot::ChangeBatch& batch) override {
    submit(batch);
    await_oldest();
  }
  void submit(const sabot::ChangeBatch& batch) override {
    inner_.submit(batch);
    sent_.push_back(batch);
  }
  void await_oldest() override {
    inner_.await_oldest();
    if (recorder_.record(sent_.front())) connector_.request_stop();
    sent_.pop_front();
  }
  size_t max_in_flight() const override { return inner_.max_in_flight(); }
  bool is_retryable(const std::exception& e) const override { return inner_.is_retryable(e); }
  void reset() override {
    inner_.reset();
    sent_.clear();
  }

 private:
  sabot::Sink& inner_;
  LatencyRecorder& recorder_;
  sabot::PostgresCdcConnector& connector_;
  std::deque<sabot::ChangeBatch> sent_;
};

void deliver_to_redis(const Args& args, sabot::PostgresCdcConnector& connector,
                      LatencyRecorder& recorder) {
  sabot::RedisSinkOptions options;
  options.url = args.redis_url;
  options.mode = sabot::parse_redis_mode(args.redis_mode);
  auto redis = sabot::make_redis_sink(options);
  AcknowledgedLatencySink sink(*redis, recorder, connector);
  sabot::run_sink(connector, sink);
}

// --nats: the same through the NATS JetStream sink (latency at every PubAck of the batch).
void deliver_to_nats(const Args& args, sabot::PostgresCdcConnector& connector,
                     LatencyRecorder& recorder) {
  sabot::NatsSinkOptions options;
  options.url = args.nats_url;
  options.stream = args.nats_stream;
  auto nats = sabot::make_nats_sink(options);
  AcknowledgedLatencySink sink(*nats, recorder, connector);
  sabot::run_sink(connector, sink);
}

// --kafka: the same through the Kafka sink, at-least-once (latency once every message of the
// batch has its delivery report).
void deliver_to_kafka(const Args& args, sabot::PostgresCdcConnector& connector,
                      LatencyRecorder& recorder) {
  sabot::KafkaSinkOptions options;
  options.bootstrap_servers = sabot::parse_kafka_url(args.kafka_url);
  options.topic_template = "bench.{schema}.{table}";
  auto kafka = sabot::make_kafka_sink(options);
  AcknowledgedLatencySink sink(*kafka, recorder, connector);
  sabot::run_sink(connector, sink);
}

void deliver_to_loop(sabot::PostgresCdcConnector& connector, LatencyRecorder& recorder) {
  for (const sabot::ChangeBatch& batch : connector.stream_batches()) {
    if (recorder.record(batch)) break;
  }
}

int run(const Args& args) {
  sabot::PostgresCdcConfig config;
  config.dsn = args.dsn;
  config.slot_name = args.slot;
  config.plugin = args.plugin == "wal2json" ? sabot::Plugin::Wal2json : sabot::Plugin::Pgoutput;
  config.wal2json_format_version = args.format_version;
  config.publication_name = args.publication;

  sabot::PostgresCdcConnector connector(config);
  connector.open();
  if (!args.ready_file.empty()) std::ofstream(args.ready_file) << "ready\n";

  LatencyRecorder recorder(args.warmup_ms);
  if (!args.nats_url.empty()) {
    deliver_to_nats(args, connector, recorder);
  } else if (!args.kafka_url.empty()) {
    deliver_to_kafka(args, connector, recorder);
  } else if (args.redis_url.empty()) {
    deliver_to_loop(connector, recorder);
  } else {
    deliver_to_redis(args, connector, recorder);
  }
  connector.close();

  std::vector<int64_t>& latencies_us = recorder.latencies_us;
  std::sort(latencies_us.begin(), latencies_us.end());
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const double cpu_s = static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
                       static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
  std::ofstream out(args.out);
  out << "events=" << latencies_us.size() << "\n"
      << "warmup_events=" << recorder.warmup_events << "\n"
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
