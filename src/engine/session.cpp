#include "engine/session.hpp"

#include <cstdlib>

#include <fmt/format.h>

#include "pg/admin.hpp"
#include "sabot/error.hpp"

namespace sabot::engine {

namespace {

std::string default_spill_dir(const std::string& system_id, const std::string& slot) {
  const char* tmp = std::getenv("TMPDIR");
  return fmt::format("{}/sabot-cdc-spill/{}-{}", tmp && *tmp ? tmp : "/tmp", system_id, slot);
}

void check_publication(pg::PgConnection& conn, const PostgresCdcConfig& config,
                       const TableFilter& filter) {
  if (config.create_publication_if_missing) {
    pg::ensure_publication(conn, config.publication_name, filter);
  } else if (!pg::publication_exists(conn, config.publication_name)) {
    throw CdcError(ErrorKind::Config,
                   fmt::format("publication \"{}\" does not exist. Create it with 'sabot-cdc "
                               "init --publication {}' or pass --create-slot",
                               config.publication_name, config.publication_name));
  }
}

}  // namespace

SlotFacts check_slot_and_publication(pg::PgConnection& conn, const PostgresCdcConfig& config,
                                     const TableFilter& filter, bool first_session) {
  pg::check_server_settings(conn);
  auto slot = pg::find_slot(conn, config.slot_name);
  if (!slot && (!config.create_slot_if_missing || !first_session)) {
    throw CdcError(ErrorKind::SlotMissing,
                   fmt::format("replication slot \"{}\" does not exist{}. Create it with "
                               "'sabot-cdc init --slot {}' or pass --create-slot",
                               config.slot_name, first_session ? "" : " any more (dropped?)",
                               config.slot_name));
  }
  // An invalidated slot lost its WAL: starting it fails, and a reconnect loop would never end.
  if (slot && slot->wal_status == "lost") {
    throw CdcError(ErrorKind::SlotInvalidated,
                   fmt::format("replication slot \"{}\" has been invalidated (wal_status 'lost', "
                               "confirmed up to {}). {}",
                               config.slot_name,
                               slot->confirmed_flush_lsn ? slot->confirmed_flush_lsn->to_string()
                                                         : std::string("an unknown position"),
                               pg::slot_invalidated_advice()));
  }
  // The publication before the slot: pgoutput reads it as of each change's time.
  if (config.plugin == Plugin::Pgoutput) check_publication(conn, config, filter);
  pg::ensure_slot(conn, config.slot_name, config.plugin, config.temporary_slot);  // or checks fit
  if (slot && slot->active) {
    throw CdcError(ErrorKind::SlotInUse,
                   fmt::format("replication slot \"{}\" is already active for PID {}: another "
                               "consumer is streaming from it. Stop that process, or use another "
                               "slot (see 'sabot-cdc slots')",
                               config.slot_name, slot->active_pid.value_or(0)));
  }
  SlotFacts facts;
  facts.created = !slot.has_value();
  if (slot) facts.confirmed_flush = slot->confirmed_flush_lsn;
  return facts;
}

ReplicationSession::ReplicationSession(const PostgresCdcConfig& config, const TableFilter& filter,
                                       bool first_session)
    : connection_(std::make_unique<pg::PgConnection>(config, pg::ConnectionKind::Replication)) {
  slot_facts_ = check_slot_and_publication(*connection_, config, filter, first_session);
  stream_ = std::make_unique<pg::ReplicationStream>(*connection_);
  identity_ = stream_->identify_system();
  spill_dir_ = config.spill_directory.empty()
                   ? default_spill_dir(identity_.system_id, config.slot_name)
                   : config.spill_directory;
  setup_ = make_plugin_setup(config, filter, connection_->server_version(), spill_dir_);
}

ReplicationSession::~ReplicationSession() {
  stream_.reset();
  connection_.reset();
  setup_.decoder.reset();
}

void ReplicationSession::start(std::string_view slot, Lsn position) {
  stream_->start(slot, position, setup_.options);
}

}  // namespace sabot::engine
