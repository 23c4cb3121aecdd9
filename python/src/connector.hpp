// The native connector behind sabot_cdc.PostgreSQLCDCConnector (sabot_cdc/connector.py).
//
// Threading: PostgresCdcConnector is driven by one thread at a time. The Python side runs open(),
// next_batch() and close() on a worker thread (so asyncio's loop and Ctrl-C stay responsive) and
// acknowledges from the consumer's thread. `drive_` serialises every call into the engine; an
// acknowledgement made while next_batch() is blocked waiting is queued and applied by the driving
// thread as soon as that call returns (and at close()), never lost.
#pragma once

#include <pybind11/pybind11.h>

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "batch.hpp"
#include "sabot/connector.hpp"
#include "sabot/schema.hpp"

namespace sabot_py {

class Connector {
 public:
  explicit Connector(sabot::PostgresCdcConfig config) : connector_(std::move(config)) {}

  void open();                      // GIL released
  std::optional<Batch> next_batch();  // GIL released while waiting and decoding
  void acknowledge(uint64_t batch_id);
  void request_stop() noexcept { connector_.request_stop(); }
  void close();  // GIL released

  // Called when Python hands a batch to the consumer (the worker may already be fetching the
  // next one): table_schema() then describes the tables as of that batch.
  void handed_out(const Batch& batch);

  // Snapshots: request_snapshot opens its own connection (GIL released), callable from any
  // thread; snapshot_progress reads the engine's locked progress, also from any thread.
  std::string request_snapshot(const std::vector<std::string>& patterns);
  std::vector<sabot::PostgresCdcConnector::SnapshotProgress> snapshot_progress() const {
    return connector_.snapshot_progress();
  }
  // Before the first next_batch(): what the consumer already holds (sabot/connector.hpp).
  void set_consumer_checkpoint(const std::string& commit_lsn, uint32_t seq);

  sabot::StreamStats stats();
  std::shared_ptr<const sabot::TableSchema> table_schema(const std::string& schema,
                                                         const std::string& table);
  std::vector<std::shared_ptr<const sabot::TableSchema>> schemas();

 private:
  void apply_pending_acks();  // with drive_ held

  sabot::PostgresCdcConnector connector_;
  std::mutex drive_;
  std::mutex acks_mutex_;
  std::vector<uint64_t> pending_acks_;
  std::mutex state_mutex_;  // guards the two copies below, read from any thread
  sabot::StreamStats stats_;
  sabot::SchemaRegistry schemas_;
};

void bind_connector(pybind11::module_& m);

}  // namespace sabot_py
