// Column values as Python objects: PostgreSQL's text form parsed by type (int, float, Decimal,
// bool, bytes, datetime/date/time, UUID, json, lists for arrays), the text itself for any other
// type. Called only with the GIL held.
#pragma once

#include <pybind11/pybind11.h>

#include <cstdint>
#include <string_view>

#include "sabot/change_event.hpp"
#include "sabot/value.hpp"

namespace sabot_py {

namespace py = pybind11;

// How a type's text form becomes a Python value.
enum class Kind { Text, Int, Float, Bool, Numeric, Bytea, Date, Time, TimeTz, Timestamp,
                  TimestampTz, Uuid, Json };

struct TypeInfo {
  Kind kind = Kind::Text;
  bool array = false;  // a one- or more-dimensional array of `kind`
};

// The conversion of a column of that type (type_oid 0: known by type_name only).
TypeInfo classify(uint32_t type_oid, std::string_view type_name);

// Imports decimal, uuid, json and the datetime C API once, at module load.
void init_value_conversion();

// The Python value of `value` of a column of that type (type_oid 0: known by type_name only).
// Text that does not parse as its type (e.g. 'infinity' dates) stays a str, never an error.
py::object to_python(const sabot::Value& value, uint32_t type_oid, std::string_view type_name);
// The same with the type already classified (a cached classify()).
py::object to_python(const sabot::Value& value, TypeInfo info);

// An aware datetime in UTC.
py::object datetime_from_timestamp(sabot::Timestamp ts);

// PostgreSQL's text form as str, or None for NULL.
py::object text_or_none(const sabot::Value& value);

}  // namespace sabot_py
