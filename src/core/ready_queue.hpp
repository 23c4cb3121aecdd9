// ReadyQueue: the batches the assembler made ready and the consumer has not taken yet, oldest
// first, in bounded memory (contract 3).
//
// Up to about max_bytes of batches stay in memory. Their bytes are the events' own (the
// assembler's estimate) plus, once each, every decoder buffer (ByteArena chunk) they keep alive —
// so a few kept events spread over many buffers (their neighbours filtered out) cannot pin
// unbounded memory. Beyond that, batches wait in an overflow store that spills to files in the
// overflow directory (FIFO after the in-memory ones: once a batch overflowed, later ones follow it
// there until it is empty). One decode() call can make millions of batches ready at once: a
// streamed (pgoutput) transaction is handed over whole at its Stream Commit.
//
// Errors: the overflow store's CdcError{LocalIo} (directory not writable, disk full, a spill file
// that does not read back). Not thread-safe: owned by one assembler.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "sabot/change_batch.hpp"
#include "spill/held_event_store.hpp"

namespace sabot::core {

class ReadyQueue {
 public:
  explicit ReadyQueue(size_t max_bytes) : max_bytes_(max_bytes) {}

  // Where batches beyond max_bytes spill (created when first needed; must be used by nothing
  // else). Empty (the default): they stay in memory.
  void set_overflow_directory(std::string dir) { overflow_dir_ = std::move(dir); }

  // `bytes`: the estimate of the batch's events (base::approximate_event_bytes).
  void push(ChangeBatch&& batch, size_t bytes);
  bool empty() const { return ready_.empty() && overflow_.empty(); }
  ChangeBatch pop();  // the oldest; the queue must not be empty
  // Forgets every batch; removes the overflow's files and directory.
  void clear();

 private:
  struct BufferUse {
    const void* owner;  // ChangeEvent::storage.values of the events that hold it
    size_t bytes;       // ByteArena::chunk_bytes()
  };
  struct InMemory {
    ChangeBatch batch;
    size_t bytes;                   // approximate_event_bytes() of its events
    std::vector<BufferUse> chunks;  // decoder buffers its events hold (see pinned_)
  };
  // A batch waiting in the overflow store: its events are in chunk `chunk` of the store.
  struct Overflowed {
    ChangeBatch header;  // without events
    size_t event_count;
    uint32_t chunk;
  };

  // The buffers `batch` holds; adds to unpinned_bytes the size of those not pinned yet.
  std::vector<BufferUse> chunks_of(const ChangeBatch& batch, size_t& unpinned_bytes) const;
  void pin(const std::vector<BufferUse>& chunks);
  void unpin(const std::vector<BufferUse>& chunks);
  void overflow(ChangeBatch&& batch, size_t bytes);
  ChangeBatch pop_overflowed();
  void close_overflow();

  size_t max_bytes_;
  std::deque<InMemory> ready_;
  size_t ready_bytes_ = 0;  // events' approximate bytes + pinned chunks
  // The decoders' buffers in-memory batches keep alive -> how many of those batches hold each.
  std::unordered_map<const void*, size_t> pinned_;
  // Overflow: events are stored in chunks of about kOverflowChunkBytes, one loaded at a time.
  std::string overflow_dir_;
  std::unique_ptr<spill::HeldEventStore> overflow_store_;
  std::deque<Overflowed> overflow_;
  uint32_t filling_chunk_ = 1;
  size_t filling_chunk_bytes_ = 0;
  uint32_t loaded_chunk_ = 0;
  std::vector<ChangeEvent> loaded_events_;
  size_t loaded_next_ = 0;
};

}  // namespace sabot::core
