// The public surface of PostgresCdcConnector and the session lifecycle of its Impl (open,
// reconnect, close). The parts are in their own files (see connector_impl.hpp); the stream loop is
// in message_pump.cpp.
#include "sabot/connector.hpp"

#include <algorithm>
#include <cstdio>
#include <functional>
#include <thread>

#include <fmt/format.h>

#include "engine/connector_impl.hpp"
#include "engine/filter_check.hpp"
#include "engine/schema_seed.hpp"
#include "sabot/log.hpp"

namespace sabot {

namespace {

void log_to_stderr(std::string_view message) {
  std::fprintf(stderr, "sabot-cdc: %s\n", redact_secrets(message).c_str());
}

// The log callback is user code, called from deep inside the stream loop and the reconnect path:
// whatever it throws stops there (a log line is not worth the stream) and goes to stderr instead.
std::function<void(std::string_view)> guarded_log(std::function<void(std::string_view)> log) {
  return [log = std::move(log)](std::string_view message) noexcept {
    try {
      log(message);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "sabot-cdc: the log callback failed (%s) on: %.*s\n", e.what(),
                   static_cast<int>(message.size()), message.data());
    } catch (...) {
      std::fprintf(stderr, "sabot-cdc: the log callback failed (an unknown exception) on: %.*s\n",
                   static_cast<int>(message.size()), message.data());
    }
  };
}

PostgresCdcConfig with_guarded_log(PostgresCdcConfig config) {
  if (!config.log) config.log = log_to_stderr;
  config.log = guarded_log(std::move(config.log));
  return config;
}

// Runs a next_batch() variant; the error that ends the stream is counted and stops the state.
template <typename Call>
std::optional<ChangeBatch> counting_final_error(StreamMetrics* metrics, Call&& call) {
  try {
    return call();
  } catch (const CdcError& e) {
    if (metrics) {
      metrics->count_error(e.kind());
      metrics->set_state(StreamState::Stopped);
    }
    throw;
  }
}

}  // namespace

PostgresCdcConnector::Impl::Impl(PostgresCdcConfig cfg)
    : config(with_guarded_log(std::move(cfg))),
      filter(config.tables),
      assembler(core::BatchLimits{config.batch_size, config.max_batch_bytes}, filter, acks),
      reconnect(config.reconnect),
      feedback(config.status_interval),
      end(config.end_lsn),
      heartbeat(config),
      snapshot(std::make_unique<engine::SnapshotCoordinator>(config, filter)),
      merge(assembler, *snapshot, config.slot_name) {
  metrics = config.metrics.get();
}

// ---- session ------------------------------------------------------------------------------------

void PostgresCdcConnector::Impl::connect_and_start() {
  auto next = std::make_unique<engine::ReplicationSession>(config, filter, first_session);
  assembler.set_overflow_directory(next->spill_dir() + "/ready");
  if (first_session) {
    const std::string warning = engine::unmatched_patterns_warning(
        engine::patterns_matching_no_table(next->connection(), filter));
    if (!warning.empty()) config.log(warning);
    engine::seed_schemas(next->connection(), filter, next->identity().xlog_position, schemas);
    start_snapshots(*next);
  }
  // Resume after what was acknowledged; the server never goes back before its confirmed position.
  const Lsn start = std::max(config.start_lsn.value_or(Lsn()), acks.watermark());
  next->start(config.slot_name, start);
  session = std::move(next);
  if (metrics) metrics->set_state(StreamState::Streaming);
  feedback.restart(Clock::now());
  first_session = false;
}

// What of a snapshot's progress is durable: reads before the slot's confirmed position (reads sit
// one before their watermark's LSN, which their acknowledgement confirms: see SnapshotMerge), or
// in the sink's checkpoint.
// Started at the first next_batch(), once run_sink() said what the sink holds.
void PostgresCdcConnector::Impl::start_snapshots(const engine::ReplicationSession& next) {
  snapshot_start = SnapshotStart{next.identity().system_id, next.slot_facts()};
}

void PostgresCdcConnector::Impl::start_snapshots_if_due() {
  if (!snapshot_start) return;
  const SnapshotStart start = std::move(*snapshot_start);
  snapshot_start.reset();
  const engine::SlotFacts& slot = start.slot;
  EventPosition durable;
  if (!slot.created && slot.confirmed_flush && slot.confirmed_flush->value() > 0) {
    durable = EventPosition{Lsn(slot.confirmed_flush->value() - 1), UINT32_MAX};
  }
  if (!slot.created && consumer_checkpoint && durable < *consumer_checkpoint) {
    durable = *consumer_checkpoint;
  }
  snapshot->start(start.system_id, durable, slot.created);
}

void PostgresCdcConnector::Impl::drop_session() {
  merge.reset();
  snapshot->rewind();
  session.reset();
  // Whatever was decoded but not acknowledged comes again from the server.
  assembler.reset();
  acks.reset_pending();
}

bool PostgresCdcConnector::Impl::sleep_unless_stopped(std::chrono::milliseconds delay) {
  const auto until = Clock::now() + delay;
  while (Clock::now() < until) {
    if (stopping()) return false;
    std::this_thread::sleep_for(std::min<Clock::duration>(std::chrono::milliseconds(50),
                                                          until - Clock::now()));
  }
  return !stopping();
}

void PostgresCdcConnector::Impl::reconnect_after(const CdcError& error) {
  if (!reconnect.applies_to(error)) throw error;
  drop_session();
  if (metrics) {
    metrics->count_error(error.kind());
    metrics->set_state(StreamState::Reconnecting);
  }
  reconnect.restart();
  for (int attempt = 1;; ++attempt) {
    if (metrics) metrics->reconnects.fetch_add(1, std::memory_order_relaxed);
    const auto wait = reconnect.next_wait();
    config.log(fmt::format("{}; reconnecting in {} ms (attempt {}), resuming after {}",
                           error.what(), wait.count(), attempt, acks.watermark().to_string()));
    if (!sleep_unless_stopped(wait)) return;
    try {
      connect_and_start();
      config.log(fmt::format("reconnected to slot \"{}\"", config.slot_name));
      return;
    } catch (const CdcError& again) {
      drop_session();
      if (!reconnect.retry_after(again, attempt)) throw;  // counted by next_batch()
      if (metrics) metrics->count_error(again.kind());
    }
  }
}

void PostgresCdcConnector::Impl::open() {
  if (opened) return;
  validate_slot_name(config.slot_name);
  if (config.batch_size == 0) throw CdcError(ErrorKind::Config, "batch_size must be at least 1");
  if (config.wal2json_format_version != 1 && config.wal2json_format_version != 2) {
    throw CdcError(ErrorKind::Config, "wal2json format version must be 1 or 2");
  }
  connect_and_start();
  opened = true;
}

std::optional<ChangeBatch> PostgresCdcConnector::Impl::next_batch(bool wait) {
  open();
  start_snapshots_if_due();
  while (true) {
    try {
      if (!session) return std::nullopt;  // stopped while reconnecting
      return next_batch_or_throw(wait);
    } catch (const CdcError& e) {
      if (stopping()) return std::nullopt;
      reconnect_after(e);
    }
  }
}

void PostgresCdcConnector::Impl::close() {
  if (!opened) return;
  opened = false;
  if (session && session->stream().started()) {
    try {
      send_status(/*force=*/true);
      session->stream().finish();
    } catch (const CdcError&) {
      // The connection is already gone; the server keeps the last position it received.
    }
  }
  session.reset();
  heartbeat.close();
  if (metrics) metrics->set_state(StreamState::Stopped);
}

// ---- public surface -----------------------------------------------------------------------------

PostgresCdcConnector::PostgresCdcConnector(PostgresCdcConfig config)
    : impl_(std::make_unique<Impl>(std::move(config))) {}

PostgresCdcConnector::~PostgresCdcConnector() {
  try {
    close();
  } catch (...) {
  }
}

void PostgresCdcConnector::open() { impl_->open(); }
std::optional<ChangeBatch> PostgresCdcConnector::next_batch() {
  return counting_final_error(impl_->metrics, [&] { return impl_->next_batch(); });
}
std::optional<ChangeBatch> PostgresCdcConnector::poll_batch() {
  return counting_final_error(impl_->metrics, [&] { return impl_->next_batch(/*wait=*/false); });
}
bool PostgresCdcConnector::stop_requested() const { return impl_->stopping(); }
void PostgresCdcConnector::keep_alive() { impl_->keep_alive(); }
void PostgresCdcConnector::acknowledge(const ChangeBatch& batch) {
  acknowledge(batch.batch_id);
  // Time behind source: the transaction is delivered once its last batch is acknowledged.
  if (impl_->metrics && batch.last_in_transaction && batch.commit_time != Timestamp{}) {
    const auto behind = std::chrono::system_clock::now() - batch.commit_time;
    impl_->metrics->delivery_seconds.observe(std::chrono::duration<double>(behind).count());
  }
}
void PostgresCdcConnector::acknowledge(uint64_t batch_id) {
  impl_->acks.acknowledge(batch_id);
  impl_->snapshot->acknowledged(batch_id);
  if (StreamMetrics* m = impl_->metrics) {
    uint64_t in_flight = m->in_flight_batches.load(std::memory_order_relaxed);
    while (in_flight > 0 && !m->in_flight_batches.compare_exchange_weak(in_flight, in_flight - 1)) {
    }
  }
}
void PostgresCdcConnector::request_stop() noexcept {
  impl_->stop_requested.store(true, std::memory_order_relaxed);
}
void PostgresCdcConnector::close() { impl_->close(); }
std::string PostgresCdcConnector::request_snapshot(const std::vector<std::string>& patterns) {
  return engine::write_snapshot_request(impl_->config, patterns);
}
std::vector<PostgresCdcConnector::SnapshotProgress> PostgresCdcConnector::snapshot_progress()
    const {
  std::vector<SnapshotProgress> tables;
  for (const engine::SnapshotTableProgress& t : impl_->snapshot->progress()) {
    tables.push_back(SnapshotProgress{t.table, t.rows_done, t.rows_estimated, t.done});
  }
  return tables;
}
void PostgresCdcConnector::set_consumer_checkpoint(Lsn commit_lsn, uint32_t seq) {
  impl_->consumer_checkpoint = EventPosition{commit_lsn, seq};
}
const StreamStats& PostgresCdcConnector::stats() const { return impl_->stats; }
const PostgresCdcConfig& PostgresCdcConnector::config() const { return impl_->config; }
std::shared_ptr<const TableSchema> PostgresCdcConnector::table_schema(std::string_view schema,
                                                                      std::string_view table) const {
  return impl_->schemas.find(schema, table);
}
const SchemaRegistry& PostgresCdcConnector::schemas() const { return impl_->schemas; }

PostgresCdcConnector::BatchRange PostgresCdcConnector::stream_batches() {
  return BatchRange(*this);
}

void PostgresCdcConnector::BatchRange::advance() {
  if (current_) connector_.acknowledge(*current_);
  current_ = connector_.next_batch();
}

}  // namespace sabot
