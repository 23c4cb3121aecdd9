#include "pg/ddl_capture.hpp"

#include <fmt/format.h>

#include "sabot/error.hpp"
#include "sabot/schema.hpp"

namespace sabot::pg {

namespace {

// Text with every "@rel" replaced by `rel` (the alias of a pg_class row or record).
std::string with_relation(std::string_view text, std::string_view rel) {
  std::string out;
  size_t start = 0;
  for (size_t at = text.find("@rel"); at != std::string_view::npos; at = text.find("@rel", start)) {
    out.append(text.substr(start, at - start));
    out.append(rel);
    start = at + 4;
  }
  out.append(text.substr(start));
  return out;
}

// The replica identity of relation @rel, as core/schema_events.hpp names it.
constexpr std::string_view kIdentitySql =
    "CASE @rel.relreplident WHEN 'd' THEN 'default' WHEN 'f' THEN 'full' "
    "WHEN 'i' THEN 'index' WHEN 'n' THEN 'nothing' END";

// The columns of relation @rel as row events show them: no dropped or generated columns (logical
// replication sends neither); key = part of the replica identity, pgoutput's rule (FULL: every
// column; NOTHING: none; DEFAULT: the primary key; INDEX: the replica identity index).
constexpr std::string_view kColumnsSql = R"((SELECT coalesce(json_agg(json_build_object(
        'name', a.attname, 'type', format_type(a.atttypid, a.atttypmod),
        'type_oid', a.atttypid::bigint, 'nullable', NOT a.attnotnull,
        'key', CASE @rel.relreplident WHEN 'f' THEN true WHEN 'n' THEN false
               ELSE EXISTS (SELECT FROM pg_index x
                            WHERE x.indrelid = @rel.oid AND a.attnum = ANY (x.indkey)
                              AND CASE @rel.relreplident WHEN 'd' THEN x.indisprimary
                                  ELSE x.indisreplident END) END)
        ORDER BY a.attnum), '[]'::json)
      FROM pg_attribute a
      WHERE a.attrelid = @rel.oid AND a.attnum > 0 AND NOT a.attisdropped
        AND a.attgenerated = ''))";

// The function body. ddl_command_end: every pg_class object the command touched that is a
// permanent table, plus the inheritance children / partitions of each (ALTER TABLE recurses to
// them), one message per table, in the order the command reported them, tagged with the first
// command that touched it (CREATE TABLE ... REFERENCES also reports an ALTER TABLE). sql_drop:
// every dropped table (also those a DROP SCHEMA ... CASCADE took along).
//
// Then one empty message (the end marker, dropped by the reader). Why: logical decoding gives a
// message the LSN where its WAL record ends, which is where the next record starts. When the
// messages sit in a subtransaction (the EXCEPTION block below makes one; so does a SAVEPOINT
// around the DDL) and the row written next belongs to another (sub)transaction, the reorder
// buffer merges the two by LSN, and equal LSNs come out in either order: the DDL message could
// land after that row. With the marker last, the real messages end strictly before the next row;
// only the marker may tie, and it carries nothing.
std::string function_body() {
  const std::string prefix(kDdlMessagePrefix);
  return fmt::format(R"(
DECLARE
  target record;
  emitted boolean := false;
BEGIN
  IF current_setting('wal_level') <> 'logical' THEN
    RETURN;
  END IF;
  IF TG_EVENT = 'sql_drop' THEN
    FOR target IN
      SELECT d.objid, d.schema_name, d.object_name FROM pg_event_trigger_dropped_objects() d
      WHERE d.object_type = 'table' AND NOT d.is_temporary
    LOOP
      PERFORM pg_logical_emit_message(true, '{prefix}', json_build_object(
        'version', 1, 'event', 'sql_drop', 'tag', TG_TAG, 'oid', target.objid::bigint,
        'schema', target.schema_name, 'table', target.object_name, 'identity', NULL,
        'columns', '[]'::json)::text);
      emitted := true;
    END LOOP;
  ELSE
    FOR target IN
      WITH RECURSIVE touched AS (
        SELECT c.objid AS relid, c.command_tag, c.ordinality AS n
        FROM pg_event_trigger_ddl_commands() WITH ORDINALITY AS c
        WHERE c.classid = 'pg_class'::regclass
        UNION
        SELECT i.inhrelid, touched.command_tag, touched.n
        FROM touched JOIN pg_inherits i ON i.inhparent = touched.relid
      )
      SELECT * FROM (
        SELECT DISTINCT ON (r.oid) r.oid, ns.nspname, r.relname, r.relreplident,
               touched.command_tag, touched.n
        FROM touched JOIN pg_class r ON r.oid = touched.relid
        JOIN pg_namespace ns ON ns.oid = r.relnamespace
        WHERE r.relkind IN ('r', 'p') AND r.relpersistence = 'p'
        ORDER BY r.oid, touched.n
      ) tables ORDER BY tables.n, tables.oid
    LOOP
      PERFORM pg_logical_emit_message(true, '{prefix}', json_build_object(
        'version', 1, 'event', 'ddl_command_end', 'tag', target.command_tag,
        'oid', target.oid::bigint, 'schema', target.nspname, 'table', target.relname,
        'identity', {identity},
        'columns', {columns})::text);
      emitted := true;
    END LOOP;
  END IF;
  IF emitted THEN
    PERFORM pg_logical_emit_message(true, '{prefix}', '');
  END IF;
EXCEPTION WHEN OTHERS THEN
  RAISE WARNING 'sabot-cdc DDL capture failed: % (SQLSTATE %). The command went through, but change streams get no schema_change event for it', SQLERRM, SQLSTATE;
END
)",
                     fmt::arg("prefix", prefix),
                     fmt::arg("identity", with_relation(kIdentitySql, "target")),
                     fmt::arg("columns", with_relation(kColumnsSql, "target")));
}

// The function runs as its owner (a superuser) for whoever issues the DDL, so nothing it calls
// may be found anywhere a less privileged role can create objects: pg_catalog only (pg_temp,
// listed last, is never searched for functions or operators). format_type() therefore
// schema-qualifies every user-defined type ("public.mood").
constexpr std::string_view kSearchPath = "pg_catalog, pg_temp";

const std::string& body() {
  static const std::string text = function_body();
  return text;
}

std::string install_sql() {
  return fmt::format(
      "SET LOCAL client_min_messages = warning;\n"
      "CREATE OR REPLACE FUNCTION {fn} RETURNS event_trigger LANGUAGE plpgsql SECURITY DEFINER\n"
      "  SET search_path = {search_path} AS $sabot_ddl${body}$sabot_ddl$;\n"
      "COMMENT ON FUNCTION {fn} IS 'sabot-cdc DDL capture: writes each table DDL as a logical "
      "message (prefix {prefix}). Remove with: sabot-cdc init --uninstall-ddl-capture';\n"
      "DROP EVENT TRIGGER IF EXISTS {end_trigger};\n"
      "DROP EVENT TRIGGER IF EXISTS {drop_trigger};\n"
      "CREATE EVENT TRIGGER {end_trigger} ON ddl_command_end EXECUTE FUNCTION {fn};\n"
      "CREATE EVENT TRIGGER {drop_trigger} ON sql_drop EXECUTE FUNCTION {fn};\n",
      fmt::arg("fn", kDdlCaptureFunction), fmt::arg("body", body()),
      fmt::arg("search_path", kSearchPath), fmt::arg("prefix", kDdlMessagePrefix),
      fmt::arg("end_trigger", kDdlCommandEndTrigger), fmt::arg("drop_trigger", kSqlDropTrigger));
}

std::string current_role(PgConnection& conn) {
  return std::string(conn.exec("SELECT current_user", "reading the role name").get(0, 0));
}

}  // namespace

DdlCaptureState ddl_capture_state(PgConnection& conn) {
  PgResult r = conn.exec(
      fmt::format(
          "SELECT p.prosrc = {body} AND p.prosecdef AND "
          "p.proconfig = ARRAY[{config}], (SELECT count(*) FROM pg_event_trigger t "
          "WHERE t.evtfoid = p.oid AND t.evtenabled <> 'D' AND "
          "((t.evtname = {end_trigger} AND t.evtevent = 'ddl_command_end') OR "
          "(t.evtname = {drop_trigger} AND t.evtevent = 'sql_drop'))) "
          "FROM pg_proc p WHERE p.oid = to_regprocedure({fn})",
          fmt::arg("body", conn.quote_literal(body())),
          fmt::arg("config", conn.quote_literal(fmt::format("search_path={}", kSearchPath))),
          fmt::arg("end_trigger", conn.quote_literal(kDdlCommandEndTrigger)),
          fmt::arg("drop_trigger", conn.quote_literal(kSqlDropTrigger)),
          fmt::arg("fn", conn.quote_literal(kDdlCaptureFunction))),
      "checking the DDL capture event triggers");
  if (r.rows() == 0) return DdlCaptureState::Absent;
  return r.get(0, 0) == "t" && r.get(0, 1) == "2" ? DdlCaptureState::Current
                                                  : DdlCaptureState::Outdated;
}

DdlCaptureResult install_ddl_capture(PgConnection& conn) {
  const DdlCaptureState before = ddl_capture_state(conn);
  if (before == DdlCaptureState::Current) return {DdlCaptureOutcome::AlreadyInstalled, ""};
  try {
    // One simple-protocol query: one implicit transaction, so it all happens or nothing does.
    conn.exec(install_sql(), "installing DDL capture");
  } catch (const CdcError& e) {
    if (e.sqlstate() != "42501") throw;  // insufficient_privilege: not a superuser
    return {DdlCaptureOutcome::NoPrivilege,
            fmt::format("role \"{}\" may not create event triggers (PostgreSQL 15 allows only "
                        "superusers){}. Run 'sabot-cdc init' once as a superuser to install DDL "
                        "capture, or pass --no-ddl-capture. Without it, schema changes are "
                        "reported only with pgoutput, as \"relation_changed\" when a changed "
                        "table is next written",
                        current_role(conn),
                        before == DdlCaptureState::Outdated
                            ? "; the DDL capture installed earlier is out of date or disabled"
                            : "")};
  }
  return {
      before == DdlCaptureState::Absent ? DdlCaptureOutcome::Installed : DdlCaptureOutcome::Updated,
      ""};
}

std::string ddl_capture_uninstall_sql() {
  return fmt::format(
      "DROP EVENT TRIGGER IF EXISTS {};\nDROP EVENT TRIGGER IF EXISTS {};\n"
      "DROP FUNCTION IF EXISTS {};\n",
      kDdlCommandEndTrigger, kSqlDropTrigger, kDdlCaptureFunction);
}

bool uninstall_ddl_capture(PgConnection& conn) {
  PgResult present = conn.exec(
      fmt::format("SELECT (SELECT count(*) FROM pg_event_trigger WHERE evtname IN ({}, {})) + "
                  "(SELECT count(*) FROM pg_proc WHERE oid = to_regprocedure({}))",
                  conn.quote_literal(kDdlCommandEndTrigger), conn.quote_literal(kSqlDropTrigger),
                  conn.quote_literal(kDdlCaptureFunction)),
      "checking the DDL capture event triggers");
  if (present.get(0, 0) == "0") return false;
  try {
    conn.exec("SET LOCAL client_min_messages = warning;\n" + ddl_capture_uninstall_sql(),
              "removing DDL capture");
  } catch (const CdcError& e) {
    if (e.sqlstate() != "42501") throw;  // insufficient_privilege: neither owner nor superuser
    throw CdcError(ErrorKind::Authentication,
                   fmt::format("role \"{}\" may not remove the DDL capture event triggers: only "
                               "their owner or a superuser may. Run 'sabot-cdc init "
                               "--uninstall-ddl-capture' as a superuser, or in psql:\n{}",
                               current_role(conn), ddl_capture_uninstall_sql()),
                   e.sqlstate());
  }
  return true;
}

std::vector<std::string> read_table_schema_documents(PgConnection& conn) {
  const std::string sql = fmt::format(
      "SELECT json_build_object('version', 1, 'event', 'catalog', 'tag', '', "
      "'oid', c.oid::bigint, 'schema', n.nspname, 'table', c.relname, 'identity', {}, "
      "'columns', {})::text "
      "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
      "WHERE c.relkind IN ('r', 'p') AND c.relpersistence = 'p' "
      "AND n.nspname NOT IN ('pg_catalog', 'information_schema') "
      "AND n.nspname NOT LIKE 'pg\\_toast%' "
      "ORDER BY n.nspname, c.relname",
      with_relation(kIdentitySql, "c"), with_relation(kColumnsSql, "c"));
  PgResult r = conn.exec(sql, "reading table schemas");
  std::vector<std::string> documents;
  documents.reserve(static_cast<size_t>(r.rows()));
  for (int i = 0; i < r.rows(); ++i) documents.emplace_back(r.get(i, 0));
  return documents;
}

}  // namespace sabot::pg
