#include "sabot/connector.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <thread>
#include <variant>

#include <fmt/format.h>

#include "core/ack_tracker.hpp"
#include "decode/schema_events.hpp"
#include "core/transaction_assembler.hpp"
#include "decode/copy_frame.hpp"
#include "engine/plugin_setup.hpp"
#include "pg/admin.hpp"
#include "pg/ddl_capture.hpp"
#include "pg/pg_connection.hpp"
#include "pg/replication_stream.hpp"
#include "sabot/error.hpp"

namespace sabot {

using Clock = std::chrono::steady_clock;

// How long the socket must stay empty before the stream counts as caught up (see wait_for_data).
constexpr std::chrono::milliseconds kIdleBeforeReport{10};
// How long a draining stream sleeps when the socket runs dry, before looking again.
constexpr std::chrono::microseconds kDrainNap{100};

namespace {

void log_to_stderr(std::string_view message) {
  std::fprintf(stderr, "sabot-cdc: %.*s\n", static_cast<int>(message.size()), message.data());
}

std::string default_spill_dir(const std::string& system_id, const std::string& slot) {
  const char* tmp = std::getenv("TMPDIR");
  return fmt::format("{}/sabot-cdc-spill/{}-{}", tmp && *tmp ? tmp : "/tmp", system_id, slot);
}

}  // namespace

struct PostgresCdcConnector::Impl {
  explicit Impl(PostgresCdcConfig cfg)
      : config(std::move(cfg)),
        filter(config.tables),
        assembler(core::BatchLimits{config.batch_size, config.max_batch_bytes}, filter, acks) {
    if (!config.log) config.log = log_to_stderr;
  }

  void open();
  std::optional<ChangeBatch> next_batch();
  void close();

  // Session: one connection and START_REPLICATION.
  void connect_and_start();
  void drop_session();
  void check_slot_and_publication();
  void seed_schemas(Lsn position);
  void reconnect_after(const CdcError& error);
  bool sleep_unless_stopped(std::chrono::milliseconds delay);

  // Stream loop.
  std::optional<ChangeBatch> next_batch_or_throw();
  bool pump_one();  // handles one stream message; false when nothing was available
  void wait_for_data();
  std::chrono::milliseconds wait_timeout() const;  // until a status, batch or heartbeat is due
  void send_status(bool force, bool reply_now = false);
  bool xlog_is_past_end(Lsn wal_start) const;
  decode::CopyFrame parse_frame(std::string_view bytes) const;
  void on_xlogdata(const decode::XLogData& msg);
  void on_keepalive(const decode::PrimaryKeepalive& msg);
  void heartbeat_if_due();
  bool stopping() const { return stop_requested.load(std::memory_order_relaxed); }

  PostgresCdcConfig config;
  TableFilter filter;
  core::AckTracker acks;
  core::TransactionAssembler assembler;
  std::unique_ptr<pg::PgConnection> conn;
  std::unique_ptr<pg::ReplicationStream> stream;
  std::unique_ptr<decode::Decoder> decoder;
  std::unique_ptr<pg::PgConnection> heartbeat_conn;
  StreamStats stats;
  SchemaRegistry schemas;  // as of the newest batch handed out
  std::atomic<bool> stop_requested{false};
  bool opened = false;
  bool end_reached = false;
  bool awaiting_ping_reply = false;
  bool nap_before_wait = false;  // a message was just read: see wait_for_data()
  bool first_session = true;
  Lsn last_sent_flush;
  Clock::time_point last_status_time{};
  Clock::time_point last_heartbeat{};
  std::minstd_rand jitter_rng{std::random_device{}()};
};

// ---- session ------------------------------------------------------------------------------------

void PostgresCdcConnector::Impl::check_slot_and_publication() {
  pg::check_server_settings(*conn);
  auto slot = pg::find_slot(*conn, config.slot_name);
  if (!slot && (!config.create_slot_if_missing || !first_session)) {
    throw CdcError(ErrorKind::SlotMissing,
                   fmt::format("replication slot \"{}\" does not exist{}. Create it with "
                               "'sabot-cdc init --slot {}' or pass --create-slot",
                               config.slot_name, first_session ? "" : " any more (dropped?)",
                               config.slot_name));
  }
  // The publication before the slot: pgoutput reads it as of each change's time.
  if (config.plugin == Plugin::Pgoutput) {
    if (config.create_publication_if_missing) {
      pg::ensure_publication(*conn, config.publication_name, filter);
    } else if (!pg::publication_exists(*conn, config.publication_name)) {
      throw CdcError(ErrorKind::Config,
                     fmt::format("publication \"{}\" does not exist. Create it with 'sabot-cdc "
                                 "init --publication {}' or pass --create-slot",
                                 config.publication_name, config.publication_name));
    }
  }
  pg::ensure_slot(*conn, config.slot_name, config.plugin, config.temporary_slot);  // or checks fit
  if (slot && slot->active) {
    throw CdcError(ErrorKind::SlotInUse,
                   fmt::format("replication slot \"{}\" is already active for PID {}: another "
                               "consumer is streaming from it. Stop that process, or use another "
                               "slot (see 'sabot-cdc slots')",
                               config.slot_name, slot->active_pid.value_or(0)));
  }
}

void PostgresCdcConnector::Impl::connect_and_start() {
  conn = std::make_unique<pg::PgConnection>(config, pg::ConnectionKind::Replication);
  check_slot_and_publication();
  stream = std::make_unique<pg::ReplicationStream>(*conn);
  const pg::SystemIdentity identity = stream->identify_system();
  const std::string spill_dir = config.spill_directory.empty()
                                    ? default_spill_dir(identity.system_id, config.slot_name)
                                    : config.spill_directory;
  auto setup = engine::make_plugin_setup(config, filter, conn->server_version(), spill_dir);
  assembler.set_overflow_directory(spill_dir + "/ready");
  decoder = std::move(setup.decoder);
  if (first_session) seed_schemas(identity.xlog_position);
  // Resume after what was acknowledged; the server never goes back before its confirmed position.
  const Lsn start = std::max(config.start_lsn.value_or(Lsn()), acks.watermark());
  stream->start(config.slot_name, start, setup.options);
  last_status_time = Clock::now();
  awaiting_ping_reply = false;
  first_session = false;
}

// The catalog's schemas of the captured tables; schema_change events update them from then on.
// Only at the first connect: later the registry already holds what was handed out.
void PostgresCdcConnector::Impl::seed_schemas(Lsn position) {
  for (const std::string& document : pg::read_table_schema_documents(*conn)) {
    decode::DdlDescription description = decode::parse_ddl_description(document);
    if (!filter.matches(description.schema->schema, description.schema->table)) continue;
    auto schema = std::const_pointer_cast<TableSchema>(description.schema);
    schema->lsn = position;
    schemas.put(std::move(schema));
  }
}

void PostgresCdcConnector::Impl::drop_session() {
  stream.reset();
  conn.reset();
  decoder.reset();
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
  if (!config.reconnect.enabled || !error.retryable()) throw error;
  drop_session();
  auto delay = config.reconnect.initial_delay;
  for (int attempt = 1;; ++attempt) {
    std::uniform_real_distribution<double> jitter(0.75, 1.25);
    const auto wait = std::chrono::milliseconds(
        static_cast<int64_t>(static_cast<double>(delay.count()) * jitter(jitter_rng)));
    config.log(fmt::format("{}; reconnecting in {} ms (attempt {}), resuming after {}",
                           error.what(), wait.count(), attempt, acks.watermark().to_string()));
    if (!sleep_unless_stopped(wait)) return;
    try {
      connect_and_start();
      config.log(fmt::format("reconnected to slot \"{}\"", config.slot_name));
      return;
    } catch (const CdcError& again) {
      drop_session();
      const bool out_of_attempts =
          config.reconnect.max_attempts > 0 && attempt >= config.reconnect.max_attempts;
      if (!again.retryable() || out_of_attempts) throw;
      delay = std::min(delay * 2, config.reconnect.max_delay);
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

// ---- stream loop --------------------------------------------------------------------------------

bool PostgresCdcConnector::Impl::xlog_is_past_end(Lsn wal_start) const {
  return config.end_lsn && !assembler.in_transaction() && wal_start > *config.end_lsn;
}

void PostgresCdcConnector::Impl::on_xlogdata(const decode::XLogData& msg) {
  if (xlog_is_past_end(msg.wal_start)) {
    end_reached = true;  // not decoded: a later run starts here
    return;
  }
  stats.bytes_received += msg.data.size();
  stats.received_lsn = std::max(stats.received_lsn, msg.wal_start);
  try {
    decoder->decode(msg.data, msg.wal_start, assembler);
  } catch (const CdcError& e) {
    if (e.kind() != ErrorKind::Protocol) throw;
    throw CdcError(ErrorKind::Protocol,
                   fmt::format("cannot decode the {} message at LSN {}: {}. Nothing after {} is "
                               "confirmed to the server: once the cause is fixed, the stream "
                               "resumes there",
                               to_string(config.plugin), msg.wal_start.to_string(), e.what(),
                               acks.watermark().to_string()));
  }
  // A commit at or past the end position: everything up to it has been decoded.
  if (config.end_lsn && !assembler.in_transaction() && msg.wal_start >= *config.end_lsn) {
    end_reached = true;
  }
  awaiting_ping_reply = false;
}

void PostgresCdcConnector::Impl::on_keepalive(const decode::PrimaryKeepalive& msg) {
  stats.received_lsn = std::max(stats.received_lsn, msg.wal_end);
  acks.advance_if_idle(msg.wal_end);
  awaiting_ping_reply = false;
  if (config.end_lsn && msg.wal_end >= *config.end_lsn && !assembler.in_transaction() &&
      !assembler.has_ready()) {
    end_reached = true;
  }
  if (msg.reply_requested) send_status(/*force=*/true);
}

// The stream hands up raw CopyData; a malformed frame is a protocol error at the stream's position.
decode::CopyFrame PostgresCdcConnector::Impl::parse_frame(std::string_view bytes) const {
  try {
    return decode::parse_copy_frame(bytes);
  } catch (const CdcError& e) {
    const Lsn after = stream->last_position();
    throw CdcError(ErrorKind::Protocol,
                   fmt::format("{} (after position {})", e.what(), after.to_string()), "", after);
  }
}

bool PostgresCdcConnector::Impl::pump_one() {
  const pg::StreamRead read = stream->read();
  switch (read.kind) {
    case pg::StreamRead::Kind::Frame: {
      const decode::CopyFrame frame = parse_frame(read.frame);
      if (const auto* xlogdata = std::get_if<decode::XLogData>(&frame)) {
        stream->note_position(xlogdata->wal_start);
        on_xlogdata(*xlogdata);
      } else {
        on_keepalive(std::get<decode::PrimaryKeepalive>(frame));
      }
      return true;
    }
    case pg::StreamRead::Kind::WouldBlock:
      return false;
    case pg::StreamRead::Kind::Ended:
      throw CdcError(ErrorKind::Connection,
                     fmt::format("the server ended the replication stream of slot \"{}\" at {}",
                                 config.slot_name, stats.received_lsn.to_string()));
  }
  return false;
}

void PostgresCdcConnector::Impl::send_status(bool force, bool reply_now) {
  const Clock::time_point now = Clock::now();
  const Lsn flush = acks.watermark();
  if (!force && now - last_status_time < config.status_interval) return;
  stream->send_status(std::max(stats.received_lsn, flush), flush, flush, reply_now);
  last_status_time = now;
  last_sent_flush = flush;
  stats.flushed_lsn = flush;
}

void PostgresCdcConnector::Impl::heartbeat_if_due() {
  if (config.heartbeat_interval.count() <= 0) return;
  const auto now = Clock::now();
  if (now - last_heartbeat < config.heartbeat_interval) return;
  last_heartbeat = now;
  try {
    if (!heartbeat_conn) {
      heartbeat_conn = std::make_unique<pg::PgConnection>(config, pg::ConnectionKind::Regular);
    }
    heartbeat_conn->exec(
        fmt::format("SELECT pg_logical_emit_message(false, '{}', '')", kHeartbeatPrefix),
        "writing a heartbeat message");
  } catch (const CdcError& e) {
    heartbeat_conn.reset();  // try a fresh connection next time
    config.log(fmt::format("heartbeat failed (will retry): {}", e.what()));
  }
}

void PostgresCdcConnector::Impl::wait_for_data() {
  if (nap_before_wait) {
    // The socket just ran dry mid-stream: while draining, more is a moment away. A short sleep
    // lets many messages arrive per wakeup, where poll() would wake this thread — and make the
    // walsender pay for waking it — for each one. Costs at most kDrainNap of latency.
    nap_before_wait = false;
    std::this_thread::sleep_for(kDrainNap);
    return;
  }
  // Between two messages of a busy walsender the socket is often empty for a moment (thousands of
  // times a second while draining a backlog). Reporting or pinging in every such gap costs the
  // walsender a status message to process and a keepalive to send each time, and slows the
  // stream: only a stream still idle after kIdleBeforeReport counts as caught up.
  if (stream->wait_readable(std::min(kIdleBeforeReport, wait_timeout()))) return;
  // A caught-up stream confirms new acknowledgements at once; a busy one every status_interval.
  if (acks.watermark() > last_sent_flush) send_status(/*force=*/true);
  // Waiting for an end position with nothing in flight: ask the server where it is (it answers
  // with a keepalive carrying its WAL end) instead of waiting for new WAL to prompt one.
  if (config.end_lsn && !assembler.in_transaction() && !awaiting_ping_reply) {
    send_status(/*force=*/true, /*reply_now=*/true);
    awaiting_ping_reply = true;
  }
  heartbeat_if_due();
  stream->wait_readable(wait_timeout());
}

std::chrono::milliseconds PostgresCdcConnector::Impl::wait_timeout() const {
  const Clock::time_point now = Clock::now();
  auto timeout = config.status_interval - (now - last_status_time);
  if (auto since = assembler.pending_since()) {
    timeout = std::min<Clock::duration>(timeout, *since + config.max_batch_latency - now);
  }
  if (config.heartbeat_interval.count() > 0) {
    timeout = std::min<Clock::duration>(timeout, last_heartbeat + config.heartbeat_interval - now);
  }
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(timeout);
  return std::clamp(ms, std::chrono::milliseconds(0), std::chrono::milliseconds(1000));
}

std::optional<ChangeBatch> PostgresCdcConnector::Impl::next_batch_or_throw() {
  while (true) {
    if (assembler.has_ready()) {
      ChangeBatch batch = assembler.take_ready();
      for (const ChangeEvent& event : batch.events) schemas.apply(event);
      ++stats.batches;
      stats.events += batch.events.size();
      if (batch.last_in_transaction) ++stats.transactions;
      stats.last_commit_time = batch.commit_time;
      return batch;
    }
    if (end_reached || stopping()) return std::nullopt;
    if (pump_one()) {
      nap_before_wait = true;
      send_status(/*force=*/false);
      continue;
    }
    if (assembler.flush_if_older_than(config.max_batch_latency, Clock::now())) continue;
    send_status(/*force=*/false);
    wait_for_data();
  }
}

std::optional<ChangeBatch> PostgresCdcConnector::Impl::next_batch() {
  open();
  while (true) {
    try {
      if (!stream) return std::nullopt;  // stopped while reconnecting
      return next_batch_or_throw();
    } catch (const CdcError& e) {
      if (stopping()) return std::nullopt;
      reconnect_after(e);
    }
  }
}

void PostgresCdcConnector::Impl::close() {
  if (!opened) return;
  opened = false;
  if (stream && stream->started()) {
    try {
      send_status(/*force=*/true);
      stream->finish();
    } catch (const CdcError&) {
      // The connection is already gone; the server keeps the last position it received.
    }
  }
  stream.reset();
  conn.reset();
  heartbeat_conn.reset();
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
std::optional<ChangeBatch> PostgresCdcConnector::next_batch() { return impl_->next_batch(); }
void PostgresCdcConnector::acknowledge(const ChangeBatch& batch) { acknowledge(batch.batch_id); }
void PostgresCdcConnector::acknowledge(uint64_t batch_id) { impl_->acks.acknowledge(batch_id); }
void PostgresCdcConnector::request_stop() noexcept {
  impl_->stop_requested.store(true, std::memory_order_relaxed);
}
void PostgresCdcConnector::close() { impl_->close(); }
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
