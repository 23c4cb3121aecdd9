// HeldEventStore: the changes of transactions the server sent before they ended — streamed
// in-progress transactions (Stream Start..Stream Stop blocks, protocol >= 2) and prepared
// transactions (Begin Prepare..Prepare, Stream Prepare; protocol >= 3) — held until the server
// says whether they committed.
//
// Each change is stored with the xid of the subtransaction that made it, so the abort of a
// subtransaction (ROLLBACK TO SAVEPOINT) drops exactly its changes.
//
// Memory: bytes_buffered() counts the changes held in memory (approximate heap footprint). With a
// spill directory, once that exceeds memory_limit_bytes the largest transaction's in-memory changes
// are appended to its spill file "sabot-pgoutput-<xid>.spill" in spill_dir, and replayed from it
// in order. Spill files are removed when their transaction commits or aborts, by clear() and the
// destructor, and — left over from a crashed run — by the constructor. So every store needs a
// spill directory of its own. Without a spill directory nothing is spilled and memory is not
// bounded.
//
// Errors: a spill directory that cannot be created or written (full disk, no permission) and a
// spill file that does not read back as written throw CdcError{LocalIo}. After append() or replay()
// threw, what the store holds is unspecified: clear() it (the decoder does).
// Not thread-safe; owned by one decoder.
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "sabot/change_event.hpp"

namespace sabot::spill {

class HeldEventStore {
 public:
  static constexpr size_t kDefaultMemoryLimit = size_t{64} * 1024 * 1024;

  explicit HeldEventStore(std::string spill_dir = {},
                           size_t memory_limit_bytes = kDefaultMemoryLimit);
  ~HeldEventStore();
  HeldEventStore(const HeldEventStore&) = delete;
  HeldEventStore& operator=(const HeldEventStore&) = delete;

  // Starts holding changes for xid (a transaction with no change yet is still "contained").
  void open(uint32_t xid) { tx_for(xid); }
  bool contains(uint32_t xid) const { return txs_.count(xid) != 0; }

  // Holds a change of transaction xid made by subtransaction subxid (== xid for the top level).
  // Opens xid if needed.
  void append(uint32_t xid, uint32_t subxid, ChangeEvent&& event);

  // Drops the changes subxid made within xid. Nothing happens for an unknown xid.
  void abort_subxact(uint32_t xid, uint32_t subxid);
  // Drops xid and all its changes.
  void abort_all(uint32_t xid);

  // Hands xid's surviving changes to `deliver` in the order appended, then forgets xid.
  // If `deliver` throws, xid is forgotten all the same.
  void replay(uint32_t xid, const std::function<void(ChangeEvent&&)>& deliver);
  // The same, collected into a vector.
  std::vector<ChangeEvent> take(uint32_t xid);

  // Forgets every transaction and removes every spill file.
  void clear();

  size_t bytes_buffered() const { return bytes_in_memory_; }
  uint64_t bytes_spilled() const { return bytes_spilled_; }  // currently in spill files
  size_t transaction_count() const { return txs_.size(); }
  size_t memory_limit_bytes() const { return memory_limit_; }
  const std::string& spill_dir() const { return spill_dir_; }

 private:
  struct Held {
    uint32_t subxid;
    ChangeEvent event;
    size_t bytes;
  };
  struct Tx {
    std::vector<Held> in_memory;
    size_t bytes_in_memory = 0;
    std::FILE* spill = nullptr;  // appended records, replayed before in_memory
    uint64_t spilled_bytes = 0;
    std::unordered_set<uint32_t> aborted_subxids;  // filters records already spilled
  };

  Tx& tx_for(uint32_t xid);
  void recycle(std::vector<Held>&& changes);
  void spill_largest();
  void spill(uint32_t xid, Tx& tx);
  void forget(uint32_t xid, Tx& tx);
  std::string spill_path(uint32_t xid) const;
  void remove_stale_spill_files();

  std::string spill_dir_;
  size_t memory_limit_;
  std::unordered_map<uint32_t, Tx> txs_;
  size_t bytes_in_memory_ = 0;
  uint64_t bytes_spilled_ = 0;
  std::string record_;  // reused serialization buffer
  // The change vector of the last transaction replayed, kept (up to kMaxSpareBytes) for the next
  // one: a big streamed transaction after another then grows no vector from scratch.
  std::vector<Held> spare_;
  static constexpr size_t kMaxSpareBytes = size_t{16} * 1024 * 1024;
};

}  // namespace sabot::spill
