// Pipeline config files: everything `sabot-cdc stream` takes on its command line, in a TOML file
// (`sabot-cdc run --config pipeline.toml`). Each key is a stream flag's name without the dashes;
// tables only group them:
//
//   [source]
//   dsn = "host=db.internal user=cdc dbname=shop"
//   password_file = "/etc/sabot-cdc/password"     # or password_env = "SHOP_DB_PASSWORD"
//   slot = "shop_slot"
//   tables = ["public.orders", "public.users"]
//   [sink]
//   output = "/var/lib/sabot-cdc/shop.jsonl"
//   [metrics]
//   metrics-listen = "127.0.0.1:9187"
//   [logging]
//   log-format = "json"
//
// Errors: every mistake — a TOML syntax error, an unknown table or key, a value of the wrong type,
// an unreadable password_file, a missing password_env variable — is a CdcError{Config} that
// starts with "FILE:LINE:" and names the key. Secrets are never part of a message.
// Ownership: plain values. Threading: none.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace sabot {

enum class SettingKind { String, Integer, Boolean, StringList };

struct SettingSpec {
  std::string key;  // the flag's name without "--": "batch-size"
  SettingKind kind = SettingKind::String;
};

struct PipelineSetting {
  std::string key;
  std::vector<std::string> values;  // one for scalars, "true"/"false" for booleans, many for lists
  int line = 0;
};

struct PipelineFile {
  std::string path;
  std::vector<PipelineSetting> settings;  // in file order
  // From password_file (first line) or password_env; never logged.
  std::optional<std::string> password;
};

// The tables a pipeline file may use to group its keys.
const std::vector<std::string>&
pipeline_tables();  // source, sink, batching, metrics, logging, stream

// Parses and validates `path` against `known` (the keys of the stream flags; password_file and
// password_env are always accepted). Throws CdcError{Config} as described above.
PipelineFile load_pipeline_file(const std::string& path, const std::vector<SettingSpec>& known);

}  // namespace sabot
