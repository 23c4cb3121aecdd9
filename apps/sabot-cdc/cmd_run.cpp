// sabot-cdc run --config pipeline.toml [stream flags]: `stream` configured by a pipeline file
// (sabot/pipeline_file.hpp). Each key of the file is a stream flag's name; flags given on the
// command line override the file's. The file's keys and value types are derived from the stream
// command's own flags, so every flag has its key and no list can drift.
#include <algorithm>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "commands.hpp"
#include "sabot/error.hpp"
#include "sabot/pipeline_file.hpp"

namespace sabot::cli {

namespace {

std::vector<SettingSpec> stream_setting_specs() {
  CLI::App probe;
  int unused = 0;
  register_stream(probe, unused);
  std::vector<SettingSpec> specs;
  for (const CLI::Option* opt : probe.get_subcommand("stream")->get_options()) {
    if (opt->get_lnames().empty() || opt->get_lnames().front() == "help") continue;
    SettingSpec spec{opt->get_lnames().front(), SettingKind::String};
    const std::string type = opt->get_type_name();
    if (opt->get_expected_max() == 0) {  // a flag: it takes no value
      spec.kind = SettingKind::Boolean;
    } else if (opt->get_expected_max() > 1) {
      spec.kind = SettingKind::StringList;
    } else if (type.rfind("INT", 0) == 0 || type.rfind("UINT", 0) == 0) {
      spec.kind = SettingKind::Integer;
    }
    specs.push_back(std::move(spec));
  }
  return specs;
}

// Whether the command line sets `key` itself (--key VALUE or --key=VALUE).
bool overridden(const std::vector<std::string>& extras, const std::string& key) {
  const std::string flag = "--" + key;
  for (const std::string& arg : extras) {
    if (arg == flag || arg.rfind(flag + "=", 0) == 0) return true;
  }
  return false;
}

SettingKind kind_of(const std::vector<SettingSpec>& specs, const std::string& key) {
  for (const SettingSpec& spec : specs) {
    if (spec.key == key) return spec.kind;
  }
  return SettingKind::String;
}

std::vector<std::string> stream_args(const PipelineFile& file,
                                     const std::vector<SettingSpec>& specs,
                                     const std::vector<std::string>& extras) {
  std::vector<std::string> args;
  for (const PipelineSetting& s : file.settings) {
    if (overridden(extras, s.key)) continue;
    if (kind_of(specs, s.key) == SettingKind::Boolean) {
      if (s.values.front() == "true") args.push_back("--" + s.key);  // false: the flag's absence
      continue;
    }
    for (const std::string& v : s.values) {
      args.push_back("--" + s.key);
      args.push_back(v);
    }
  }
  args.insert(args.end(), extras.begin(), extras.end());
  return args;
}

// A bad value is reported by the stream command's own checks; say where in the file it came from.
[[noreturn]] void rethrow_with_line(const CLI::ParseError& e, const PipelineFile& file,
                                    const std::vector<std::string>& extras) {
  const std::string what = e.what();
  const PipelineSetting* best = nullptr;
  for (const PipelineSetting& s : file.settings) {
    if (overridden(extras, s.key) || what.find("--" + s.key) == std::string::npos) continue;
    if (!best || s.key.size() > best->key.size()) best = &s;
  }
  if (!best) throw CdcError(ErrorKind::Config, what);
  throw CdcError(ErrorKind::Config,
                 fmt::format("{}:{}: key '{}': {}", file.path, best->line, best->key, what));
}

// The value of `--NAME VALUE` or `--NAME=VALUE` among the flags given after --config, if any.
std::optional<std::string> extra_value(const std::vector<std::string>& extras,
                                       const std::string& name) {
  const std::string flag = "--" + name;
  for (size_t i = 0; i < extras.size(); ++i) {
    if (extras[i] == flag && i + 1 < extras.size()) return extras[i + 1];
    if (extras[i].starts_with(flag + "=")) return extras[i].substr(flag.size() + 1);
  }
  return std::nullopt;
}

// A --log-format / --log-level given on the command line applies to the file's own errors too
// (the file's keys cannot: it failed to load).
void log_as_the_command_line_says(const std::vector<std::string>& extras) {
  const auto format = extra_value(extras, "log-format");
  const auto level = extra_value(extras, "log-level");
  if (!format && !level) return;
  try {
    configure_logging(format.value_or("text"), level.value_or("info"), "");
  } catch (const CdcError&) {
    // A bad value: the stream's own flag check reports it below, with the usage.
  }
}

int run_pipeline(const std::string& path, const std::vector<std::string>& extras) {
  log_as_the_command_line_says(extras);
  const std::vector<SettingSpec> specs = stream_setting_specs();
  const PipelineFile file = load_pipeline_file(path, specs);
  // libpq reads PGPASSWORD when the connection string has no password: the secret is handed
  // over without ever being part of a command line, a message or the status file.
  if (file.password) ::setenv("PGPASSWORD", file.password->c_str(), 1);
  std::vector<std::string> args = stream_args(file, specs, extras);
  args.insert(args.begin(), "stream");
  std::reverse(args.begin(), args.end());  // CLI11 takes the arguments last first
  CLI::App app;
  int exit_code = 0;
  register_stream(app, exit_code);
  try {
    app.parse(args);
  } catch (const CLI::ParseError& e) {
    rethrow_with_line(e, file, extras);
  }
  return exit_code;
}

}  // namespace

void register_run(CLI::App& app, int& exit_code) {
  auto path = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand(
      "run",
      "stream as a pipeline file says (TOML; keys are the stream flags' names); stream "
      "flags given here override the file's");
  cmd->add_option("--config", *path, "the pipeline file")->required();
  cmd->allow_extras();
  cmd->callback([cmd, path, &exit_code] {
    exit_code = run_reporting_errors([&] { return run_pipeline(*path, cmd->remaining()); });
  });
}

}  // namespace sabot::cli
