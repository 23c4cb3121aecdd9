#include "errors.hpp"

#include <exception>

#include "sabot/error.hpp"

namespace sabot_py {
namespace py = pybind11;

namespace {

// The classes live in Python (sabot_cdc/errors.py) so users can subclass and pickle them; the
// factory there picks the class for the kind.
void raise_cdc_error(const sabot::CdcError& e) {
  py::object lsn = e.lsn() ? py::object(py::str(e.lsn()->to_string())) : py::object(py::none());
  py::object error = py::module_::import("sabot_cdc.errors")
                         .attr("_from_native")(sabot::to_string(e.kind()), e.what(),
                                               e.sqlstate(), lsn);
  PyErr_SetObject(reinterpret_cast<PyObject*>(Py_TYPE(error.ptr())), error.ptr());
}

}  // namespace

void register_error_translation() {
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const sabot::CdcError& e) {
      raise_cdc_error(e);
    }
  });
}

}  // namespace sabot_py
