// sabot_cdc._native: the C++ engine's public API for the Python package sabot_cdc.
#include <pybind11/pybind11.h>

#include "admin.hpp"
#include "batch.hpp"
#include "config_file.hpp"
#include "connector.hpp"
#include "errors.hpp"
#include "values.hpp"

PYBIND11_MODULE(_native, m) {
  m.doc() = "sabot-cdc engine (use the sabot_cdc package, not this module)";
  sabot_py::init_value_conversion();
  sabot_py::register_error_translation();
  sabot_py::bind_batch(m);
  sabot_py::bind_connector(m);
  sabot_py::bind_admin(m);
  sabot_py::bind_config_file(m);
}
