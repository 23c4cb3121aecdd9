#include "config_file.hpp"

#include <pybind11/stl.h>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "config.hpp"
#include "sabot/error.hpp"
#include "sabot/pipeline_file.hpp"
#include "sabot/table_pattern.hpp"

namespace sabot_py {
namespace py = pybind11;

namespace {

using sabot::SettingKind;
using Values = std::vector<std::string>;
using Setter = void (*)(py::dict& fields, const Values& values);

constexpr int64_t kNoLimit = std::numeric_limits<int64_t>::max();

// A key PostgreSQLCDCConfig takes, with the CLI flag's range for integers.
struct SourceKey {
  const char* key;
  SettingKind kind;
  Setter set;
  int64_t min = 0;
  int64_t max = kNoLimit;
};

template <const char* Field>
void as_string(py::dict& f, const Values& v) {
  f[Field] = v.front();
}
template <const char* Field>
void as_integer(py::dict& f, const Values& v) {
  f[Field] = std::stoll(v.front());
}

constexpr char kDsn[] = "dsn", kSlot[] = "slot_name", kPlugin[] = "plugin",
               kFormat[] = "wal2json_format_version", kPublication[] = "publication_name",
               kStartLsn[] = "start_lsn", kEndLsn[] = "end_lsn", kBatchSize[] = "batch_size",
               kStatusInterval[] = "status_interval_ms", kLatency[] = "max_batch_latency_ms",
               kHeartbeat[] = "heartbeat_interval_ms", kReconnectMax[] = "reconnect_max_delay_ms",
               kAttempts[] = "reconnect_max_attempts", kSpill[] = "spill_directory",
               kSnapshot[] = "snapshot", kWorkers[] = "snapshot_workers",
               kChunkRows[] = "snapshot_chunk_rows", kSnapshotState[] = "snapshot_state_path";

void set_create_slot(py::dict& f, const Values& v) {
  const bool on = v.front() == "true";  // the CLI's --create-slot makes both
  f["create_slot_if_missing"] = on;
  f["create_publication_if_missing"] = on;
}
void set_no_reconnect(py::dict& f, const Values& v) {
  f["reconnect"] = v.front() != "true";
}
void set_memory_limit(py::dict& f, const Values& v) {
  f["memory_limit_bytes"] = std::stoll(v.front()) * 1024 * 1024;
}
void set_tables(py::dict& f, const Values& v) {
  Values patterns;
  for (const std::string& item : v) {
    for (std::string& p : sabot::split_table_patterns(item)) patterns.push_back(std::move(p));
  }
  f["tables"] = patterns;
}
void set_plugin_options(py::dict& f, const Values& v) {
  py::dict options;
  for (const std::string& option : v) {
    const size_t eq = option.find('=');
    if (eq == std::string::npos || eq == 0) {
      throw sabot::CdcError(sabot::ErrorKind::Config, "'" + option + "' must look like NAME=VALUE");
    }
    options[py::str(option.substr(0, eq))] = option.substr(eq + 1);
  }
  f["plugin_options"] = options;
}

const std::vector<SourceKey>& source_keys() {
  static const std::vector<SourceKey> keys = {
      {"dsn", SettingKind::String, as_string<kDsn>},
      {"slot", SettingKind::String, as_string<kSlot>},
      {"create-slot", SettingKind::Boolean, set_create_slot},
      {"plugin", SettingKind::String, as_string<kPlugin>},
      {"format-version", SettingKind::Integer, as_integer<kFormat>, 1, 2},
      {"publication", SettingKind::String, as_string<kPublication>},
      {"tables", SettingKind::StringList, set_tables},
      {"start-lsn", SettingKind::String, as_string<kStartLsn>},
      {"end-lsn", SettingKind::String, as_string<kEndLsn>},
      {"batch-size", SettingKind::Integer, as_integer<kBatchSize>, 1},
      {"status-interval-ms", SettingKind::Integer, as_integer<kStatusInterval>, 10, 3600000},
      {"max-batch-latency-ms", SettingKind::Integer, as_integer<kLatency>, 0, 3600000},
      {"plugin-option", SettingKind::StringList, set_plugin_options},
      {"heartbeat-ms", SettingKind::Integer, as_integer<kHeartbeat>, 0, 86400000},
      {"no-reconnect", SettingKind::Boolean, set_no_reconnect},
      {"reconnect-max-ms", SettingKind::Integer, as_integer<kReconnectMax>, 10, 3600000},
      {"reconnect-attempts", SettingKind::Integer, as_integer<kAttempts>, 0},
      {"spill-dir", SettingKind::String, as_string<kSpill>},
      {"memory-limit-mb", SettingKind::Integer, set_memory_limit, 1},
      {"snapshot", SettingKind::String, as_string<kSnapshot>},
      {"snapshot-workers", SettingKind::Integer, as_integer<kWorkers>, 1, 64},
      {"snapshot-chunk-rows", SettingKind::Integer, as_integer<kChunkRows>, 1, 100000000},
      {"snapshot-state", SettingKind::String, as_string<kSnapshotState>},
  };
  return keys;
}

// The CLI's other stream flags: where it writes and how it reports. Accepted, not used here.
const std::vector<sabot::SettingSpec>& cli_only_keys() {
  using K = SettingKind;
  static const std::vector<sabot::SettingSpec> keys = {
      {"output", K::String},
      {"sink", K::String},
      {"kafka-topic", K::String},
      {"kafka-message-topic", K::String},
      {"kafka-schema-topic", K::String},
      {"kafka-tombstones", K::Boolean},
      {"kafka-option", K::StringList},
      {"kafka-delivery-timeout-ms", K::Integer},
      {"kafka-exactly-once", K::Boolean},
      {"kafka-transactional-id", K::String},
      {"kafka-checkpoint-topic", K::String},
      {"kafka-group-max-events", K::Integer},
      {"kafka-group-max-bytes", K::Integer},
      {"kafka-group-max-ms", K::Integer},
      {"kafka-transaction-topic", K::String},
      {"nats-subject", K::String},
      {"nats-stream", K::String},
      {"nats-duplicate-window", K::Integer},
      {"nats-creds", K::String},
      {"nats-tls-ca", K::String},
      {"nats-tls-cert", K::String},
      {"nats-tls-key", K::String},
      {"nats-ack-timeout-ms", K::Integer},
      {"nats-retry-ms", K::Integer},
      {"redis-mode", K::String},
      {"redis-prefix", K::String},
      {"redis-ttl", K::StringList},
      {"redis-format", K::String},
      {"redis-stream-key", K::String},
      {"redis-key-columns", K::StringList},
      {"format", K::String},
      {"debezium-name", K::String},
      {"debezium-database", K::String},
      {"debezium-transaction-metadata", K::Boolean},
      {"sink-retry-max-ms", K::Integer},
      {"sink-retry-attempts", K::Integer},
      {"status-file", K::String},
      {"metrics-listen", K::String},
      {"warn-retained-bytes", K::Integer},
      {"log-format", K::String},
      {"log-level", K::String},
      {"quiet", K::Boolean},
  };
  return keys;
}

std::vector<sabot::SettingSpec> all_specs() {
  std::vector<sabot::SettingSpec> specs = cli_only_keys();
  for (const SourceKey& k : source_keys()) specs.push_back({k.key, k.kind});
  return specs;
}

const SourceKey* source_key(const std::string& key) {
  for (const SourceKey& k : source_keys()) {
    if (key == k.key) return &k;
  }
  return nullptr;
}

void check_range(const SourceKey& k, const std::string& text) {
  if (k.kind != SettingKind::Integer) return;
  const int64_t v = std::stoll(text);
  if (v >= k.min && v <= k.max) return;
  const std::string range =
      k.max == kNoLimit ? "at least " + std::to_string(k.min)
                        : "between " + std::to_string(k.min) + " and " + std::to_string(k.max);
  throw sabot::CdcError(sabot::ErrorKind::Config, "must be " + range + ", not " + text);
}

// Sets the fields of one setting, checked by the same code as the constructor's fields.
void apply_setting(py::dict& fields, const SourceKey& k, const sabot::PipelineSetting& s) {
  check_range(k, s.values.front());
  py::dict own;
  k.set(own, s.values);
  (void)config_from_fields(own);
  for (auto [name, value] : own) fields[name] = value;
}

const char* kind_word(SettingKind kind) {
  switch (kind) {
    case SettingKind::String:
      return "string";
    case SettingKind::Integer:
      return "integer";
    case SettingKind::Boolean:
      return "boolean";
    case SettingKind::StringList:
      return "list";
  }
  return "";
}

}  // namespace

py::dict config_fields_from_file(const std::string& path) {
  const sabot::PipelineFile file = sabot::load_pipeline_file(path, all_specs());
  py::dict fields;
  for (const sabot::PipelineSetting& s : file.settings) {
    const SourceKey* k = source_key(s.key);
    if (k == nullptr) continue;
    try {
      apply_setting(fields, *k, s);
    } catch (const sabot::CdcError& e) {
      throw sabot::CdcError(sabot::ErrorKind::Config, file.path + ":" + std::to_string(s.line) +
                                                          ": key '" + s.key + "': " + e.what());
    }
  }
  if (file.password) fields["password"] = *file.password;
  return fields;
}

py::dict pipeline_file_keys() {
  py::dict out;
  for (const sabot::SettingSpec& s : all_specs()) out[py::str(s.key)] = kind_word(s.kind);
  return out;
}

void bind_config_file(py::module_& m) {
  m.def("config_fields_from_file", &config_fields_from_file, py::arg("path"));
  m.def("pipeline_file_keys", &pipeline_file_keys);
}

}  // namespace sabot_py
