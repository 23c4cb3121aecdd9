// sabot_cdc.PostgresAdmin: the public admin API (settings check, publication, slot, DDL capture,
// slots and their status). Every call that talks to the server releases the GIL.
#include "admin.hpp"

#include <pybind11/stl.h>

#include <memory>
#include <string>

#include "config.hpp"
#include "sabot/admin.hpp"
#include "sabot/table_pattern.hpp"

namespace sabot_py {
namespace {

template <typename T>
py::object opt(const std::optional<T>& v) {
  return v ? py::cast(*v) : py::object(py::none());
}

py::object opt_lsn(const std::optional<sabot::Lsn>& v) {
  return v ? py::object(py::str(v->to_string())) : py::object(py::none());
}

py::dict slot_dict(const sabot::SlotInfo& s) {
  py::dict d;
  d["name"] = s.name;
  d["plugin"] = s.plugin;
  d["slot_type"] = s.slot_type;
  d["database"] = s.database;
  d["active"] = s.active;
  d["active_pid"] = opt(s.active_pid);
  d["restart_lsn"] = opt_lsn(s.restart_lsn);
  d["confirmed_flush_lsn"] = opt_lsn(s.confirmed_flush_lsn);
  d["retained_wal_bytes"] = opt(s.retained_wal_bytes);
  d["lag_bytes"] = opt(s.lag_bytes);
  d["wal_status"] = s.wal_status;
  return d;
}

const char* outcome_name(sabot::DdlCaptureOutcome o) {
  switch (o) {
    case sabot::DdlCaptureOutcome::Installed: return "installed";
    case sabot::DdlCaptureOutcome::Updated: return "updated";
    case sabot::DdlCaptureOutcome::AlreadyInstalled: return "already_installed";
    case sabot::DdlCaptureOutcome::NoPrivilege: return "no_privilege";
    case sabot::DdlCaptureOutcome::Skipped: return "skipped";
  }
  return "unknown";
}

const char* state_name(sabot::DdlCaptureState s) {
  switch (s) {
    case sabot::DdlCaptureState::Absent: return "absent";
    case sabot::DdlCaptureState::Current: return "current";
    case sabot::DdlCaptureState::Outdated: return "outdated";
  }
  return "unknown";
}

py::dict ddl_dict(const sabot::DdlCaptureResult& r) {
  py::dict d;
  d["outcome"] = outcome_name(r.outcome);
  d["message"] = r.message;
  return d;
}

const char* publication_name(sabot::PublicationAction a) {
  switch (a) {
    case sabot::PublicationAction::Exists: return "exists";
    case sabot::PublicationAction::Created: return "created";
    case sabot::PublicationAction::Altered: return "altered";
  }
  return "unknown";
}

using Admin = sabot::PostgresAdmin;

// Runs fn(admin) without the GIL; the result is converted after it is taken back.
template <typename F>
auto nogil(Admin& admin, F fn) {
  py::gil_scoped_release release;
  return fn(admin);
}

py::dict init(Admin& admin, const std::string& slot, const std::string& publication,
              const std::string& plugin, const std::vector<std::string>& tables, bool create_slot,
              bool install_ddl_capture) {
  sabot::InitOptions options;
  options.slot = slot;
  options.publication = publication;
  options.plugin = sabot::parse_plugin(plugin);
  options.tables = tables;
  options.create_slot = create_slot;
  options.install_ddl_capture = install_ddl_capture;
  sabot::InitReport report = nogil(admin, [&](Admin& a) { return a.init(options); });
  py::dict d;
  d["publication"] = publication_name(report.publication);
  d["ddl_capture"] = ddl_dict(report.ddl_capture);
  d["slot_created"] = report.slot_created;
  return d;
}

py::list slot_status(Admin& admin, const std::string& slot) {
  auto rows = nogil(admin, [&](Admin& a) { return a.slot_status(slot); });
  py::list out;
  for (const sabot::SlotStatus& s : rows) {
    py::dict d = slot_dict(s.slot);
    d["flush_lag_seconds"] = opt(s.flush_lag_seconds);
    out.append(d);
  }
  return out;
}

}  // namespace

void bind_admin(py::module_& m) {
  py::class_<Admin>(m, "Admin")
      .def(py::init([](const py::dict& fields) {
        sabot::PostgresCdcConfig config = config_from_fields(fields);
        py::gil_scoped_release release;
        return std::make_unique<Admin>(config);
      }))
      .def("init", &init, py::arg("slot"), py::arg("publication"), py::arg("plugin"),
           py::arg("tables"), py::arg("create_slot"), py::arg("install_ddl_capture"))
      .def("check_server_settings",
           [](Admin& a) { nogil(a, [](Admin& x) { x.check_server_settings(); return 0; }); })
      .def("ensure_publication",
           [](Admin& a, const std::string& name, const std::vector<std::string>& tables) {
             sabot::TableFilter filter(tables);
             return publication_name(
                 nogil(a, [&](Admin& x) { return x.ensure_publication(name, filter); }));
           })
      .def("ensure_slot",
           [](Admin& a, const std::string& name, const std::string& plugin, bool temporary) {
             sabot::Plugin p = sabot::parse_plugin(plugin);
             return nogil(a, [&](Admin& x) { return x.ensure_slot(name, p, temporary); });
           })
      .def("list_slots",
           [](Admin& a) {
             auto slots = nogil(a, [](Admin& x) { return x.list_slots(); });
             py::list out;
             for (const auto& s : slots) out.append(slot_dict(s));
             return out;
           })
      .def("find_slot",
           [](Admin& a, const std::string& name) -> py::object {
             auto s = nogil(a, [&](Admin& x) { return x.find_slot(name); });
             return s ? py::object(slot_dict(*s)) : py::object(py::none());
           })
      .def("drop_slot",
           [](Admin& a, const std::string& name) {
             nogil(a, [&](Admin& x) { x.drop_slot(name); return 0; });
           })
      .def("slot_status", &slot_status, py::arg("slot") = "")
      .def("ddl_capture_state",
           [](Admin& a) { return state_name(nogil(a, [](Admin& x) { return x.ddl_capture_state(); })); })
      .def("install_ddl_capture",
           [](Admin& a) { return ddl_dict(nogil(a, [](Admin& x) { return x.install_ddl_capture(); })); })
      .def("uninstall_ddl_capture",
           [](Admin& a) { return nogil(a, [](Admin& x) { return x.uninstall_ddl_capture(); }); })
      .def("current_database",
           [](Admin& a) { return nogil(a, [](Admin& x) { return x.current_database(); }); });
  m.def("ddl_capture_uninstall_sql", &sabot::ddl_capture_uninstall_sql);
}

}  // namespace sabot_py
