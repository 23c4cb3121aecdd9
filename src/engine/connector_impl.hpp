// PostgresCdcConnector::Impl: the composition root. It owns one of each part and wires them:
//
//   session.hpp            ReplicationSession: the current connection, its stream and decoder
//   reconnect_backoff.hpp  ReconnectBackoff: the waits between reconnect attempts
//   feedback_clock.hpp     FeedbackClock: when a standby status update is due, what it reports
//   end_position.hpp       EndPosition: the --end-lsn stop
//   heartbeat.hpp          Heartbeat: the second connection writing heartbeat messages
//   schema_seed.hpp        seed_schemas: the catalog's schemas at the first connect
//
// and keeps what outlives a session: the acknowledgement tracker, the assembler, the schema
// registry and the statistics. connector.cpp holds the public surface and the session lifecycle
// (open, reconnect, close); message_pump.cpp the stream loop (read, parse, decode, report, wait).
//
// Private to the engine layer. Threading: one thread, except stop_requested (any thread).
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/ack_tracker.hpp"
#include "core/transaction_assembler.hpp"
#include "decode/copy_frame.hpp"
#include "engine/end_position.hpp"
#include "engine/feedback_clock.hpp"
#include "engine/heartbeat.hpp"
#include "engine/reconnect_backoff.hpp"
#include "engine/session.hpp"
#include "engine/snapshot_coordinator.hpp"
#include "engine/snapshot_merge.hpp"
#include "sabot/connector.hpp"
#include "sabot/error.hpp"
#include "sabot/metrics.hpp"
#include "sabot/sink.hpp"

namespace sabot {

struct PostgresCdcConnector::Impl {
  using Clock = std::chrono::steady_clock;

  explicit Impl(PostgresCdcConfig cfg);

  void open();
  // wait = false: return nullopt instead of waiting for the server (poll_batch()).
  std::optional<ChangeBatch> next_batch(bool wait = true);
  void keep_alive();
  void close();

  // Session lifecycle (connector.cpp).
  void connect_and_start();
  void drop_session();
  void reconnect_after(const CdcError& error);
  bool sleep_unless_stopped(std::chrono::milliseconds delay);

  // Stream loop (message_pump.cpp).
  std::optional<ChangeBatch> next_batch_or_throw(bool wait);
  ChangeBatch hand_out_ready();
  void publish_snapshot_progress();  // snapshot->progress() into metrics (not null)
  bool pump_one();  // handles one stream message; false when nothing was available
  decode::CopyFrame parse_frame(std::string_view bytes);
  void on_xlogdata(const decode::XLogData& frame);
  void on_keepalive(const decode::PrimaryKeepalive& frame);
  void wait_for_data();
  std::chrono::milliseconds wait_timeout() const;  // until a status, batch or heartbeat is due
  void send_status(bool force, bool reply_now = false);

  bool stopping() const { return stop_requested.load(std::memory_order_relaxed); }
  // Where the decoder's output goes: through the snapshot merge into the assembler.
  decode::DecodeHandler& decode_target() { return merge; }
  void start_snapshots(const engine::ReplicationSession& next);
  void start_snapshots_if_due();

  PostgresCdcConfig config;
  TableFilter filter;
  core::AckTracker acks;
  core::TransactionAssembler assembler;
  std::unique_ptr<engine::ReplicationSession> session;  // null between sessions and when closed
  engine::ReconnectBackoff reconnect;
  engine::FeedbackClock feedback;
  engine::EndPosition end;
  engine::Heartbeat heartbeat;  // borrows config
  StreamStats stats;
  StreamMetrics* metrics = nullptr;  // config.metrics, or null: every update is skipped
  SchemaRegistry schemas;  // as of the newest batch handed out
  // Table snapshots (README "Snapshots"): the workers start only when there is work.
  std::unique_ptr<engine::SnapshotCoordinator> snapshot;
  engine::SnapshotMerge merge;  // borrows assembler and *snapshot
  std::optional<EventPosition> consumer_checkpoint;  // what the sink already holds (run_sink)
  struct SnapshotStart {
    std::string system_id;
    engine::SlotFacts slot;
  };
  std::optional<SnapshotStart> snapshot_start;  // set at the first connect, used at next_batch()
  std::atomic<bool> stop_requested{false};
  bool opened = false;
  bool nap_before_wait = false;  // a message was just read: see wait_for_data()
  unsigned messages_since_status_check = 0;  // see kMessagesPerStatusCheck (message_pump.cpp)
  bool first_session = true;
};

}  // namespace sabot
