// The connector's stream loop: hand out ready batches; otherwise read one CopyData message,
// parse its frame (decode/copy_frame.hpp), decode XLogData into the assembler or take a
// keepalive's WAL end, report positions when due, and wait for the socket in between.
#include <algorithm>
#include <chrono>
#include <thread>
#include <variant>

#include <fmt/format.h>

#include "engine/connector_impl.hpp"

namespace sabot {

namespace {

// How long the socket must stay empty before the stream counts as caught up (see wait_for_data).
constexpr std::chrono::milliseconds kIdleBeforeReport{10};
// How long a draining stream sleeps when the socket runs dry, before looking again.
constexpr std::chrono::microseconds kDrainNap{100};
// How long the stream waits at a time for a snapshot worker's next rows.
constexpr std::chrono::milliseconds kSnapshotWait{50};
// While messages keep coming, whether a periodic status update is due (a clock read) is asked
// once per this many messages, not after each one; a stream that runs dry asks at once.
constexpr unsigned kMessagesPerStatusCheck = 64;

}  // namespace

ChangeBatch PostgresCdcConnector::Impl::hand_out_ready() {
  ChangeBatch batch = assembler.take_ready();
  for (const ChangeEvent& event : batch.events) schemas.apply(event);
  if (batch.from_snapshot) {
    snapshot->batch_handed_out(batch);
    if (metrics) publish_snapshot_progress();
  }
  ++stats.batches;
  stats.events += batch.events.size();
  if (batch.last_in_transaction) ++stats.transactions;
  stats.last_commit_time = batch.commit_time;
  if (metrics) {
    metrics->events.fetch_add(batch.events.size(), std::memory_order_relaxed);
    metrics->batches.fetch_add(1, std::memory_order_relaxed);
    if (batch.last_in_transaction) metrics->transactions.fetch_add(1, std::memory_order_relaxed);
    metrics->in_flight_batches.fetch_add(1, std::memory_order_relaxed);
    metrics->batch_events.observe(static_cast<double>(batch.events.size()));
  }
  return batch;
}

void PostgresCdcConnector::Impl::publish_snapshot_progress() {
  std::vector<StreamMetrics::SnapshotTable> tables;
  for (const engine::SnapshotTableProgress& t : snapshot->progress()) {
    tables.push_back({t.table, t.rows_done, t.rows_estimated});
  }
  metrics->set_snapshot_tables(std::move(tables));
}

std::optional<ChangeBatch> PostgresCdcConnector::Impl::next_batch_or_throw(bool wait) {
  while (true) {
    if (assembler.has_ready()) return hand_out_ready();
    if (end.reached() || stopping()) return std::nullopt;
    snapshot->rethrow_failure();
    if (merge.emitting()) {
      // A chunk's rows are delivered at its high watermark, before anything after it is read.
      merge.emit_some(kSnapshotWait);
      send_status(/*force=*/false);
      continue;
    }
    if (config.snapshot == SnapshotMode::Only && !assembler.in_transaction() &&
        snapshot->finished()) {
      return std::nullopt;  // --snapshot only: the tables are read and handed out
    }
    if (pump_one()) {
      nap_before_wait = true;
      if (++messages_since_status_check >= kMessagesPerStatusCheck) {
        messages_since_status_check = 0;
        send_status(/*force=*/false);
      }
      continue;
    }
    if (assembler.flush_if_older_than(config.max_batch_latency, Clock::now())) continue;
    send_status(/*force=*/false);
    if (!wait) return std::nullopt;
    wait_for_data();
  }
}

void PostgresCdcConnector::Impl::keep_alive() {
  if (session && session->stream().started()) send_status(/*force=*/false);
}

bool PostgresCdcConnector::Impl::pump_one() {
  const pg::StreamRead read = session->stream().read();
  switch (read.kind) {
    case pg::StreamRead::Kind::Frame: {
      const decode::CopyFrame frame = parse_frame(read.frame);
      if (const auto* xlogdata = std::get_if<decode::XLogData>(&frame)) {
        session->stream().note_position(xlogdata->wal_start);
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

// The stream hands up raw CopyData; a malformed frame is a protocol error at the stream's position.
decode::CopyFrame PostgresCdcConnector::Impl::parse_frame(std::string_view bytes) {
  try {
    return decode::parse_copy_frame(bytes);
  } catch (const CdcError& e) {
    const Lsn after = session->stream().last_position();
    throw CdcError(ErrorKind::Protocol,
                   fmt::format("{} (after position {})", e.what(), after.to_string()), "", after);
  }
}

void PostgresCdcConnector::Impl::on_xlogdata(const decode::XLogData& frame) {
  if (end.stops_before(frame.wal_start, assembler.in_transaction())) {
    return;  // not decoded: a later run starts here
  }
  stats.bytes_received += frame.data.size();
  stats.received_lsn = std::max(stats.received_lsn, frame.wal_start);
  if (metrics) {
    metrics->bytes_received.fetch_add(frame.data.size(), std::memory_order_relaxed);
    metrics->received_lsn.store(stats.received_lsn.value(), std::memory_order_relaxed);
  }
  try {
    session->decoder().decode(frame.data, frame.wal_start, decode_target());
  } catch (const CdcError& e) {
    if (e.kind() != ErrorKind::Protocol) throw;
    throw CdcError(ErrorKind::Protocol,
                   fmt::format("cannot decode the {} message at LSN {}: {}. Nothing after {} is "
                               "confirmed to the server: once the cause is fixed, the stream "
                               "resumes there",
                               to_string(config.plugin), frame.wal_start.to_string(), e.what(),
                               acks.watermark().to_string()),
                   e.sqlstate(), frame.wal_start);
  }
  if (metrics) {
    metrics->events_filtered.store(assembler.filtered_events(), std::memory_order_relaxed);
  }
  // A commit at or past the end position: everything up to it has been decoded.
  end.after_decoded(frame.wal_start, assembler.in_transaction());
  feedback.heard_from_server();
}

void PostgresCdcConnector::Impl::on_keepalive(const decode::PrimaryKeepalive& frame) {
  stats.received_lsn = std::max(stats.received_lsn, frame.wal_end);
  if (metrics) metrics->received_lsn.store(stats.received_lsn.value(), std::memory_order_relaxed);
  acks.advance_if_idle(frame.wal_end);
  feedback.heard_from_server();
  end.after_keepalive(frame.wal_end, assembler.in_transaction(), assembler.has_ready());
  if (frame.reply_requested) send_status(/*force=*/true);
}

void PostgresCdcConnector::Impl::send_status(bool force, bool reply_now) {
  const Clock::time_point now = Clock::now();
  const Lsn flush = acks.watermark();
  if (!force && !feedback.periodic_due(now)) return;
  const auto report = engine::FeedbackClock::positions(stats.received_lsn, flush);
  session->stream().send_status(report.write, report.flush, report.apply, reply_now);
  feedback.sent(flush, now);
  stats.flushed_lsn = flush;
  if (metrics) metrics->confirmed_lsn.store(flush.value(), std::memory_order_relaxed);
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
  if (session->stream().wait_readable(std::min(kIdleBeforeReport, wait_timeout()))) return;
  // A caught-up stream confirms new acknowledgements at once; a busy one every status_interval.
  if (feedback.unsent_acknowledgement(acks.watermark())) send_status(/*force=*/true);
  // Waiting for an end position with nothing in flight: ask the server where it is (it answers
  // with a keepalive carrying its WAL end) instead of waiting for new WAL to prompt one.
  if (end.needs_server_position(assembler.in_transaction()) && !feedback.ping_outstanding()) {
    send_status(/*force=*/true, /*reply_now=*/true);
    feedback.ping_sent();
  }
  heartbeat.emit_if_due(Clock::now());
  session->stream().wait_readable(wait_timeout());
}

std::chrono::milliseconds PostgresCdcConnector::Impl::wait_timeout() const {
  const Clock::time_point now = Clock::now();
  auto timeout = feedback.until_periodic(now);
  if (auto since = assembler.pending_since()) {
    timeout = std::min<Clock::duration>(timeout, *since + config.max_batch_latency - now);
  }
  if (heartbeat.enabled()) timeout = std::min(timeout, heartbeat.until_due(now));
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(timeout);
  return std::clamp(ms, std::chrono::milliseconds(0), std::chrono::milliseconds(1000));
}

}  // namespace sabot
