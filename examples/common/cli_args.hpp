// Argument parsing shared by every example program: a usage error (unknown flag, bad value) exits
// with status 2, as most Unix tools do and as the sabot-cdc CLI does, so a script can tell "you
// called it wrong" (2) from "it ran and failed" (1). --check-args lets a run script validate a
// program's arguments before it changes anything in the database.
#pragma once

#include <CLI/CLI.hpp>
#include <optional>

namespace sabot::examples {

inline constexpr int kUsageError = 2;

// Parses argv. Returns nullopt when the program should go on, else the status to exit with:
// 0 after --help, kUsageError after a usage error (CLI11's message is already printed).
std::optional<int> parse_arguments(CLI::App& app, int argc, char** argv);

// Adds --check-args: "only check the arguments, then exit 0 without connecting".
void add_check_args_flag(CLI::App& app, bool& check_args);

}  // namespace sabot::examples
