// ByteArena: copies byte strings into shared chunks, so the values of many events share a few
// allocations instead of one std::string each.
//
// Ownership: each chunk is reference-counted. owner() is the current chunk's owner: an event whose
// values were copied since the last begin_record() keeps it (ChangeEvent::storage.values), and the
// chunk is freed when the last such event and the arena let go of it. When the arena holds the
// only reference to its current chunk (every event written into it is gone), begin_record()
// reuses the chunk from its start: a consumer that keeps up decodes with no allocation at all.
//
// A chunk stays alive while any event in it does: code that holds a few events for long (the
// streamed-transaction store) copies them out with detach_event_storage() instead.
// Not thread-safe: one decoder owns one arena. The chunks themselves are immutable once written
// and may be read from any thread.
#pragma once

#include <cstddef>
#include <memory>
#include <string_view>

namespace sabot {
struct ChangeEvent;
}

namespace sabot::base {

class ByteArena {
 public:
  static constexpr size_t kDefaultChunkBytes = size_t{256} * 1024;
  explicit ByteArena(size_t chunk_bytes = kDefaultChunkBytes) : chunk_bytes_(chunk_bytes) {}

  // Starts the bytes of one event (or one message): the next `bytes` copied land in a single
  // chunk, so one owner() keeps them all.
  void begin_record(size_t bytes);
  // Copies bytes into the current chunk and returns a view of the copy. When they do not fit in
  // what begin_record() reserved, a new chunk is started that keeps the previous one alive, so
  // owner() still keeps every byte of the record.
  std::string_view copy(std::string_view bytes);
  // The same for the concatenation a + b, in one view.
  std::string_view copy_concat(std::string_view a, std::string_view b);
  // Owner of the current chunk.
  const std::shared_ptr<const void>& owner() const { return owner_; }

  // The size of the arena chunk `owner` keeps alive (what an event holding it pins), or 0 when
  // `owner` is not a chunk of any ByteArena (a detached event's own buffer, nullptr, ...).
  static size_t chunk_bytes(const std::shared_ptr<const void>& owner);

 private:
  struct Chunk;
  char* reserve_in_chunk(size_t bytes);
  void new_chunk(size_t at_least);

  size_t chunk_bytes_;
  std::shared_ptr<Chunk> chunk_;
  std::shared_ptr<const void> owner_;  // the same object as chunk_, as handed to events
  char* data_ = nullptr;
  size_t capacity_ = 0;
  size_t used_ = 0;
  size_t record_start_ = 0;  // where the current record began in the current chunk
};

// Rewrites `event` so that its schema, table, column names, type names and values point into one
// buffer of its own (storage.values): the event then pins no buffer it shared with other events.
// key_columns stay with storage.names (the table's small shared description) when that is set,
// and are copied otherwise. One allocation (two for keys without storage.names).
void detach_event_storage(ChangeEvent& event);

// Approximate heap footprint of an event (its vectors, strings, the bytes it views and the
// allocations holding them), for the byte limits of batches, ready queues and held transactions.
size_t approximate_event_bytes(const ChangeEvent& event);

}  // namespace sabot::base
