// ReplicationSession: one replication connection, from connect to START_REPLICATION, with the
// decoder for what it streams. A reconnect is a new session: nothing of the old one carries over
// (the connector keeps what must survive: acknowledgements, schemas, statistics).
//
// Ownership: owns its connection, the stream over it and the decoder; reads the config and filter
// only while constructing. Destroyed in the order stream, connection, decoder.
// Errors: every step throws a classified sabot::CdcError naming the fix: Connection (retryable)
// or Authentication from connecting, ServerSetting, SlotMissing, SlotInUse, Config, MissingPlugin
// from the checks and START_REPLICATION.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "decode/decode_handler.hpp"
#include "engine/plugin_setup.hpp"
#include "pg/pg_connection.hpp"
#include "pg/replication_stream.hpp"
#include "sabot/config.hpp"
#include "sabot/lsn.hpp"
#include "sabot/table_pattern.hpp"

namespace sabot::engine {

// Before streaming: the server's settings, then the publication (pgoutput reads it as of each
// change's time, so it must exist before the slot), then the slot, created if configured and
// `first_session` (on a reconnect a missing slot was dropped: recreating it would skip changes),
// and not active for another process.
struct SlotFacts {
  bool created = false;               // the slot did not exist and was created now
  std::optional<Lsn> confirmed_flush;  // where it was confirmed up to, when it existed
};
SlotFacts check_slot_and_publication(pg::PgConnection& conn, const PostgresCdcConfig& config,
                                     const TableFilter& filter, bool first_session);

class ReplicationSession {
 public:
  // Connects, runs check_slot_and_publication, IDENTIFY_SYSTEM, and sets up the plugin's decoder
  // spilling under spill_dir().
  ReplicationSession(const PostgresCdcConfig& config, const TableFilter& filter,
                     bool first_session);
  ~ReplicationSession();
  ReplicationSession(const ReplicationSession&) = delete;
  ReplicationSession& operator=(const ReplicationSession&) = delete;

  // START_REPLICATION of `slot` from `position` with the plugin's options.
  void start(std::string_view slot, Lsn position);

  pg::PgConnection& connection() { return *connection_; }
  pg::ReplicationStream& stream() { return *stream_; }
  decode::Decoder& decoder() { return *setup_.decoder; }
  const pg::SystemIdentity& identity() const { return identity_; }
  const SlotFacts& slot_facts() const { return slot_facts_; }
  // config.spill_directory, or $TMPDIR/sabot-cdc-spill/<system id>-<slot>.
  const std::string& spill_dir() const { return spill_dir_; }

 private:
  std::unique_ptr<pg::PgConnection> connection_;
  std::unique_ptr<pg::ReplicationStream> stream_;  // borrows *connection_
  pg::SystemIdentity identity_;
  SlotFacts slot_facts_;
  std::string spill_dir_;
  PluginSetup setup_;
};

}  // namespace sabot::engine
