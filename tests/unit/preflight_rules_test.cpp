// The rules of `sabot-cdc check` on hand-made facts: each problem is named with its level and
// exact fix, and a healthy setup has no errors.
#include <gtest/gtest.h>

#include <string>

#include "engine/preflight_rules.hpp"

using namespace sabot;

namespace {

engine::PreflightFacts healthy() {
  engine::PreflightFacts f;
  f.server.wal_level = "logical";
  f.server.max_replication_slots = 10;
  f.server.slots_used = 1;
  f.server.max_wal_senders = 10;
  f.server.wal_senders_used = 0;
  f.server.max_slot_wal_keep_size_mb = 10240;
  f.server.wal_sender_timeout_ms = 60000;
  f.server.role = "sabot";
  f.server.role_replication = true;
  f.tables.push_back({"public", "orders", true, 'd', true});
  f.publication.exists = true;
  f.publication.tables = {{"public", "orders"}};
  f.ddl_capture = DdlCaptureState::Current;
  SlotInfo own;
  own.name = "s";
  own.plugin = "pgoutput";
  own.slot_type = "logical";
  own.database = "db";
  own.wal_status = "reserved";
  f.slots.push_back(own);
  f.database = "db";
  return f;
}

PreflightOptions options() {
  PreflightOptions o;
  o.slot = "s";
  o.publication = "pub";
  return o;
}

const CheckItem* item(const PreflightReport& r, const std::string& name, CheckLevel level) {
  for (const CheckItem& i : r.items) {
    if (i.name == name && i.level == level) return &i;
  }
  return nullptr;
}

}  // namespace

TEST(PreflightRules, HealthySetupPasses) {
  const PreflightReport r = engine::judge_preflight(healthy(), options());
  EXPECT_EQ(r.worst(), CheckLevel::Ok);
  EXPECT_EQ(r.exit_code(), 0);
  EXPECT_NE(item(r, "wal_level", CheckLevel::Ok), nullptr);
  EXPECT_NE(item(r, "slot", CheckLevel::Ok), nullptr);
}

TEST(PreflightRules, ServerSettingsAreErrorsOrWarningsWithTheirFix) {
  auto f = healthy();
  f.server.wal_level = "replica";
  f.server.max_wal_senders = 0;
  f.server.max_slot_wal_keep_size_mb = -1;
  f.server.wal_sender_timeout_ms = 0;
  f.slots.clear();
  f.server.slots_used = 10;  // all taken, and ours does not exist
  const PreflightReport r = engine::judge_preflight(f, options());
  EXPECT_EQ(r.exit_code(), 2);
  ASSERT_NE(item(r, "wal_level", CheckLevel::Error), nullptr);
  EXPECT_NE(item(r, "wal_level", CheckLevel::Error)->fix.find("wal_level = logical"),
            std::string::npos);
  ASSERT_NE(item(r, "max_replication_slots", CheckLevel::Error), nullptr);
  ASSERT_NE(item(r, "max_wal_senders", CheckLevel::Error), nullptr);
  ASSERT_NE(item(r, "max_slot_wal_keep_size", CheckLevel::Warning), nullptr);
  ASSERT_NE(item(r, "wal_sender_timeout", CheckLevel::Warning), nullptr);
}

TEST(PreflightRules, TheLastFreeWalSenderIsAWarning) {
  auto f = healthy();
  f.server.max_wal_senders = 2;
  f.server.wal_senders_used = 1;
  EXPECT_NE(item(engine::judge_preflight(f, options()), "max_wal_senders", CheckLevel::Warning),
            nullptr);
}

TEST(PreflightRules, KeylessAndFullIdentityTablesNameTheAlterTable) {
  auto f = healthy();
  f.tables = {{"public", "nokey", false, 'd', true}, {"public", "wide", true, 'f', true}};
  f.publication.all_tables = true;
  const PreflightReport r = engine::judge_preflight(f, options());
  const CheckItem* keyless = item(r, "replica_identity", CheckLevel::Error);
  ASSERT_NE(keyless, nullptr);
  EXPECT_NE(keyless->message.find("\"public\".\"nokey\""), std::string::npos);
  EXPECT_NE(keyless->fix.find("ALTER TABLE \"public\".\"nokey\" REPLICA IDENTITY FULL;"),
            std::string::npos);
  const CheckItem* full = item(r, "replica_identity", CheckLevel::Warning);
  ASSERT_NE(full, nullptr);
  EXPECT_EQ(full->fix, "ALTER TABLE \"public\".\"wide\" REPLICA IDENTITY DEFAULT;");
}

TEST(PreflightRules, PrivilegesArePerRoleAndPerTable) {
  auto f = healthy();
  f.server.role_replication = false;
  f.tables[0].can_select = false;
  const PreflightReport r = engine::judge_preflight(f, options());
  ASSERT_NE(item(r, "replication_privilege", CheckLevel::Error), nullptr);
  EXPECT_EQ(item(r, "replication_privilege", CheckLevel::Error)->fix,
            "ALTER ROLE \"sabot\" REPLICATION;");
  ASSERT_NE(item(r, "select_privilege", CheckLevel::Error), nullptr);
}

TEST(PreflightRules, PublicationMustHoldEveryCapturedTable) {
  auto f = healthy();
  f.tables.push_back({"public", "users", true, 'd', true});
  const PreflightReport r = engine::judge_preflight(f, options());
  const CheckItem* pub = item(r, "publication", CheckLevel::Error);
  ASSERT_NE(pub, nullptr);
  EXPECT_EQ(pub->fix, "ALTER PUBLICATION \"pub\" ADD TABLE \"public\".\"users\";");

  f.publication.exists = false;
  EXPECT_NE(item(engine::judge_preflight(f, options()), "publication", CheckLevel::Error), nullptr);
  auto o = options();
  o.plugin = Plugin::Wal2json;  // wal2json needs no publication
  f.slots[0].plugin = "wal2json";
  EXPECT_EQ(engine::judge_preflight(f, o).worst(), CheckLevel::Ok);
}

TEST(PreflightRules, PublishedTablesOutsideTheFilterAreWarnings) {
  auto f = healthy();
  f.publication.tables = {{"public", "orders"}, {"public", "audit"}};
  f.publication.roots = f.publication.tables;
  const PreflightReport r = engine::judge_preflight(f, options());
  const CheckItem* extra = item(r, "publication_extra", CheckLevel::Warning);
  ASSERT_NE(extra, nullptr);
  EXPECT_NE(extra->message.find("\"public\".\"audit\""), std::string::npos) << extra->message;
  EXPECT_EQ(extra->message.find("\"orders\""), std::string::npos) << extra->message;
  EXPECT_EQ(extra->fix.rfind("ALTER PUBLICATION \"pub\" DROP TABLE \"public\".\"audit\";", 0), 0u)
      << extra->fix;
  EXPECT_EQ(r.exit_code(), 1);

  // A published partition of a captured partitioned table is captured through its root.
  f.publication.tables = {{"public", "orders_2026"}};
  f.publication.roots = {{"public", "orders"}};
  const PreflightReport partitions = engine::judge_preflight(f, options());
  EXPECT_EQ(item(partitions, "publication_extra", CheckLevel::Warning), nullptr);
  EXPECT_NE(item(partitions, "publication", CheckLevel::Ok), nullptr);

  // FOR ALL TABLES cannot drop a table: the fix is another publication or a wider filter.
  f.publication.all_tables = true;
  f.publication.tables = {{"public", "orders"}, {"public", "audit"}};
  f.publication.roots = f.publication.tables;
  const PreflightReport all_tables = engine::judge_preflight(f, options());
  const CheckItem* all = item(all_tables, "publication_extra", CheckLevel::Warning);
  ASSERT_NE(all, nullptr);
  EXPECT_NE(all->fix.find("widen --tables"), std::string::npos) << all->fix;
}

TEST(PreflightRules, PluginDdlCaptureAndSlots) {
  auto f = healthy();
  f.plugin_problem = "loading output plugin wal2json failed: could not access file";
  f.ddl_capture = DdlCaptureState::Absent;
  f.slots[0].wal_status = "lost";
  SlotInfo stale;
  stale.name = "stale";
  stale.slot_type = "logical";
  stale.retained_wal_bytes = 123456;
  f.slots.push_back(stale);
  const PreflightReport r = engine::judge_preflight(f, options());
  EXPECT_NE(item(r, "plugin", CheckLevel::Error), nullptr);
  EXPECT_NE(item(r, "ddl_capture", CheckLevel::Warning), nullptr);
  const CheckItem* lost = item(r, "slot", CheckLevel::Error);
  ASSERT_NE(lost, nullptr);
  EXPECT_NE(lost->fix.find("snapshot"), std::string::npos);
  const CheckItem* inactive = item(r, "inactive_slot", CheckLevel::Warning);
  ASSERT_NE(inactive, nullptr);
  EXPECT_NE(inactive->message.find("123456"), std::string::npos);
  EXPECT_EQ(inactive->fix, "if nothing consumes it any more: sabot-cdc slots drop stale");
}
