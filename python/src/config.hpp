// PostgreSQLCDCConfig (a Python dataclass, sabot_cdc/config.py) -> sabot::PostgresCdcConfig.
#pragma once

#include <pybind11/pybind11.h>

#include "sabot/config.hpp"

namespace sabot_py {

// `fields` maps every PostgreSQLCDCConfig field name to its value (dataclasses.asdict). Raises
// CDCError (configuration) for a value out of range or a field it does not know.
sabot::PostgresCdcConfig config_from_fields(const pybind11::dict& fields);

}  // namespace sabot_py
