#pragma once

#include <pybind11/pybind11.h>

namespace sabot_py {
namespace py = pybind11;

void bind_admin(py::module_& m);

}  // namespace sabot_py
