// load_pipeline_file (include/sabot/pipeline_file.hpp) over toml++: walks the document, checks
// each key and value against the known settings, and resolves the password from its file or
// environment variable.
#include "sabot/pipeline_file.hpp"

#include <algorithm>
#include <cstdlib>
#include <fstream>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "sabot/error.hpp"

namespace sabot {

namespace {

[[noreturn]] void fail(const std::string& path, int line, const std::string& why) {
  throw CdcError(ErrorKind::Config, fmt::format("{}:{}: {}", path, line, why));
}

int line_of(const toml::node& node) {
  return static_cast<int>(node.source().begin.line);
}

const char* kind_name(SettingKind kind) {
  switch (kind) {
    case SettingKind::String:
      return "a string";
    case SettingKind::Integer:
      return "an integer";
    case SettingKind::Boolean:
      return "true or false";
    case SettingKind::StringList:
      return "a string or an array of strings";
  }
  return "";
}

std::optional<std::string> scalar_text(const toml::node& node, SettingKind kind) {
  if (kind == SettingKind::Integer) {
    if (auto v = node.value<int64_t>(); v && node.is_integer()) return std::to_string(*v);
    return std::nullopt;
  }
  if (kind == SettingKind::Boolean) {
    if (auto v = node.value<bool>(); v && node.is_boolean()) return *v ? "true" : "false";
    return std::nullopt;
  }
  if (auto v = node.value<std::string>(); v && node.is_string()) return *v;
  return std::nullopt;
}

std::vector<std::string> values_of(const std::string& path, const std::string& key,
                                   const toml::node& node, SettingKind kind) {
  const std::string bad = fmt::format("key '{}' must be {}", key, kind_name(kind));
  if (kind == SettingKind::StringList && node.is_array()) {
    std::vector<std::string> out;
    for (const toml::node& item : *node.as_array()) {
      auto text = scalar_text(item, SettingKind::String);
      if (!text) fail(path, line_of(item), bad);
      out.push_back(*text);
    }
    return out;
  }
  auto text = scalar_text(node, kind == SettingKind::StringList ? SettingKind::String : kind);
  if (!text) fail(path, line_of(node), bad);
  return {*text};
}

std::string first_line_of_file(const std::string& path, int line, const std::string& secret_path) {
  std::ifstream in(secret_path);
  std::string first;
  if (!in || !std::getline(in, first)) {
    fail(path, line, fmt::format("key 'password_file': cannot read '{}'", secret_path));
  }
  if (!first.empty() && first.back() == '\r') first.pop_back();
  return first;
}

struct Loader {
  const std::string& path;
  const std::vector<SettingSpec>& known;
  PipelineFile out;

  void secret(const std::string& key, const toml::node& node) {
    auto name = scalar_text(node, SettingKind::String);
    if (!name) fail(path, line_of(node), fmt::format("key '{}' must be a string", key));
    if (key == "password_file") {
      out.password = first_line_of_file(path, line_of(node), *name);
      return;
    }
    const char* value = std::getenv(name->c_str());
    if (!value) {
      fail(path, line_of(node),
           fmt::format("key 'password_env': environment variable {} is not set", *name));
    }
    out.password = value;
  }

  void setting(const std::string& key, const toml::node& node) {
    if (key == "password_file" || key == "password_env") return secret(key, node);
    auto spec = std::find_if(known.begin(), known.end(),
                             [&](const SettingSpec& s) { return s.key == key; });
    if (spec == known.end()) {
      fail(path, line_of(node),
           fmt::format("unknown key '{}' (keys are the names of the stream flags, e.g. slot, "
                       "batch-size, metrics-listen)",
                       key));
    }
    for (const PipelineSetting& seen : out.settings) {
      if (seen.key == key) {
        fail(path, line_of(node),
             fmt::format("key '{}' is already set on line {}", key, seen.line));
      }
    }
    out.settings.push_back({key, values_of(path, key, node, spec->kind), line_of(node)});
  }

  void table(const toml::table& t, bool top) {
    for (const auto& [k, node] : t) {
      const std::string key(k.str());
      if (top && node.is_table()) {
        const auto& names = pipeline_tables();
        if (std::find(names.begin(), names.end(), key) == names.end()) {
          fail(path, line_of(node),
               fmt::format("unknown table [{}] (tables: source, sink, batching, metrics, "
                           "logging, stream)",
                           key));
        }
        table(*node.as_table(), false);
        continue;
      }
      setting(key, node);
    }
  }
};

}  // namespace

const std::vector<std::string>& pipeline_tables() {
  static const std::vector<std::string> names = {"source",  "sink",    "batching",
                                                 "metrics", "logging", "stream"};
  return names;
}

PipelineFile load_pipeline_file(const std::string& path, const std::vector<SettingSpec>& known) {
  std::ifstream probe(path);
  if (!probe) throw CdcError(ErrorKind::Config, fmt::format("{}: cannot read the file", path));
  toml::table doc;
  try {
    doc = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    fail(path, static_cast<int>(e.source().begin.line), std::string(e.description()));
  }
  Loader loader{path, known, {}};
  loader.out.path = path;
  loader.table(doc, true);
  return std::move(loader.out);
}

}  // namespace sabot
