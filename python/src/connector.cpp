#include "connector.hpp"

#include <pybind11/stl.h>

#include "config.hpp"
#include "sabot/error.hpp"
#include "values.hpp"

namespace sabot_py {

void Connector::open() {
  py::gil_scoped_release nogil;
  std::lock_guard drive(drive_);
  connector_.open();
  std::lock_guard state(state_mutex_);
  for (const auto& table : connector_.schemas().tables()) schemas_.put(table);
  stats_ = connector_.stats();
}

std::optional<Batch> Connector::next_batch() {
  std::optional<sabot::ChangeBatch> batch;
  {
    py::gil_scoped_release nogil;
    std::lock_guard drive(drive_);
    apply_pending_acks();
    batch = connector_.next_batch();
    apply_pending_acks();
    std::lock_guard state(state_mutex_);
    stats_ = connector_.stats();
  }
  if (!batch) return std::nullopt;
  return Batch{std::make_shared<const sabot::ChangeBatch>(std::move(*batch)), {}};
}

void Connector::acknowledge(uint64_t batch_id) {
  {
    std::lock_guard acks(acks_mutex_);
    pending_acks_.push_back(batch_id);
  }
  // Applied now unless another thread is inside the engine; that thread applies it when it
  // returns. Never waits, so the event loop never blocks on an acknowledgement.
  std::unique_lock drive(drive_, std::try_to_lock);
  if (drive.owns_lock()) apply_pending_acks();
}

void Connector::apply_pending_acks() {
  std::vector<uint64_t> ids;
  {
    std::lock_guard acks(acks_mutex_);
    ids.swap(pending_acks_);
  }
  for (uint64_t id : ids) connector_.acknowledge(id);
}

void Connector::close() {
  py::gil_scoped_release nogil;
  std::lock_guard drive(drive_);
  apply_pending_acks();
  connector_.close();
  std::lock_guard state(state_mutex_);
  stats_ = connector_.stats();
}

std::string Connector::request_snapshot(const std::vector<std::string>& patterns) {
  py::gil_scoped_release nogil;
  return connector_.request_snapshot(patterns);
}

void Connector::set_consumer_checkpoint(const std::string& commit_lsn, uint32_t seq) {
  auto lsn = sabot::Lsn::parse(commit_lsn);
  if (!lsn) {
    throw sabot::CdcError(sabot::ErrorKind::Config,
                          "commit_lsn '" + commit_lsn + "' is not an LSN: use PostgreSQL's form, e.g. 0/1A2B3C8");
  }
  py::gil_scoped_release nogil;
  std::lock_guard drive(drive_);
  connector_.set_consumer_checkpoint(*lsn, seq);
}

void Connector::handed_out(const Batch& batch) {
  std::lock_guard state(state_mutex_);
  for (const sabot::ChangeEvent& event : batch.batch->events) schemas_.apply(event);
}

sabot::StreamStats Connector::stats() {
  std::lock_guard state(state_mutex_);
  return stats_;
}

std::shared_ptr<const sabot::TableSchema> Connector::table_schema(const std::string& schema,
                                                                  const std::string& table) {
  std::lock_guard state(state_mutex_);
  return schemas_.find(schema, table);
}

std::vector<std::shared_ptr<const sabot::TableSchema>> Connector::schemas() {
  std::lock_guard state(state_mutex_);
  return schemas_.tables();
}

namespace {

py::object schema_or_none(std::shared_ptr<const sabot::TableSchema> s) {
  if (!s) return py::none();
  return py::cast(TableSchemaRef{std::move(s)});
}

void bind_stats(py::module_& m) {
  py::class_<sabot::StreamStats>(m, "StreamStats")
      .def_readonly("events", &sabot::StreamStats::events)
      .def_readonly("batches", &sabot::StreamStats::batches)
      .def_readonly("transactions", &sabot::StreamStats::transactions)
      .def_readonly("bytes_received", &sabot::StreamStats::bytes_received)
      .def_property_readonly("received_lsn",
                             [](const sabot::StreamStats& s) { return s.received_lsn.to_string(); })
      .def_property_readonly("flushed_lsn",
                             [](const sabot::StreamStats& s) { return s.flushed_lsn.to_string(); })
      .def_property_readonly("last_commit_time", [](const sabot::StreamStats& s) -> py::object {
        if (s.last_commit_time == sabot::Timestamp{}) return py::none();
        return datetime_from_timestamp(s.last_commit_time);
      })
      .def("__repr__", [](const sabot::StreamStats& s) {
        return "<StreamStats events=" + std::to_string(s.events) +
               " batches=" + std::to_string(s.batches) + " transactions=" +
               std::to_string(s.transactions) + " flushed_lsn=" + s.flushed_lsn.to_string() + ">";
      });
}

void bind_snapshot_progress(py::module_& m) {
  using Progress = sabot::PostgresCdcConnector::SnapshotProgress;
  py::class_<Progress>(m, "SnapshotProgress")
      .def_readonly("table", &Progress::table, "'schema.table'")
      .def_readonly("rows_done", &Progress::rows_done)
      .def_readonly("rows_estimated", &Progress::rows_estimated,
                    "the planner's estimate (pg_class.reltuples)")
      .def_readonly("done", &Progress::done)
      .def("__repr__", [](const Progress& p) {
        return "<SnapshotProgress " + p.table + " rows_done=" + std::to_string(p.rows_done) +
               " rows_estimated=" + std::to_string(p.rows_estimated) +
               (p.done ? " done>" : ">");
      });
}

}  // namespace

void bind_connector(py::module_& m) {
  bind_stats(m);
  bind_snapshot_progress(m);
  py::class_<Connector>(m, "Connector")
      .def(py::init([](const py::dict& fields) {
        return std::make_unique<Connector>(config_from_fields(fields));
      }))
      .def("open", &Connector::open)
      .def("next_batch", &Connector::next_batch)
      .def("acknowledge", &Connector::acknowledge)
      .def("request_stop", &Connector::request_stop)
      .def("close", &Connector::close)
      .def("handed_out", &Connector::handed_out)
      .def("request_snapshot", &Connector::request_snapshot)
      .def("snapshot_progress", &Connector::snapshot_progress)
      .def("set_consumer_checkpoint", &Connector::set_consumer_checkpoint)
      .def("stats", &Connector::stats)
      .def("table_schema", [](Connector& c, const std::string& schema, const std::string& table) {
        return schema_or_none(c.table_schema(schema, table));
      })
      .def("schemas", [](Connector& c) {
        py::list out;
        for (auto& s : c.schemas()) out.append(schema_or_none(s));
        return out;
      });
}

}  // namespace sabot_py
