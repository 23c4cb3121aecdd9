// The consistency logic of table snapshots (DESIGN: no change lost, none delivered out of order),
// free of I/O so it can be tested on its own.
//
// A chunk of a table is read by another connection inside a REPEATABLE READ transaction whose
// MVCC snapshot S is known (pg_current_snapshot()). Around it, two logical messages are written:
// the low watermark L before S is taken, the high watermark H right after. The stream delivers in
// commit order, so:
//   - every transaction visible in S committed before H (it committed before S was taken);
//   - every transaction invisible in S committed after L — except one in the middle of
//     committing while S was taken (its commit record written before L, its end not yet
//     published). RecentTransactions detects that case; the chunk is then read again.
// At H the chunk's rows are delivered as reads, except those of keys an invisible transaction
// changed between L and H: the stream already delivered a newer state of those. A row's read is
// therefore never older than a change delivered before it, and every change after it is newer.
// If such an invisible change did not carry the whole row (an unchanged TOAST value), the chunk
// is read again instead, so no consumer is left holding a row it never had every value of.
//
// Thread-safety: none; one thread (the stream's) drives these objects.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace sabot::core {

// An MVCC snapshot as pg_current_snapshot() prints it: "xmin:xmax:xip1,xip2,...", 64-bit ids.
class XidSnapshot {
 public:
  // Throws CdcError{Protocol} on text that is not a snapshot.
  static XidSnapshot parse(std::string_view text);

  // Whether the committed transaction with 32-bit id `xid` (as the stream reports it) is
  // visible in the snapshot. Ids are placed in the snapshot's epoch, so wraparound is handled.
  bool visible(uint32_t xid) const;
  // The in-progress ids, as 32-bit stream ids.
  std::vector<uint32_t> in_progress() const;

  uint64_t xmin = 0;
  uint64_t xmax = 0;
  std::vector<uint64_t> xip;  // sorted

 private:
  uint64_t widen(uint32_t xid) const;
};

// The ids of the transactions the stream delivered lately, in order, up to a bound; each with the
// stream's running count at its begin, so "delivered before watermark L" can be asked.
class RecentTransactions {
 public:
  explicit RecentTransactions(size_t capacity = 65536) : capacity_(capacity) {}
  void add(uint32_t xid);
  uint64_t count() const { return count_; }
  // Whether `xid` began before the stream's count reached `mark` (and is still remembered).
  bool delivered_before(uint32_t xid, uint64_t mark) const;

 private:
  size_t capacity_;
  uint64_t count_ = 0;
  std::deque<uint32_t> order_;
  std::unordered_map<uint32_t, uint64_t> position_;  // xid -> count at its begin
};

// What the stream showed of one chunk's table between L and H: the keys each transaction touched.
// A key is the row's key columns' text, joined (see row_key()); for tables without a key, the
// whole row, and then each change names the row it removed once.
class ChunkWindow {
 public:
  void note(uint32_t xid, std::string key) { touched_[xid].push_back(std::move(key)); }
  // `xid` changed a row of the table without sending all of its values (an update that left a
  // TOAST value unchanged): if the snapshot does not see it, dropping the row's read in its
  // favour would leave a consumer without that value.
  void note_incomplete(uint32_t xid) { incomplete_.insert(xid); }
  // Whether a transaction noted incomplete is invisible in `snapshot`: the chunk must be read
  // again (a new snapshot then sees that transaction, and its reads carry every value).
  bool lacks_values(const XidSnapshot& snapshot) const;
  // The keys touched by transactions invisible in `snapshot`, with how often each was touched.
  std::unordered_map<std::string, uint32_t> superseded(const XidSnapshot& snapshot) const;
  // Whether a transaction the snapshot does not see was delivered before L (see the file
  // comment): the chunk must then be read again.
  static bool raced(const XidSnapshot& snapshot, const RecentTransactions& recent,
                    uint64_t low_mark);

 private:
  std::unordered_map<uint32_t, std::vector<std::string>> touched_;
  std::unordered_set<uint32_t> incomplete_;
};

// Appends one key part: the text with '\' and the separator escaped, then the separator; NULL is
// "\N". Equal rows give equal keys, different ones different keys.
void append_key_part(std::string& key, const std::string_view* text);

}  // namespace sabot::core
