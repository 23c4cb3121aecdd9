#include "base/byte_arena.hpp"

#include <atomic>
#include <cstring>
#include <string>
#include <vector>

#include "sabot/change_event.hpp"

namespace sabot::base {

struct ByteArena::Chunk {
  std::unique_ptr<char[]> bytes;
  // The chunk a record started in, when it spilled over into this one.
  std::shared_ptr<const Chunk> previous;
};

namespace {
// Deletes a chunk; being of this type is also what marks a shared_ptr as owning a chunk.
struct ChunkDeleter {
  size_t capacity;
  template <typename T>
  void operator()(T* chunk) const noexcept {
    delete chunk;
  }
};
}  // namespace

size_t ByteArena::chunk_bytes(const std::shared_ptr<const void>& owner) {
  const ChunkDeleter* deleter = std::get_deleter<ChunkDeleter>(owner);
  return deleter != nullptr ? deleter->capacity : 0;
}

void ByteArena::new_chunk(size_t at_least) {
  const size_t size = at_least > chunk_bytes_ ? at_least : chunk_bytes_;
  std::shared_ptr<Chunk> chunk(new Chunk{}, ChunkDeleter{size});
  chunk->bytes.reset(new char[size]);
  if (chunk_ && used_ > record_start_) chunk->previous = chunk_;  // the record's earlier bytes
  chunk_ = std::move(chunk);
  owner_ = chunk_;
  data_ = chunk_->bytes.get();
  capacity_ = size;
  used_ = 0;
  record_start_ = 0;
}

void ByteArena::begin_record(size_t bytes) {
  // Reuse: only chunk_ and owner_ hold the chunk, so no event points into it any more.
  if (owner_ && owner_.use_count() == 2) {
    // use_count() is a relaxed read: order the last reader's accesses (in whatever thread it
    // dropped its event) before the writes that reuse the chunk.
    std::atomic_thread_fence(std::memory_order_acquire);
    used_ = 0;
    chunk_->previous.reset();
  }
  record_start_ = used_;
  if (!owner_ || capacity_ - used_ < bytes) new_chunk(bytes);
}

char* ByteArena::reserve_in_chunk(size_t bytes) {
  if (!owner_ || capacity_ - used_ < bytes) new_chunk(bytes);
  char* out = data_ + used_;
  used_ += bytes;
  return out;
}

std::string_view ByteArena::copy(std::string_view bytes) {
  if (bytes.empty()) return {};
  char* out = reserve_in_chunk(bytes.size());
  std::memcpy(out, bytes.data(), bytes.size());
  return {out, bytes.size()};
}

std::string_view ByteArena::copy_concat(std::string_view a, std::string_view b) {
  const size_t size = a.size() + b.size();
  if (size == 0) return {};
  char* out = reserve_in_chunk(size);
  if (!a.empty()) std::memcpy(out, a.data(), a.size());
  if (!b.empty()) std::memcpy(out + a.size(), b.data(), b.size());
  return {out, size};
}

namespace {

size_t view_bytes(const std::vector<Column>& columns) {
  size_t n = 0;
  for (const Column& c : columns) {
    n += c.name.size() + c.type_name.size();
    if (!c.value.is_null()) n += c.value.text().size();
  }
  return n;
}

// Key column names an event does not own through storage.names: copied into a list of its own.
struct OwnedKeys {
  std::vector<std::string> names;
};

}  // namespace

void detach_event_storage(ChangeEvent& event) {
  const size_t size = event.schema.size() + event.table.size() + view_bytes(event.columns) +
                      (event.old ? view_bytes(*event.old) : 0);
  std::shared_ptr<char[]> buffer = std::make_shared_for_overwrite<char[]>(size + 1);
  size_t used = 0;
  auto keep = [&buffer, &used](std::string_view s) -> std::string_view {
    if (s.empty()) return std::string_view(buffer.get(), 0);
    std::memcpy(buffer.get() + used, s.data(), s.size());
    used += s.size();
    return {buffer.get() + used - s.size(), s.size()};
  };
  auto keep_columns = [&keep](std::vector<Column>& columns) {
    for (Column& c : columns) {
      c.name = keep(c.name);
      c.type_name = keep(c.type_name);
      if (!c.value.is_null()) c.value = Value::view(keep(c.value.text()));
    }
  };
  event.schema = keep(event.schema);
  event.table = keep(event.table);
  keep_columns(event.columns);
  if (event.old) keep_columns(*event.old);
  std::shared_ptr<const void> bytes(buffer, buffer.get());
  if (event.storage.names || event.key_columns.empty()) {
    // Decoders keep key_columns in storage.names, a small description shared by every event of
    // the table: holding on to it pins nothing big.
    event.storage.values = std::move(bytes);
    return;
  }
  // Owners stay separate: detaching the event again replaces storage.values and frees this
  // buffer, while the copied key names stay with storage.names.
  auto keys = std::make_shared<OwnedKeys>();
  keys->names.assign(event.key_columns.begin(), event.key_columns.end());
  event.key_columns = keys->names;
  event.storage.names = std::move(keys);
  event.storage.values = std::move(bytes);
}

namespace {

size_t string_bytes(const std::string& s) {
  // Short strings live inside the std::string object (small-string optimisation).
  return s.capacity() > 15 ? s.capacity() + 1 : 0;
}

// Views count whole: a held event owns a copy of everything it views (detach_event_storage), and
// an event in a batch shares buffers whose pinned size the assembler counts separately.
size_t columns_bytes(const std::vector<Column>& columns) {
  size_t bytes = columns.capacity() * sizeof(Column);
  for (const Column& c : columns) {
    bytes += c.name.size() + c.type_name.size();
    if (!c.value.is_null()) bytes += c.value.text().size();
  }
  return bytes;
}

}  // namespace

size_t approximate_event_bytes(const ChangeEvent& e) {
  // Every heap block also costs its allocator header and, for the detached buffer, the
  // shared_ptr control block.
  constexpr size_t kBlockOverhead = 32;
  size_t bytes = sizeof(ChangeEvent) + e.schema.size() + e.table.size() + kBlockOverhead +
                 columns_bytes(e.columns) + kBlockOverhead + string_bytes(e.message_prefix) +
                 string_bytes(e.message_content) + string_bytes(e.ddl);
  if (e.old) bytes += columns_bytes(*e.old) + kBlockOverhead;
  if (!e.storage.names) {  // key names of its own (else shared with the table's other events)
    bytes += e.key_columns.size() * sizeof(std::string) + kBlockOverhead;
    for (const std::string& k : e.key_columns) bytes += string_bytes(k);
  }
  if (e.table_schema) {
    bytes += sizeof(TableSchema) + e.table_schema->columns.size() * sizeof(SchemaColumn);
  }
  return bytes;
}

}  // namespace sabot::base
