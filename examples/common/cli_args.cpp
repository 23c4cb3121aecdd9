#include "cli_args.hpp"

namespace sabot::examples {

std::optional<int> parse_arguments(CLI::App& app, int argc, char** argv) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int status = app.exit(e);  // prints the help or the error
    return status == 0 ? 0 : kUsageError;
  }
  return std::nullopt;
}

void add_check_args_flag(CLI::App& app, bool& check_args) {
  app.add_flag("--check-args", check_args,
               "only check the arguments (exit 0, or 2 naming the bad one), change nothing");
}

}  // namespace sabot::examples
