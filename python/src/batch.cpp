#include "batch.hpp"

#include <pybind11/stl.h>

#include <string>
#include <string_view>
#include <vector>

#include "row_dict.hpp"
#include "values.hpp"

namespace sabot_py {
namespace {

py::str str_of(std::string_view s) { return py::str(s.data(), s.size()); }

py::object lsn_str(sabot::Lsn lsn) { return py::str(lsn.to_string()); }

// A schema_change's columns describe the table (see Event.columns), they hold no values.
py::object data_of(Event& e) {
  if (e.event->op == sabot::Op::SchemaChange) return py::dict();
  if (!e.data) e.data = row_dict(*e.event, e.event->columns, false);
  return e.data;
}

py::object old_data_of(Event& e) {
  if (!e.event->old) return py::none();
  if (!e.old_data) e.old_data = row_dict(*e.event, *e.event->old, true);
  return e.old_data;
}

py::list unchanged_toast_of(const sabot::ChangeEvent& e) {
  py::list out;
  for (const sabot::Column& c : e.columns) {
    if (c.unchanged_toast) out.append(str_of(c.name));
  }
  return out;
}

py::object table_schema_of(const sabot::ChangeEvent& e) {
  if (!e.table_schema) return py::none();
  return py::cast(TableSchemaRef{e.table_schema});
}

std::string event_repr(const sabot::ChangeEvent& e) {
  return "<Event " + std::string(e.type()) + " " + std::string(e.schema) + "." +
         std::string(e.table) + " xid=" + std::to_string(e.transaction_id) + " lsn=" +
         e.lsn.to_string() + " seq=" + std::to_string(e.seq) + ">";
}

void bind_event(py::module_& m) {
  py::class_<Event>(m, "Event", "One committed change (row, truncate, message, schema change).")
      .def_property_readonly("type", [](const Event& e) { return str_of(e.event->type()); })
      .def_property_readonly("op", [](const Event& e) { return str_of(e.event->type()); })
      .def_property_readonly("schema", [](const Event& e) { return str_of(e.event->schema); })
      .def_property_readonly("table", [](const Event& e) { return str_of(e.event->table); })
      .def_property_readonly("transaction_id", [](const Event& e) { return e.event->transaction_id; })
      .def_property_readonly("xid", [](const Event& e) { return e.event->transaction_id; })
      .def_property_readonly("lsn", [](const Event& e) { return lsn_str(e.event->lsn); })
      .def_property_readonly("commit_lsn", [](const Event& e) { return lsn_str(e.event->commit_lsn); })
      .def_property_readonly("seq", [](const Event& e) { return e.event->seq; })
      .def_property_readonly("position", [](const Event& e) {
        return py::make_tuple(e.event->commit_lsn.value(), e.event->seq);
      }, "(commit LSN as int, seq): unique, increasing, identical on redelivery")
      .def_property_readonly("commit_time",
                             [](const Event& e) { return datetime_from_timestamp(e.event->commit_time); })
      .def_property_readonly("data", &data_of, "column -> Python value (new row)")
      .def_property_readonly("old_data", &old_data_of,
                             "column -> value of the old key or row; None when none was sent")
      .def_property_readonly("raw_data", [](const Event& e) { return raw_row_dict(*e.event, e.event->columns, false); })
      .def_property_readonly("raw_old_data", [](const Event& e) -> py::object {
        if (!e.event->old) return py::none();
        return raw_row_dict(*e.event, *e.event->old, true);
      })
      .def_property_readonly("unchanged_toast", [](const Event& e) { return unchanged_toast_of(*e.event); })
      .def_property_readonly("key_columns", [](const Event& e) { return e.event->key_columns.to_vector(); })
      .def_property_readonly("column_types", [](const Event& e) {
        py::dict out;
        for (const sabot::Column& c : e.event->columns) out[str_of(c.name)] = str_of(c.type_name);
        return out;
      })
      .def_property_readonly("message_prefix", [](const Event& e) { return e.event->message_prefix; })
      .def_property_readonly("message_content", [](const Event& e) {
        const std::string& s = e.event->message_content;
        return py::bytes(s.data(), s.size());
      })
      .def_property_readonly("message_transactional",
                             [](const Event& e) { return e.event->message_transactional; })
      .def_property_readonly("truncate_cascade", [](const Event& e) { return e.event->truncate_cascade; })
      .def_property_readonly("truncate_restart_identity",
                             [](const Event& e) { return e.event->truncate_restart_identity; })
      .def_property_readonly("ddl", [](const Event& e) { return e.event->ddl; })
      .def_property_readonly("table_schema", [](const Event& e) { return table_schema_of(*e.event); })
      .def_property_readonly("columns", [](const Event& e) -> py::object {
        if (!e.event->table_schema) return py::none();
        return py::cast(e.event->table_schema->columns);
      }, "schema_change: the table's columns after the change (SchemaColumn); None otherwise")
      .def("__repr__", [](const Event& e) { return event_repr(*e.event); });
}

void bind_schema(py::module_& m) {
  py::class_<sabot::SchemaColumn>(m, "SchemaColumn")
      .def_readonly("name", &sabot::SchemaColumn::name)
      .def_readonly("type_oid", &sabot::SchemaColumn::type_oid)
      .def_readonly("type_name", &sabot::SchemaColumn::type_name)
      .def_readonly("nullable", &sabot::SchemaColumn::nullable)
      .def_readonly("key", &sabot::SchemaColumn::key)
      .def("__repr__", [](const sabot::SchemaColumn& c) {
        return "<SchemaColumn " + c.name + " " + c.type_name + (c.key ? " key>" : ">");
      });
  py::class_<TableSchemaRef>(m, "TableSchema")
      .def_property_readonly("schema", [](const TableSchemaRef& t) { return t.schema->schema; })
      .def_property_readonly("table", [](const TableSchemaRef& t) { return t.schema->table; })
      .def_property_readonly("relation_oid", [](const TableSchemaRef& t) { return t.schema->relation_oid; })
      .def_property_readonly("replica_identity",
                             [](const TableSchemaRef& t) { return t.schema->replica_identity; })
      .def_property_readonly("columns", [](const TableSchemaRef& t) { return t.schema->columns; })
      .def_property_readonly("key_columns", [](const TableSchemaRef& t) { return t.schema->key_columns(); })
      .def_property_readonly("dropped", [](const TableSchemaRef& t) { return t.schema->dropped; })
      .def_property_readonly("ddl", [](const TableSchemaRef& t) { return t.schema->ddl; })
      .def_property_readonly("lsn", [](const TableSchemaRef& t) { return t.schema->lsn.to_string(); })
      .def("column", [](const TableSchemaRef& t, const std::string& name) -> py::object {
        const sabot::SchemaColumn* c = t.schema->column(name);
        return c ? py::cast(*c) : py::object(py::none());
      })
      .def("__repr__", [](const TableSchemaRef& t) {
        return "<TableSchema " + t.schema->schema + "." + t.schema->table + " " +
               std::to_string(t.schema->columns.size()) + " columns>";
      });
}

}  // namespace

py::object events_of(Batch& b) {
  if (!b.events) {
    py::list out(b.batch->events.size());
    for (size_t i = 0; i < b.batch->events.size(); ++i) {
      out[i] = py::cast(Event{b.batch, &b.batch->events[i], {}, {}});
    }
    b.events = out;
  }
  return b.events;
}

void bind_batch(py::module_& m) {
  bind_schema(m);
  bind_event(m);
  py::class_<Batch>(m, "Batch", "Consecutive events of one transaction.")
      .def_property_readonly("transaction_id", [](const Batch& b) { return b.batch->transaction_id; })
      .def_property_readonly("commit_lsn", [](const Batch& b) { return lsn_str(b.batch->commit_lsn); })
      .def_property_readonly("end_lsn", [](const Batch& b) { return lsn_str(b.batch->end_lsn); })
      .def_property_readonly("commit_time",
                             [](const Batch& b) { return datetime_from_timestamp(b.batch->commit_time); })
      .def_property_readonly("batch_id", [](const Batch& b) { return b.batch->batch_id; })
      .def_property_readonly("first_in_transaction",
                             [](const Batch& b) { return b.batch->first_in_transaction; })
      .def_property_readonly("last_in_transaction",
                             [](const Batch& b) { return b.batch->last_in_transaction; })
      .def_property_readonly("from_snapshot", [](const Batch& b) { return b.batch->from_snapshot; },
                             "True for a batch of 'read' events of one table (a snapshot)")
      .def_property_readonly("snapshot_schema", [](const Batch& b) -> py::object {
        if (!b.batch->from_snapshot) return py::none();
        return str_of(b.batch->snapshot_schema);
      })
      .def_property_readonly("snapshot_table", [](const Batch& b) -> py::object {
        if (!b.batch->from_snapshot) return py::none();
        return str_of(b.batch->snapshot_table);
      })
      .def_property_readonly("events", &events_of)
      .def("__len__", [](const Batch& b) { return b.batch->events.size(); })
      .def("__iter__", [](Batch& b) { return events_of(b).attr("__iter__")(); })
      .def("__getitem__", [](Batch& b, py::object i) { return events_of(b)[i]; })
      .def("__repr__", [](const Batch& b) {
        if (b.batch->from_snapshot) {
          return "<Batch snapshot " + b.batch->snapshot_schema + "." + b.batch->snapshot_table +
                 " commit_lsn=" + b.batch->commit_lsn.to_string() +
                 " events=" + std::to_string(b.batch->size()) + ">";
        }
        return "<Batch xid=" + std::to_string(b.batch->transaction_id) + " commit_lsn=" +
               b.batch->commit_lsn.to_string() + " events=" + std::to_string(b.batch->size()) + ">";
      });
}

}  // namespace sabot_py
