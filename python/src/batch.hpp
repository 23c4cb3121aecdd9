// Python views of a ChangeBatch and its events. A batch is shared by its Python Batch and every
// Event taken from it, so an event stays valid (its names and values live in the batch's storage)
// as long as any of them is referenced.
#pragma once

#include <pybind11/pybind11.h>

#include <memory>

#include "sabot/change_batch.hpp"

namespace sabot_py {

namespace py = pybind11;

struct Event {
  std::shared_ptr<const sabot::ChangeBatch> batch;
  const sabot::ChangeEvent* event = nullptr;
  // Converted on first access, then kept: most consumers read data once, some several times.
  py::object data;
  py::object old_data;
};

struct Batch {
  std::shared_ptr<const sabot::ChangeBatch> batch;
  py::object events;  // list of Event, made on first access
};

// Table schemas (TableSchema, SchemaColumn) are immutable and shared with the engine.
struct TableSchemaRef {
  std::shared_ptr<const sabot::TableSchema> schema;
};

void bind_batch(py::module_& m);

py::object events_of(Batch& batch);

}  // namespace sabot_py
