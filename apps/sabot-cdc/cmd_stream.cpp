// sabot-cdc stream: JSON Lines of every committed change on stdout; a batch is acknowledged to
// the server only after it was written and flushed.
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>

#include <fmt/format.h>

#include "commands.hpp"
#include "kafka_flags.hpp"
#include "nats_flags.hpp"
#include "progress.hpp"
#include "sabot/admin.hpp"
#include "sabot/connector.hpp"
#include "sabot/error.hpp"
#include "sabot/format.hpp"
#include "sabot/jsonl.hpp"
#include "sabot/log.hpp"
#include "sabot/metrics.hpp"
#include "sabot/kafka_sink.hpp"
#include "sabot/nats_sink.hpp"
#include "sabot/redis_sink.hpp"
#include "sabot/sink.hpp"
#include "sabot/status_file.hpp"

namespace sabot::cli {

namespace {

struct StreamFlags {
  ConnectionFlags connection;
  std::string slot;
  bool create_slot = false;
  std::string plugin = "pgoutput";
  int format_version = 2;
  std::string publication = "sabot_cdc";
  std::vector<std::string> tables;
  std::string start_lsn;
  std::string end_lsn;
  size_t batch_size = 100;
  int status_interval_ms = 10000;
  int max_batch_latency_ms = 100;
  bool quiet = false;
  std::vector<std::string> plugin_options;
  std::string output_file;
  std::string sink_url;  // redis://..., kafka://... or nats://...
  KafkaFlags kafka;
  NatsFlags nats;
  std::string redis_mode = "upsert";
  std::string redis_prefix = "sabot";
  std::vector<std::string> redis_ttl;
  std::string redis_format = "hash";
  std::string redis_stream_key;
  std::vector<std::string> redis_key_columns;
  int heartbeat_ms = 0;
  bool no_reconnect = false;
  int reconnect_max_ms = 10000;
  int reconnect_attempts = 0;
  int sink_retry_max_ms = 10000;
  int sink_retry_attempts = 0;
  std::string status_file;
  std::string spill_dir;
  size_t memory_limit_mb = 64;
  std::string metrics_listen;
  std::string log_format = "text";
  std::string log_level = "info";
  int64_t warn_retained_bytes = int64_t{1} << 30;  // 1 GiB, as `status`
  std::string snapshot = "never";
  int snapshot_workers = 2;
  int64_t snapshot_chunk_rows = 50000;
  std::string snapshot_state;
  std::string format = "sabot";
  std::string debezium_name = "sabot";
  std::string debezium_database;
  bool debezium_transaction_metadata = false;
};

// The connector SIGINT / SIGTERM stop; null outside ScopedStopSignals' lifetime.
std::atomic<PostgresCdcConnector*> g_connector{nullptr};

extern "C" void on_stop_signal(int) {
  if (PostgresCdcConnector* connector = g_connector.load()) connector->request_stop();
}

// Routes SIGINT and SIGTERM to request_stop() of `connector` while it lives. Declared after the
// connector, so it is destroyed first: the handlers are restored before the pointer is cleared,
// and the handler can never reach a destroyed connector.
class ScopedStopSignals {
 public:
  explicit ScopedStopSignals(PostgresCdcConnector& connector) {
    g_connector.store(&connector);
    struct sigaction sa {};
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &previous_int_);
    sigaction(SIGTERM, &sa, &previous_term_);
  }
  ~ScopedStopSignals() {
    sigaction(SIGINT, &previous_int_, nullptr);
    sigaction(SIGTERM, &previous_term_, nullptr);
    g_connector.store(nullptr);
  }
  ScopedStopSignals(const ScopedStopSignals&) = delete;
  ScopedStopSignals& operator=(const ScopedStopSignals&) = delete;

 private:
  struct sigaction previous_int_ {};
  struct sigaction previous_term_ {};
};

Lsn parse_lsn_flag(const std::string& text, const char* flag) {
  auto lsn = Lsn::parse(text);
  if (!lsn) {
    throw CdcError(ErrorKind::Config,
                   fmt::format("{} '{}' is not an LSN: write it as PostgreSQL does, e.g. 16/B374D848",
                               flag, text));
  }
  return *lsn;
}

PostgresCdcConfig make_config(const StreamFlags& flags) {
  PostgresCdcConfig config = flags.connection.to_config();
  config.slot_name = flags.slot;
  config.plugin = parse_plugin(flags.plugin);
  config.wal2json_format_version = flags.format_version;
  config.publication_name = flags.publication;
  for (const std::string& t : flags.tables) {
    for (std::string& p : split_patterns(t)) config.tables.push_back(std::move(p));
  }
  config.create_slot_if_missing = flags.create_slot;
  config.create_publication_if_missing = flags.create_slot;
  if (!flags.start_lsn.empty()) config.start_lsn = parse_lsn_flag(flags.start_lsn, "--start-lsn");
  if (!flags.end_lsn.empty()) config.end_lsn = parse_lsn_flag(flags.end_lsn, "--end-lsn");
  for (const std::string& option : flags.plugin_options) {
    const size_t eq = option.find('=');
    if (eq == std::string::npos || eq == 0) {
      throw CdcError(ErrorKind::Config,
                     fmt::format("--plugin-option '{}' must look like NAME=VALUE", option));
    }
    config.plugin_options.emplace_back(option.substr(0, eq), option.substr(eq + 1));
  }
  config.batch_size = flags.batch_size;
  config.heartbeat_interval = std::chrono::milliseconds(flags.heartbeat_ms);
  config.spill_directory = flags.spill_dir;
  config.memory_limit_bytes = flags.memory_limit_mb * 1024 * 1024;
  config.reconnect.enabled = !flags.no_reconnect;
  config.reconnect.max_delay = std::chrono::milliseconds(flags.reconnect_max_ms);
  config.reconnect.max_attempts = flags.reconnect_attempts;
  config.status_interval = std::chrono::milliseconds(flags.status_interval_ms);
  config.max_batch_latency = std::chrono::milliseconds(flags.max_batch_latency_ms);
  config.snapshot = parse_snapshot_mode(flags.snapshot);
  config.snapshot_workers = flags.snapshot_workers;
  config.snapshot_chunk_rows = flags.snapshot_chunk_rows;
  config.snapshot_state_path = flags.snapshot_state;
  return config;
}

// Wraps the chosen sink: after each durable write, updates the progress line and status file.
class ObservedSink : public Sink {
 public:
  ObservedSink(Sink& inner, PostgresCdcConnector& connector, Progress& progress,
               StatusFile& status)
      : inner_(inner), connector_(connector), progress_(progress), status_(status) {}
  std::optional<EventPosition> checkpoint() override { return inner_.checkpoint(); }
  void write(const ChangeBatch& batch) override {
    inner_.write(batch);
    observe();
  }
  // Pipelining and retries pass through to the wrapped sink.
  void submit(const ChangeBatch& batch) override { inner_.submit(batch); }
  void await_oldest() override {
    inner_.await_oldest();
    observe();
  }
  size_t max_in_flight() const override { return inner_.max_in_flight(); }
  std::chrono::milliseconds linger() const override { return inner_.linger(); }
  bool is_retryable(const std::exception& error) const override {
    return inner_.is_retryable(error);
  }
  void reset() override { inner_.reset(); }
  void connect() override { inner_.connect(); }
  std::string name() const override { return inner_.name(); }

 private:
  void observe() {
    progress_.update(connector_.stats(), connector_);
    status_.update(connector_.stats(), false, connector_.snapshot_progress());
  }

  Sink& inner_;
  PostgresCdcConnector& connector_;
  Progress& progress_;
  StatusFile& status_;
};

// --format and the Debezium options; source.db is asked of the server when not given.
FormatOptions format_options(const StreamFlags& flags, const PostgresCdcConfig& config) {
  FormatOptions format;
  format.format = parse_event_format(flags.format);
  if (format.format != EventFormat::Debezium &&
      (flags.debezium_transaction_metadata || !flags.debezium_database.empty())) {
    throw CdcError(ErrorKind::Config,
                   "--debezium-transaction-metadata and --debezium-database need --format debezium");
  }
  if (format.format == EventFormat::Debezium && !flags.sink_url.empty() &&
      !is_kafka_url(flags.sink_url) && !is_nats_url(flags.sink_url) &&
      flags.redis_mode != "stream") {
    throw CdcError(ErrorKind::Config,
                   fmt::format("--format debezium shapes stdout, --output and the Redis stream "
                               "mode's entries; --redis-mode {} writes rows, not events: use "
                               "--redis-mode stream or drop --format",
                               flags.redis_mode));
  }
  format.debezium.name = flags.debezium_name;
  format.debezium.transaction_metadata = flags.debezium_transaction_metadata;
  format.debezium.database = flags.debezium_database;
  if (format.format == EventFormat::Debezium && format.debezium.database.empty()) {
    format.debezium.database = PostgresAdmin(config).current_database();
  }
  return format;
}

// The value of a message sink's message (Kafka, NATS) in the Debezium format. Debezium writes no
// message for a schema change: those keep sabot's object, so no message is ever empty.
std::function<void(std::string&, const ChangeEvent&)> message_value_renderer(
    std::shared_ptr<EventRenderer> renderer) {
  return [renderer = std::move(renderer)](std::string& out, const ChangeEvent& e) {
    if (e.op == Op::SchemaChange) {
      append_json_line(out, e);
      out.pop_back();  // the newline
      return;
    }
    renderer->append_value(out, e);
  };
}

// Debezium's transaction metadata in Kafka: BEGIN/END events on a topic of their own.
void add_transaction_renderers(KafkaSinkOptions& options, std::shared_ptr<EventRenderer> renderer) {
  options.render_begin = [renderer](std::string& out, const ChangeBatch& b) {
    renderer->append_transaction_begin(out, b);
  };
  options.render_end = [renderer](std::string& out, const ChangeBatch& b) {
    renderer->append_transaction_end(out, b);
  };
  options.render_transaction_key = [renderer](std::string& out, const ChangeBatch& b) {
    renderer->append_transaction_key(out, b);
  };
}

RedisSinkOptions redis_options(const StreamFlags& flags) {
  RedisSinkOptions options;
  options.url = flags.sink_url;
  options.mode = parse_redis_mode(flags.redis_mode);
  options.format = parse_redis_row_format(flags.redis_format);
  options.prefix = flags.redis_prefix;
  options.stream_key = flags.redis_stream_key;
  for (const std::string& spec : flags.redis_ttl) add_redis_ttl_spec(options, spec);
  for (const std::string& spec : flags.redis_key_columns) add_redis_key_columns_spec(options, spec);
  return options;
}

std::unique_ptr<Sink> make_sink(const StreamFlags& flags, const FormatOptions& format,
                                std::function<void(std::string_view)> log) {
  if (!flags.sink_url.empty()) {
    if (is_kafka_url(flags.sink_url)) {
      KafkaSinkOptions options = flags.kafka.to_options(flags.sink_url, flags.slot);
      if (format.format == EventFormat::Debezium) {
        // One renderer per sink: it counts a transaction's events for Debezium's metadata.
        auto renderer = std::make_shared<EventRenderer>(format);
        options.render_value = message_value_renderer(renderer);
        options.render_key = [renderer](std::string& out, const ChangeEvent& e) {
          renderer->append_key(out, e);
        };
        if (format.debezium.transaction_metadata) add_transaction_renderers(options, renderer);
      }
      return make_kafka_sink(std::move(options));
    }
    if (is_nats_url(flags.sink_url)) {
      NatsSinkOptions options = flags.nats.to_options(flags.sink_url, log);
      if (format.format == EventFormat::Debezium) {
        auto renderer = std::make_shared<EventRenderer>(format);
        options.render = message_value_renderer(renderer);
      }
      return make_nats_sink(std::move(options));
    }
    if (flags.sink_url.rfind("redis://", 0) != 0) {
      throw CdcError(ErrorKind::Config,
                     fmt::format("--sink '{}' is not a sink this build knows: use "
                                 "redis://HOST:PORT[/DB], kafka://HOST:PORT[,HOST:PORT...] or "
                                 "nats://HOST:PORT",
                                 redact_secrets(flags.sink_url)));
    }
    RedisSinkOptions options = redis_options(flags);
    options.stream_format = format;
    options.connect_lazily = true;  // a Redis down at startup is retried by run_sink
    return make_redis_sink(options);
  }
  if (!flags.output_file.empty()) return make_jsonl_file_sink(flags.output_file, format);
  return make_stdout_sink(format);
}

DeliveryOptions delivery_options(const StreamFlags& flags) {
  DeliveryOptions options;
  options.retry.max_delay = std::chrono::milliseconds(flags.sink_retry_max_ms);
  options.retry.max_attempts = flags.sink_retry_attempts;
  return options;
}

int run_stream(const StreamFlags& flags) {
  PostgresCdcConfig config = make_config(flags);
  const FormatOptions format = format_options(flags, config);
  config.log = configure_logging(flags.log_format, flags.log_level, flags.slot);
  const auto connector_log = config.log;
  const std::string sink_label = is_kafka_url(flags.sink_url)  ? "kafka"
                                 : is_nats_url(flags.sink_url) ? "nats"
                                 : !flags.sink_url.empty()     ? "redis"
                                 : !flags.output_file.empty() ? "file"
                                                              : "stdout";
  auto metrics =
      start_metrics_server(flags.metrics_listen, config, sink_label, flags.warn_retained_bytes);
  const auto watcher = start_slot_watcher(flags.metrics_listen, config, flags.warn_retained_bytes);
  PostgresCdcConnector connector(std::move(config));
  std::unique_ptr<Sink> sink = make_sink(flags, format, connector_log);
  ScopedStopSignals stop_signals(connector);
  std::signal(SIGPIPE, SIG_IGN);

  Progress progress(!flags.quiet && progress_allowed_on(STDOUT_FILENO, STDERR_FILENO));
  StatusFile status(flags.status_file.empty() ? default_status_file(flags.slot) : flags.status_file,
                    flags.slot);
  ObservedSink observed(*sink, connector, progress, status);
  connector.open();
  run_sink(connector, observed, delivery_options(flags));
  connector.close();
  status.update(connector.stats(), false, connector.snapshot_progress());
  progress.finish(connector.stats());
  return 0;
}

}  // namespace

void register_stream(CLI::App& app, int& exit_code) {
  auto flags = std::make_shared<StreamFlags>();
  CLI::App* cmd = app.add_subcommand("stream", "stream changes as JSON Lines to stdout");
  flags->connection.add_to(*cmd);
  cmd->add_option("--slot", flags->slot, "logical replication slot name")->required();
  cmd->add_flag("--create-slot", flags->create_slot,
                "create the slot (and for pgoutput the publication) if missing");
  cmd->add_option("--plugin", flags->plugin, "output plugin: pgoutput (built in) or wal2json")
      ->check(CLI::IsMember({"wal2json", "pgoutput"}))
      ->capture_default_str();
  cmd->add_option("--format-version", flags->format_version, "wal2json format version: 1 or 2")
      ->check(CLI::IsMember({1, 2}))
      ->capture_default_str();
  cmd->add_option("--publication", flags->publication, "publication name (pgoutput)")
      ->capture_default_str();
  cmd->add_option("--tables", flags->tables,
                  "table patterns, comma-separated or repeated: public.orders, public.*, *.audit_?");
  cmd->add_option("--start-lsn", flags->start_lsn,
                  "start position (default: the slot's confirmed position)");
  cmd->add_option("--end-lsn", flags->end_lsn,
                  "exit 0 once the stream has passed this LSN, after acknowledging the output");
  cmd->add_option("--batch-size", flags->batch_size, "events per batch at most")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--status-interval-ms", flags->status_interval_ms,
                  "milliseconds between standby status updates")
      ->check(CLI::Range(10, 3600000))
      ->capture_default_str();
  cmd->add_option("--max-batch-latency-ms", flags->max_batch_latency_ms,
                  "hand out a partial batch of an open transaction after this many ms")
      ->check(CLI::Range(0, 3600000))
      ->capture_default_str();
  cmd->add_option("--plugin-option", flags->plugin_options,
                  "extra output-plugin option NAME=VALUE sent with START_REPLICATION (repeatable)");
  cmd->add_option("--output,-o", flags->output_file,
                  "append to FILE (fsynced before acknowledging; on restart, events the file "
                  "already holds are skipped: exactly once) instead of stdout");
  CLI::Option* sink =
      cmd->add_option("--sink", flags->sink_url,
                      "send changes to a sink instead of stdout: redis://HOST:PORT[/DB], "
                      "kafka://HOST:PORT[,HOST:PORT...] or nats://[USER:PASSWORD@]HOST:PORT (NATS "
                      "JetStream; tls:// for TLS); a batch is acknowledged once the sink confirmed "
                      "every write")
          ->excludes("--output");
  flags->kafka.add_to(*cmd, sink);
  flags->nats.add_to(*cmd);
  cmd->add_option("--redis-mode", flags->redis_mode,
                  "invalidate: DEL changed rows' keys; upsert: write rows; refresh: write only rows "
                  "already cached; stream: XADD each change to a Redis Stream")
      ->check(CLI::IsMember({"invalidate", "upsert", "refresh", "stream"}))
      ->capture_default_str()
      ->needs("--sink");
  cmd->add_option("--redis-prefix", flags->redis_prefix,
                  "key prefix: rows are PREFIX:SCHEMA.TABLE:KEY")
      ->capture_default_str()
      ->needs("--sink");
  cmd->add_option("--redis-ttl", flags->redis_ttl,
                  "row expiry, set on write and renewed on refresh: SECONDS or "
                  "TABLE_PATTERN=SECONDS (repeatable; 0 = none)")
      ->needs("--sink");
  cmd->add_option("--redis-format", flags->redis_format,
                  "row value: hash (a field per column) or json (a string)")
      ->check(CLI::IsMember({"hash", "json"}))
      ->capture_default_str()
      ->needs("--sink");
  cmd->add_option("--redis-stream-key", flags->redis_stream_key,
                  "stream mode: one stream for all tables (default: one per table, "
                  "PREFIX:SCHEMA.TABLE)")
      ->needs("--sink");
  cmd->add_option("--redis-key-columns", flags->redis_key_columns,
                  "TABLE_PATTERN=COLUMN[,COLUMN]: key rows by these columns (repeatable; default: "
                  "the primary key / replica identity)")
      ->needs("--sink");
  cmd->add_option("--format", flags->format,
                  "event format of stdout, --output and the Redis stream mode: sabot (sabot-cdc's "
                  "JSON) or debezium (Debezium's PostgreSQL envelope, README \"Debezium format\")")
      ->check(CLI::IsMember({"sabot", "debezium"}))
      ->capture_default_str();
  cmd->add_option("--debezium-name", flags->debezium_name,
                  "debezium format: source.name (Debezium's topic.prefix)")
      ->capture_default_str();
  cmd->add_option("--debezium-database", flags->debezium_database,
                  "debezium format: source.db (default: the database the connection uses)");
  cmd->add_flag("--debezium-transaction-metadata", flags->debezium_transaction_metadata,
                "debezium format: a \"transaction\" block in every event and BEGIN / END lines at "
                "transaction boundaries (Debezium's provide.transaction.metadata)");
  cmd->add_option("--heartbeat-ms", flags->heartbeat_ms,
                  "write a heartbeat message every N ms so an idle database's slot advances "
                  "(0 = off)")
      ->check(CLI::Range(0, 86400000))
      ->capture_default_str();
  cmd->add_flag("--no-reconnect", flags->no_reconnect,
                "exit on a lost connection instead of reconnecting");
  cmd->add_option("--reconnect-max-ms", flags->reconnect_max_ms,
                  "longest wait between reconnect attempts (exponential backoff with jitter)")
      ->check(CLI::Range(10, 3600000))
      ->capture_default_str();
  cmd->add_option("--reconnect-attempts", flags->reconnect_attempts,
                  "give up after N failed reconnect attempts in a row (0 = never)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd->add_option("--sink-retry-max-ms", flags->sink_retry_max_ms,
                  "longest wait between attempts to deliver to a sink that is down (exponential "
                  "backoff with jitter; the stream pauses meanwhile)")
      ->check(CLI::Range(10, 3600000))
      ->capture_default_str();
  cmd->add_option("--sink-retry-attempts", flags->sink_retry_attempts,
                  "give up (exit 1) when delivery still fails after N retries in a row (0 = retry forever)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd->add_option("--spill-dir", flags->spill_dir,
                  "pgoutput: where streamed transactions beyond the memory limit spill (default: "
                  "$TMPDIR/sabot-cdc-spill/SYSTEMID-SLOT)");
  cmd->add_option("--memory-limit-mb", flags->memory_limit_mb,
                  "pgoutput: MB of streamed transactions held in memory before spilling")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--status-file", flags->status_file,
                  "where the live position is written for 'sabot-cdc status' (default: "
                  "$TMPDIR/sabot-cdc-SLOT.status)");
  cmd->add_option("--metrics-listen", flags->metrics_listen,
                  "serve Prometheus /metrics, /healthz and /readyz on HOST:PORT");
  cmd->add_option("--warn-retained-bytes", flags->warn_retained_bytes,
                  "log a warning when the slot retains more WAL than this many bytes (read every "
                  "5 s; 0 = off)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd->add_option("--log-format", flags->log_format,
                  "text: human-readable lines; json: one JSON object per line (time, level, slot, "
                  "message, fields)")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  cmd->add_option("--log-level", flags->log_level, "debug, info, warning or error")
      ->check(CLI::IsMember({"debug", "info", "warning", "error"}))
      ->capture_default_str();
  cmd->add_option("--snapshot", flags->snapshot,
                  "read the rows that already exist first: never (only changes), initial (read "
                  "every captured table once, as op \"read\" events, while streaming), only "
                  "(read them, then exit 0)")
      ->check(CLI::IsMember({"never", "initial", "only"}))
      ->capture_default_str();
  cmd->add_option("--snapshot-workers", flags->snapshot_workers,
                  "connections reading chunks of tables at once (of one table too)")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  cmd->add_option("--snapshot-chunk-rows", flags->snapshot_chunk_rows,
                  "rows per chunk (one short REPEATABLE READ transaction each)")
      ->check(CLI::Range(int64_t{1}, int64_t{100000000}))
      ->capture_default_str();
  cmd->add_option("--snapshot-state", flags->snapshot_state,
                  "the snapshot's progress file (default: "
                  "$XDG_STATE_HOME/sabot-cdc/SYSTEMID-SLOT.snapshot, else "
                  "~/.local/state/sabot-cdc/...)");
  cmd->add_flag("--quiet,-q", flags->quiet,
                "no progress line on stderr (shown only when stderr is a terminal that is not "
                "also stdout)");
  cmd->callback([flags, &exit_code] {
    exit_code = run_reporting_errors([&] { return run_stream(*flags); });
  });
}

}  // namespace sabot::cli
