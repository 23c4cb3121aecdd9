// Decoder micro-benchmarks (Google Benchmark) over captured streams (bench/tools/capture_file.hpp).
//
//   build-bench/bench/sabot-bench-micro --captures DIR [Google Benchmark flags]
//
// Every DIR/*.cap file (bench/run writes them: pgoutput_tx1.cap, wal2json2_tx1000.cap, ...) gets:
//   decode/<name>                one decoder, fresh per iteration, every payload of the capture;
//                                events handed to a handler that drops them (fully built, typed)
//   decode_assemble/<name>       + the TransactionAssembler cutting batches, acknowledged at once
//   decode_assemble_jsonl/<name> + every event rendered as the `sabot-cdc stream` JSON line
//   simdjson_dom/<name>          (wal2json only) reference: simdjson's DOM parser over the same
//                                documents, building nothing of ours — what the JSON costs alone
// Single-threaded: items_per_second is events per second per core, bytes_per_second the plugin's
// payload bytes per second per core (Google Benchmark divides by CPU time).
#include <benchmark/benchmark.h>
#include <simdjson.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "capture_file.hpp"
#include "core/ack_tracker.hpp"
#include "core/transaction_assembler.hpp"
#include "decode/pgoutput/pgoutput_decoder.hpp"
#include "decode/wal2json/wal2json_decoder.hpp"
#include "output/jsonl_writer.hpp"

namespace {

using sabot::bench::Capture;

std::unique_ptr<sabot::decode::Decoder> make_decoder(const Capture& capture) {
  if (capture.header.plugin == "wal2json") {
    return std::make_unique<sabot::decode::Wal2jsonDecoder>(capture.header.format_version);
  }
  sabot::decode::PgoutputDecoder::Options options;
  options.protocol_version = capture.header.protocol_version;
  return std::make_unique<sabot::decode::PgoutputDecoder>(options);
}

// Takes every event and drops it: what a consumer that only counts would cost.
class CountingHandler : public sabot::decode::DecodeHandler {
 public:
  uint64_t events = 0;
  void on_begin(const sabot::decode::TxBegin&) override {}
  void on_change(sabot::ChangeEvent&& event) override {
    benchmark::DoNotOptimize(event.columns.data());
    ++events;
  }
  void on_commit(const sabot::decode::TxCommit&) override {}
  void on_message(sabot::ChangeEvent&&) override { ++events; }
};

void set_counters(benchmark::State& state, const Capture& capture, uint64_t events) {
  state.SetItemsProcessed(static_cast<int64_t>(events));
  state.SetBytesProcessed(static_cast<int64_t>(capture.payload_bytes() * state.iterations()));
  state.counters["events_per_pass"] =
      static_cast<double>(events / std::max<uint64_t>(1, state.iterations()));
}

void bm_decode(benchmark::State& state, const Capture* capture) {
  uint64_t events = 0;
  for (auto _ : state) {
    auto decoder = make_decoder(*capture);
    CountingHandler handler;
    for (const auto& m : capture->messages)
      decoder->decode(m.payload, sabot::Lsn(m.wal_start), handler);
    events += handler.events;
  }
  set_counters(state, *capture, events);
}

// Decoder -> assembler -> batches (-> JSON Lines), the connector's work minus the socket.
template <bool kRenderJsonl>
void bm_pipeline(benchmark::State& state, const Capture* capture) {
  uint64_t events = 0;
  std::string jsonl;
  for (auto _ : state) {
    auto decoder = make_decoder(*capture);
    sabot::core::AckTracker acks;
    sabot::core::TransactionAssembler assembler(sabot::core::BatchLimits{100, 8 << 20},
                                                sabot::TableFilter{}, acks);
    for (const auto& m : capture->messages) {
      decoder->decode(m.payload, sabot::Lsn(m.wal_start), assembler);
      while (assembler.has_ready()) {
        sabot::ChangeBatch batch = assembler.take_ready();
        events += batch.size();
        if constexpr (kRenderJsonl) {
          jsonl.clear();
          for (const sabot::ChangeEvent& e : batch) sabot::output::append_event_jsonl(jsonl, e);
          benchmark::DoNotOptimize(jsonl.data());
        }
        acks.acknowledge(batch.batch_id);
      }
    }
  }
  set_counters(state, *capture, events);
}

void bm_simdjson_dom(benchmark::State& state, const Capture* capture) {
  simdjson::dom::parser parser;
  std::vector<simdjson::padded_string> docs;
  docs.reserve(capture->messages.size());
  for (const auto& m : capture->messages) docs.emplace_back(m.payload);
  for (auto _ : state) {
    for (const auto& doc : docs) {
      simdjson::dom::element element;
      if (parser.parse(doc).get(element)) state.SkipWithError("simdjson parse error");
      benchmark::DoNotOptimize(element);
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(capture->payload_bytes() * state.iterations()));
}

std::string take_captures_flag(int& argc, char** argv) {
  std::string dir;
  if (const char* env = std::getenv("SABOT_BENCH_CAPTURES")) dir = env;
  int kept = 1;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--captures" && i + 1 < argc) {
      dir = argv[++i];
    } else if (arg.rfind("--captures=", 0) == 0) {
      dir = arg.substr(11);
    } else {
      argv[kept++] = argv[i];
    }
  }
  argc = kept;
  return dir;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string dir = take_captures_flag(argc, argv);
  if (dir.empty() || !std::filesystem::is_directory(dir)) {
    std::fprintf(
        stderr,
        "sabot-bench-micro: --captures DIR (or SABOT_BENCH_CAPTURES) must name a directory "
        "of *.cap files; bench/run writes them\n");
    return 2;
  }
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() == ".cap") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  if (files.empty()) {
    std::fprintf(stderr, "sabot-bench-micro: no *.cap file in %s\n", dir.c_str());
    return 2;
  }
  // Kept alive until the benchmarks ran (they hold pointers).
  std::vector<std::unique_ptr<Capture>> captures;
  for (const auto& file : files) {
    captures.push_back(std::make_unique<Capture>(sabot::bench::read_capture(file.string())));
    const Capture* c = captures.back().get();
    const std::string name = file.stem().string();
    benchmark::RegisterBenchmark(("decode/" + name).c_str(), bm_decode, c)
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark(("decode_assemble/" + name).c_str(), bm_pipeline<false>, c)
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark(("decode_assemble_jsonl/" + name).c_str(), bm_pipeline<true>, c)
        ->Unit(benchmark::kMillisecond);
    if (c->header.plugin == "wal2json") {
      benchmark::RegisterBenchmark(("simdjson_dom/" + name).c_str(), bm_simdjson_dom, c)
          ->Unit(benchmark::kMillisecond);
    }
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
