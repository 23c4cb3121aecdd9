// The public admin API: a thin owner of one regular connection over the pg layer's queries.
#include "sabot/admin.hpp"

#include "engine/preflight_rules.hpp"
#include "pg/admin.hpp"
#include "pg/ddl_capture.hpp"
#include "pg/pg_connection.hpp"
#include "pg/preflight_facts.hpp"
#include "sabot/error.hpp"

namespace sabot {

struct PostgresAdmin::Impl {
  explicit Impl(const PostgresCdcConfig& config) : conn(config, pg::ConnectionKind::Regular) {}
  pg::PgConnection conn;
};

const char* to_string(PublicationAction action) {
  switch (action) {
    case PublicationAction::Exists:
      return "exists";
    case PublicationAction::Created:
      return "created";
    case PublicationAction::Altered:
      return "updated with newly matching tables";
  }
  return "";
}

std::string ddl_capture_uninstall_sql() { return pg::ddl_capture_uninstall_sql(); }

PostgresAdmin::PostgresAdmin(const PostgresCdcConfig& config)
    : impl_(std::make_unique<Impl>(config)) {}
PostgresAdmin::~PostgresAdmin() = default;
PostgresAdmin::PostgresAdmin(PostgresAdmin&&) noexcept = default;
PostgresAdmin& PostgresAdmin::operator=(PostgresAdmin&&) noexcept = default;

InitReport PostgresAdmin::init(const InitOptions& options) {
  const TableFilter filter(options.tables);  // validates the patterns before touching anything
  if (options.create_slot) validate_slot_name(options.slot);
  check_server_settings();
  InitReport report;
  // The publication before the slot: pgoutput reads it as of each change's time. DDL capture
  // before the slot too, so that every DDL the slot will decode is captured.
  report.publication = ensure_publication(options.publication, filter);
  report.ddl_capture = options.install_ddl_capture
                           ? install_ddl_capture()
                           : DdlCaptureResult{DdlCaptureOutcome::Skipped, ""};
  if (options.create_slot) report.slot_created = ensure_slot(options.slot, options.plugin);
  return report;
}

PreflightReport PostgresAdmin::check(const PreflightOptions& options) {
  const TableFilter filter(options.tables);
  pg::PgConnection& conn = impl_->conn;
  engine::PreflightFacts facts;
  facts.server = pg::read_server_facts(conn);
  facts.tables = pg::read_table_facts(conn, filter);
  if (options.plugin == Plugin::Pgoutput) {
    facts.publication = pg::read_publication(conn, options.publication);
  }
  facts.ddl_capture = pg::ddl_capture_state(conn);
  facts.slots = pg::list_slots(conn);
  facts.database = pg::current_database(conn);
  // pgoutput is built in; wal2json is a server package that may be missing. Loading it needs a
  // slot, so only when the stream's own slot does not already prove it.
  const auto own = pg::find_slot(conn, options.slot);
  if (options.plugin == Plugin::Wal2json && !own && facts.server.wal_level == "logical") {
    try {
      pg::probe_plugin(conn, options.plugin);
    } catch (const CdcError& e) {
      if (e.kind() == ErrorKind::MissingPlugin) facts.plugin_problem = e.what();
    }
  }
  return engine::judge_preflight(facts, options);
}

void PostgresAdmin::check_server_settings() { pg::check_server_settings(impl_->conn); }

PublicationAction PostgresAdmin::ensure_publication(const std::string& name,
                                                    const TableFilter& filter) {
  return pg::ensure_publication(impl_->conn, name, filter);
}

bool PostgresAdmin::publication_exists(const std::string& name) {
  return pg::publication_exists(impl_->conn, name);
}

std::vector<TableName> PostgresAdmin::matching_tables(const TableFilter& filter) {
  return pg::matching_tables(impl_->conn, filter);
}

bool PostgresAdmin::ensure_slot(const std::string& name, Plugin plugin, bool temporary) {
  return pg::ensure_slot(impl_->conn, name, plugin, temporary);
}

std::vector<SlotInfo> PostgresAdmin::list_slots() { return pg::list_slots(impl_->conn); }

std::optional<SlotInfo> PostgresAdmin::find_slot(const std::string& name) {
  return pg::find_slot(impl_->conn, name);
}

void PostgresAdmin::drop_slot(const std::string& name) { pg::drop_slot(impl_->conn, name); }

std::vector<SlotStatus> PostgresAdmin::slot_status(std::string_view slot) {
  return pg::slot_status(impl_->conn, slot);
}

DdlCaptureState PostgresAdmin::ddl_capture_state() { return pg::ddl_capture_state(impl_->conn); }

DdlCaptureResult PostgresAdmin::install_ddl_capture() {
  return pg::install_ddl_capture(impl_->conn);
}

bool PostgresAdmin::uninstall_ddl_capture() { return pg::uninstall_ddl_capture(impl_->conn); }

std::string PostgresAdmin::current_database() { return pg::current_database(impl_->conn); }

}  // namespace sabot
