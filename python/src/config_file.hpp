// PostgreSQLCDCConfig.from_file: a `sabot-cdc run --config` pipeline file (sabot/pipeline_file.hpp)
// read as PostgreSQLCDCConfig fields, so one file serves the CLI and a Python consumer.
#pragma once

#include <pybind11/pybind11.h>

#include <string>

namespace sabot_py {

// Field name -> value for PostgreSQLCDCConfig(**fields), from the file's source, batching,
// reconnect and snapshot keys (the stream flags' names: slot, batch-size, snapshot-workers...)
// and its password_file / password_env. The keys of the CLI's own outputs (sink, output,
// metrics-listen, log-format...) are accepted and left out. Throws CdcError{Config} starting
// with "FILE:LINE:" and naming the key, as `sabot-cdc run` does: syntax errors, unknown keys,
// wrong types, values out of range.
pybind11::dict config_fields_from_file(const std::string& path);

// Every key the file may hold, with its kind ("string", "integer", "boolean", "list"), so a
// test can check the list against the CLI's stream flags.
pybind11::dict pipeline_file_keys();

void bind_config_file(pybind11::module_& m);

}  // namespace sabot_py
