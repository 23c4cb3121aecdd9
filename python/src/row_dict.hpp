// An event's row as a Python dict (column name -> value), built for speed: per table, and for
// its new rows and its old keys apart, each column's name is an interned Python string and its
// type classified once; both are reused while the next row's columns match them by position,
// name and type (a schema change simply refreshes them). Called only with the GIL held.
#pragma once

#include <pybind11/pybind11.h>

#include <vector>

#include "sabot/change_event.hpp"

namespace sabot_py {

// `columns` is event.columns (old = false) or *event.old (old = true). Unchanged TOASTed
// columns are left out: their value was not sent.
pybind11::object row_dict(const sabot::ChangeEvent& event,
                          const std::vector<sabot::Column>& columns, bool old);

// The same with PostgreSQL's text form of each value (str, or None for NULL).
pybind11::object raw_row_dict(const sabot::ChangeEvent& event,
                              const std::vector<sabot::Column>& columns, bool old);

}  // namespace sabot_py
