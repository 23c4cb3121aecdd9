// ChangeBatch: consecutive events of ONE transaction. A batch never mixes transactions; a
// transaction larger than batch_size spans several batches, the first flagged
// first_in_transaction and the last flagged last_in_transaction.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sabot/change_event.hpp"
#include "sabot/lsn.hpp"

namespace sabot {

struct ChangeBatch {
  uint32_t transaction_id = 0;
  Lsn commit_lsn;        // the commit record's LSN (see ChangeEvent::commit_lsn)
  Lsn end_lsn;           // end of the commit record: the slot position once this tx is acknowledged
  Timestamp commit_time{};
  std::vector<ChangeEvent> events;
  bool first_in_transaction = true;
  bool last_in_transaction = true;
  uint64_t batch_id = 0;  // increasing per connector; what acknowledge() refers to

  // Snapshot batches hold only Op::Read events of one table (snapshot_schema.snapshot_table), read
  // by a snapshot rather than decoded from the WAL; transaction_id is then 0, commit_lsn/end_lsn
  // are the stream position the rows' state is as of, and first/last_in_transaction are true.
  bool from_snapshot = false;
  std::string snapshot_schema;
  std::string snapshot_table;

  size_t size() const { return events.size(); }
  bool empty() const { return events.empty(); }
  auto begin() const { return events.begin(); }
  auto end() const { return events.end(); }
};

}  // namespace sabot
