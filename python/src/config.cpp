#include "config.hpp"

#include <pybind11/stl.h>

#include <chrono>
#include <string>

#include "sabot/error.hpp"

namespace sabot_py {
namespace py = pybind11;

namespace {

using std::chrono::milliseconds;

sabot::Lsn parse_lsn(const std::string& field, const std::string& text) {
  if (auto lsn = sabot::Lsn::parse(text)) return *lsn;
  throw sabot::CdcError(sabot::ErrorKind::Config,
                        field + " '" + text + "' is not an LSN: use PostgreSQL's form, e.g. 0/1A2B3C8");
}

// Calls `apply` with the value of `name` unless it is None.
template <typename T, typename F>
void read(const py::dict& fields, const char* name, F apply) {
  if (!fields.contains(name)) return;
  py::object v = fields[name];
  if (v.is_none()) return;
  apply(v.cast<T>());
}

void set_connection(const py::dict& f, sabot::PostgresCdcConfig& c) {
  read<std::string>(f, "dsn", [&](std::string v) { c.dsn = std::move(v); });
  read<std::string>(f, "host", [&](std::string v) { c.host = std::move(v); });
  read<int>(f, "port", [&](int v) { c.port = v; });
  read<std::string>(f, "user", [&](std::string v) { c.user = std::move(v); });
  read<std::string>(f, "password", [&](std::string v) { c.password = std::move(v); });
  read<std::string>(f, "database", [&](std::string v) { c.database = std::move(v); });
  read<int64_t>(f, "connect_timeout_s", [&](int64_t v) { c.connect_timeout = std::chrono::seconds(v); });
}

void set_stream(const py::dict& f, sabot::PostgresCdcConfig& c) {
  read<std::string>(f, "slot_name", [&](std::string v) { c.slot_name = std::move(v); });
  read<std::string>(f, "publication_name", [&](std::string v) { c.publication_name = std::move(v); });
  read<std::vector<std::string>>(f, "tables", [&](auto v) { c.tables = std::move(v); });
  read<std::string>(f, "plugin", [&](const std::string& v) { c.plugin = sabot::parse_plugin(v); });
  read<int>(f, "wal2json_format_version", [&](int v) { c.wal2json_format_version = v; });
  read<int64_t>(f, "batch_size", [&](int64_t v) {
    if (v < 1) throw sabot::CdcError(sabot::ErrorKind::Config, "batch_size must be at least 1");
    c.batch_size = static_cast<size_t>(v);
  });
  read<size_t>(f, "max_batch_bytes", [&](size_t v) { c.max_batch_bytes = v; });
  read<int64_t>(f, "max_batch_latency_ms", [&](int64_t v) { c.max_batch_latency = milliseconds(v); });
  read<std::string>(f, "start_lsn", [&](const std::string& v) { c.start_lsn = parse_lsn("start_lsn", v); });
  read<std::string>(f, "end_lsn", [&](const std::string& v) { c.end_lsn = parse_lsn("end_lsn", v); });
  read<py::dict>(f, "plugin_options", [&](const py::dict& options) {
    for (auto [name, value] : options) {
      c.plugin_options.emplace_back(py::str(name), py::str(value));
    }
  });
  read<bool>(f, "create_slot_if_missing", [&](bool v) { c.create_slot_if_missing = v; });
  read<bool>(f, "create_publication_if_missing",
             [&](bool v) { c.create_publication_if_missing = v; });
  read<bool>(f, "temporary_slot", [&](bool v) { c.temporary_slot = v; });
  read<int64_t>(f, "status_interval_ms", [&](int64_t v) { c.status_interval = milliseconds(v); });
}

void set_resilience(const py::dict& f, sabot::PostgresCdcConfig& c) {
  read<bool>(f, "reconnect", [&](bool v) { c.reconnect.enabled = v; });
  read<int64_t>(f, "reconnect_initial_delay_ms",
                [&](int64_t v) { c.reconnect.initial_delay = milliseconds(v); });
  read<int64_t>(f, "reconnect_max_delay_ms",
                [&](int64_t v) { c.reconnect.max_delay = milliseconds(v); });
  read<int>(f, "reconnect_max_attempts", [&](int v) { c.reconnect.max_attempts = v; });
  read<int64_t>(f, "heartbeat_interval_ms",
                [&](int64_t v) { c.heartbeat_interval = milliseconds(v); });
  read<size_t>(f, "memory_limit_bytes", [&](size_t v) { c.memory_limit_bytes = v; });
  read<std::string>(f, "spill_directory", [&](std::string v) { c.spill_directory = std::move(v); });
}

void set_snapshot(const py::dict& f, sabot::PostgresCdcConfig& c) {
  read<std::string>(f, "snapshot",
                    [&](const std::string& v) { c.snapshot = sabot::parse_snapshot_mode(v); });
  read<int>(f, "snapshot_workers", [&](int v) {
    if (v < 1 || v > 64) {
      throw sabot::CdcError(sabot::ErrorKind::Config,
                            "snapshot_workers must be between 1 and 64, not " + std::to_string(v));
    }
    c.snapshot_workers = v;
  });
  read<int64_t>(f, "snapshot_chunk_rows", [&](int64_t v) {
    if (v < 1 || v > 100000000) {
      throw sabot::CdcError(
          sabot::ErrorKind::Config,
          "snapshot_chunk_rows must be between 1 and 100000000, not " + std::to_string(v));
    }
    c.snapshot_chunk_rows = v;
  });
  read<std::string>(f, "snapshot_state_path",
                    [&](std::string v) { c.snapshot_state_path = std::move(v); });
}

// The connector calls log from whichever thread drives it, with the GIL released.
void set_log(const py::dict& f, sabot::PostgresCdcConfig& c) {
  if (!f.contains("log") || f["log"].is_none()) return;
  auto fn = std::make_shared<py::object>(f["log"]);
  c.log = [fn](std::string_view message) {
    py::gil_scoped_acquire gil;
    try {
      (*fn)(py::str(message.data(), message.size()));
    } catch (py::error_already_set& e) {
      e.discard_as_unraisable("sabot_cdc log callback");
    }
  };
}

}  // namespace

sabot::PostgresCdcConfig config_from_fields(const py::dict& fields) {
  sabot::PostgresCdcConfig c;
  try {
    set_connection(fields, c);
    set_stream(fields, c);
    set_resilience(fields, c);
    set_snapshot(fields, c);
  } catch (const py::cast_error& e) {
    throw sabot::CdcError(sabot::ErrorKind::Config,
                          std::string("PostgreSQLCDCConfig: a field has the wrong type: ") + e.what());
  }
  set_log(fields, c);
  return c;
}

}  // namespace sabot_py
