// sabot::CdcError -> the Python exception of its kind (sabot_cdc.errors: CDCError and subclasses),
// keeping the message, the SQLSTATE and the LSN.
#pragma once

#include <pybind11/pybind11.h>

namespace sabot_py {

void register_error_translation();

}  // namespace sabot_py
