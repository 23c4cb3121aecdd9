#include "engine/preflight_rules.hpp"

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "base/sql_quote.hpp"

namespace sabot {

const char* to_string(CheckLevel level) {
  switch (level) {
    case CheckLevel::Ok:
      return "ok";
    case CheckLevel::Warning:
      return "warning";
    case CheckLevel::Error:
      return "error";
  }
  return "";
}

CheckLevel PreflightReport::worst() const {
  CheckLevel worst = CheckLevel::Ok;
  for (const CheckItem& item : items) worst = std::max(worst, item.level);
  return worst;
}

namespace engine {

namespace {

using Items = std::vector<CheckItem>;

// Always quoted: a fix is pasted into psql, and a bare keyword or capital would break it.
std::string q(std::string_view name) {
  return base::quote_identifier(name, base::IdentifierQuoting::Always);
}

void add(Items& items, std::string name, CheckLevel level, std::string message,
         std::string fix = "") {
  items.push_back({std::move(name), level, std::move(message), std::move(fix)});
}

std::string qualified(const pg::TableFacts& t) {
  return q(t.schema) + "." + q(t.table);
}

const SlotInfo* find(const std::vector<SlotInfo>& slots, const std::string& name) {
  for (const SlotInfo& s : slots) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

void judge_wal_level(const pg::ServerFacts& s, Items& items) {
  if (s.wal_level == "logical") {
    add(items, "wal_level", CheckLevel::Ok, "wal_level is logical");
  } else {
    add(items, "wal_level", CheckLevel::Error,
        fmt::format("wal_level is '{}': logical decoding needs 'logical'", s.wal_level),
        "ALTER SYSTEM SET wal_level = logical; then restart PostgreSQL");
  }
}

// A limit with no room left stops the stream at its first connect (slots) or reconnect (senders).
void judge_limits(const PreflightFacts& f, const PreflightOptions& o, Items& items) {
  const pg::ServerFacts& s = f.server;
  const bool have_slot = find(f.slots, o.slot) != nullptr;
  const int64_t slots_free = s.max_replication_slots - s.slots_used;
  if (!have_slot && slots_free <= 0) {
    add(items, "max_replication_slots", CheckLevel::Error,
        fmt::format("all {} replication slots are in use and slot \"{}\" does not exist yet",
                    s.max_replication_slots, o.slot),
        "ALTER SYSTEM SET max_replication_slots = " +
            std::to_string(std::max<int64_t>(10, s.max_replication_slots + 4)) +
            "; then restart PostgreSQL, or drop unused slots (sabot-cdc slots drop NAME)");
  } else {
    add(items, "max_replication_slots", CheckLevel::Ok,
        fmt::format("{} of {} slots in use", s.slots_used, s.max_replication_slots));
  }
  // This stream needs a sender of its own unless its slot is already being streamed.
  const int64_t senders_free = s.max_wal_senders - s.wal_senders_used;
  if (senders_free <= 0) {
    add(items, "max_wal_senders", CheckLevel::Error,
        fmt::format("all {} WAL senders are in use (or none is allowed)", s.max_wal_senders),
        "ALTER SYSTEM SET max_wal_senders = " +
            std::to_string(std::max<int64_t>(10, s.max_wal_senders + 4)) +
            "; then restart PostgreSQL, or stop other replication clients");
  } else if (senders_free == 1) {
    add(items, "max_wal_senders", CheckLevel::Warning,
        fmt::format("{} of {} WAL senders in use: this stream takes the last one, so a reconnect "
                    "racing a dying sender, or any other client, is refused",
                    s.wal_senders_used, s.max_wal_senders),
        "ALTER SYSTEM SET max_wal_senders = " + std::to_string(s.max_wal_senders + 4) +
            "; then restart PostgreSQL");
  } else {
    add(items, "max_wal_senders", CheckLevel::Ok,
        fmt::format("{} of {} WAL senders in use", s.wal_senders_used, s.max_wal_senders));
  }
}

void judge_wal_keep(const pg::ServerFacts& s, Items& items) {
  if (s.max_slot_wal_keep_size_mb < 0) {
    add(items, "max_slot_wal_keep_size", CheckLevel::Warning,
        "max_slot_wal_keep_size is unlimited (-1): a stopped or stalled consumer makes the server "
        "keep WAL until its disk is full",
        "alert on retained WAL (sabot-cdc status --warn-retained-bytes, or the metric "
        "sabot_cdc_slot_retained_wal_bytes), or cap it: ALTER SYSTEM SET max_slot_wal_keep_size = "
        "'50GB'; SELECT pg_reload_conf(); (a slot that falls further behind is then invalidated)");
  } else {
    add(items, "max_slot_wal_keep_size", CheckLevel::Ok,
        fmt::format("max_slot_wal_keep_size is {} MB: a slot retaining more is invalidated and "
                    "needs a new slot and snapshot; alert well before that",
                    s.max_slot_wal_keep_size_mb));
  }
}

void judge_sender_timeout(const pg::ServerFacts& s, Items& items) {
  if (s.wal_sender_timeout_ms == 0) {
    add(items, "wal_sender_timeout", CheckLevel::Warning,
        "wal_sender_timeout is 0: a dead client's walsender is never noticed and keeps its slot "
        "active, so a restarted sabot-cdc is refused with 'slot is active'",
        "ALTER SYSTEM SET wal_sender_timeout = '60s'; SELECT pg_reload_conf();");
  } else {
    add(items, "wal_sender_timeout", CheckLevel::Ok,
        fmt::format("wal_sender_timeout is {} ms (sabot-cdc reports its position more often)",
                    s.wal_sender_timeout_ms));
  }
}

void judge_role(const pg::ServerFacts& s, Items& items) {
  if (s.role_replication || s.role_superuser) {
    add(items, "replication_privilege", CheckLevel::Ok,
        fmt::format("role \"{}\" may replicate", s.role));
  } else {
    add(items, "replication_privilege", CheckLevel::Error,
        fmt::format("role \"{}\" lacks the REPLICATION attribute", s.role),
        fmt::format("ALTER ROLE {} REPLICATION;", q(s.role)));
  }
}

void judge_table(const pg::TableFacts& t, Items& items) {
  const std::string name = qualified(t);
  if (!t.can_select) {
    add(items, "select_privilege", CheckLevel::Error,
        fmt::format("table {}: no SELECT privilege (a snapshot and the schema cannot be read)",
                    name),
        fmt::format("GRANT SELECT ON {} TO CURRENT_USER;", name));
  }
  const bool keyless =
      t.replica_identity == 'n' || (t.replica_identity == 'd' && !t.has_primary_key);
  if (keyless) {
    add(items, "replica_identity", CheckLevel::Error,
        fmt::format("table {} has no primary key and no usable replica identity: its updates and "
                    "deletes cannot be keyed (with pgoutput the server even refuses them)",
                    name),
        fmt::format("ALTER TABLE {} ADD PRIMARY KEY (...); or ALTER TABLE {} REPLICA IDENTITY "
                    "USING INDEX <a unique index on NOT NULL columns>; or ALTER TABLE {} REPLICA "
                    "IDENTITY FULL;",
                    name, name, name));
  } else if (t.replica_identity == 'f') {
    add(items, "replica_identity", CheckLevel::Warning,
        fmt::format("table {} is REPLICA IDENTITY FULL: every update and delete writes the whole "
                    "old row to the WAL, and sinks must be told which columns key it "
                    "(--redis-key-columns)",
                    name),
        t.has_primary_key ? fmt::format("ALTER TABLE {} REPLICA IDENTITY DEFAULT;", name) : "");
  }
}

void judge_tables(const PreflightFacts& f, Items& items) {
  if (f.tables.empty()) {
    add(items, "tables", CheckLevel::Warning,
        "no table matches the table filter: the stream will carry no row changes",
        "create the tables, or fix --tables");
    return;
  }
  const size_t before = items.size();
  for (const pg::TableFacts& t : f.tables) judge_table(t, items);
  if (items.size() == before) {
    add(items, "tables", CheckLevel::Ok,
        fmt::format("{} captured tables, each readable and keyed", f.tables.size()));
  }
}

// At most this many table names in one message; the rest are counted.
constexpr size_t kListedTables = 10;

std::string table_list(const std::vector<std::string>& names) {
  std::string list;
  for (size_t i = 0; i < names.size() && i < kListedTables; ++i) {
    list += (i == 0 ? "" : ", ") + names[i];
  }
  if (names.size() > kListedTables) {
    list += fmt::format(" and {} more", names.size() - kListedTables);
  }
  return list;
}

// Published tables the table filter leaves out: pgoutput decodes and sends their changes, and the
// stream drops them (sabot_cdc_events_filtered_total).
std::vector<std::string> published_but_not_captured(const PreflightFacts& f) {
  std::set<std::pair<std::string, std::string>> captured;
  for (const pg::TableFacts& t : f.tables) captured.emplace(t.schema, t.table);
  std::vector<std::string> extra;
  const auto& pub = f.publication;
  for (size_t i = 0; i < pub.tables.size(); ++i) {
    const auto& root = i < pub.roots.size() ? pub.roots[i] : pub.tables[i];
    if (!captured.count(root))
      extra.push_back(q(pub.tables[i].first) + "." + q(pub.tables[i].second));
  }
  return extra;
}

void judge_publication_extras(const PreflightFacts& f, const PreflightOptions& o, Items& items) {
  const std::vector<std::string> extra = published_but_not_captured(f);
  if (extra.empty()) return;
  const std::string message = fmt::format(
      "publication \"{}\" publishes tables the table filter leaves out: {} (their changes are "
      "decoded, sent and dropped)",
      o.publication, table_list(extra));
  if (f.publication.all_tables) {
    add(items, "publication_extra", CheckLevel::Warning, message,
        "widen --tables to capture them, or use a publication of the captured tables only: "
        "sabot-cdc init --publication NEW --slot NEW_SLOT --tables ... (a new publication needs "
        "a new slot)");
    return;
  }
  std::string drop;
  for (const std::string& name : extra) drop += (drop.empty() ? "" : ", ") + name;
  add(items, "publication_extra", CheckLevel::Warning, message,
      fmt::format("ALTER PUBLICATION {} DROP TABLE {}; (or widen --tables to capture them)",
                  q(o.publication), drop));
}

void judge_publication(const PreflightFacts& f, const PreflightOptions& o, Items& items) {
  if (o.plugin != Plugin::Pgoutput) return;
  const std::string pub = q(o.publication);
  if (!f.publication.exists) {
    add(items, "publication", CheckLevel::Error,
        fmt::format("publication \"{}\" does not exist: pgoutput decodes nothing without it",
                    o.publication),
        fmt::format("sabot-cdc init --publication {} (before the slot is created)", o.publication));
    return;
  }
  judge_publication_extras(f, o, items);
  if (f.publication.all_tables) {
    add(items, "publication", CheckLevel::Ok,
        fmt::format("publication \"{}\" is FOR ALL TABLES", o.publication));
    return;
  }
  std::set<std::pair<std::string, std::string>> published(f.publication.tables.begin(),
                                                          f.publication.tables.end());
  published.insert(f.publication.roots.begin(), f.publication.roots.end());
  std::string missing;
  for (const pg::TableFacts& t : f.tables) {
    if (!published.count({t.schema, t.table}))
      missing += (missing.empty() ? "" : ", ") + qualified(t);
  }
  if (!missing.empty()) {
    add(items, "publication", CheckLevel::Error,
        fmt::format("publication \"{}\" lacks captured tables: {} (their changes never arrive)",
                    o.publication, missing),
        fmt::format("ALTER PUBLICATION {} ADD TABLE {};", pub, missing));
  } else {
    add(items, "publication", CheckLevel::Ok,
        fmt::format("publication \"{}\" holds every captured table", o.publication));
  }
}

void judge_plugin(const PreflightFacts& f, const PreflightOptions& o, Items& items) {
  if (f.plugin_problem) {
    add(items, "plugin", CheckLevel::Error, *f.plugin_problem,
        "apt-get install postgresql-15-wal2json on the server, or use --plugin pgoutput");
  } else {
    add(items, "plugin", CheckLevel::Ok,
        fmt::format("output plugin {} loads", to_string(o.plugin)));
  }
}

void judge_ddl_capture(const PreflightFacts& f, Items& items) {
  switch (f.ddl_capture) {
    case DdlCaptureState::Current:
      add(items, "ddl_capture", CheckLevel::Ok, "DDL capture is installed");
      return;
    case DdlCaptureState::Outdated:
      add(items, "ddl_capture", CheckLevel::Warning,
          "DDL capture is installed but not this release's (or a trigger is disabled)",
          "sabot-cdc init (as a superuser)");
      return;
    case DdlCaptureState::Absent:
      add(items, "ddl_capture", CheckLevel::Warning,
          "DDL capture is not installed: schema changes are reported late (pgoutput) or never "
          "(wal2json)",
          "sabot-cdc init (as a superuser), or accept it");
      return;
  }
}

void judge_slots(const PreflightFacts& f, const PreflightOptions& o, Items& items) {
  const SlotInfo* own = find(f.slots, o.slot);
  if (!own) {
    add(items, "slot", CheckLevel::Warning, fmt::format("slot \"{}\" does not exist yet", o.slot),
        fmt::format("sabot-cdc init --slot {}", o.slot));
  } else if (own->wal_status == "lost") {
    add(items, "slot", CheckLevel::Error,
        fmt::format("slot \"{}\" has been invalidated (wal_status lost): the changes after its "
                    "confirmed position are gone",
                    o.slot),
        fmt::format("sabot-cdc slots drop {0}; sabot-cdc init --slot {0}; then take a new "
                    "snapshot of the captured tables",
                    o.slot));
  } else if (own->plugin != to_string(o.plugin) || own->database != f.database) {
    add(items, "slot", CheckLevel::Error,
        fmt::format("slot \"{}\" is for plugin {} in database \"{}\", not {} in \"{}\"", o.slot,
                    own->plugin, own->database, to_string(o.plugin), f.database),
        "use another --slot, or --plugin " + own->plugin);
  } else {
    add(items, "slot", CheckLevel::Ok,
        fmt::format("slot \"{}\" exists ({}, wal_status {})", o.slot, own->plugin,
                    own->wal_status));
  }
  for (const SlotInfo& s : f.slots) {
    if (s.name == o.slot || s.active || s.retained_wal_bytes.value_or(0) <= 0) continue;
    add(items, "inactive_slot", CheckLevel::Warning,
        fmt::format("slot \"{}\" is inactive and retains {} bytes of WAL, more every minute",
                    s.name, *s.retained_wal_bytes),
        fmt::format("if nothing consumes it any more: sabot-cdc slots drop {}", s.name));
  }
}

}  // namespace

PreflightReport judge_preflight(const PreflightFacts& facts, const PreflightOptions& options) {
  PreflightReport report;
  Items& items = report.items;
  judge_wal_level(facts.server, items);
  judge_limits(facts, options, items);
  judge_wal_keep(facts.server, items);
  judge_sender_timeout(facts.server, items);
  judge_role(facts.server, items);
  judge_tables(facts, items);
  judge_publication(facts, options, items);
  judge_plugin(facts, options, items);
  judge_ddl_capture(facts, items);
  judge_slots(facts, options, items);
  return report;
}

}  // namespace engine
}  // namespace sabot
