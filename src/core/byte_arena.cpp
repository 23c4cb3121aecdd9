#include "core/byte_arena.hpp"

#include <cstring>
#include <string>
#include <vector>

#include "sabot/change_event.hpp"

namespace sabot::core {

struct ByteArena::Chunk {
  std::unique_ptr<char[]> bytes;
  // The chunk a record started in, when it spilled over into this one.
  std::shared_ptr<const Chunk> previous;
};

void ByteArena::new_chunk(size_t at_least) {
  const size_t size = at_least > chunk_bytes_ ? at_least : chunk_bytes_;
  auto chunk = std::make_shared<Chunk>();
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

// Everything an event's views point at, laid out in one buffer.
struct DetachedEvent {
  std::string bytes;
  std::vector<std::string> key_columns;
};

size_t view_bytes(const std::vector<Column>& columns) {
  size_t n = 0;
  for (const Column& c : columns) {
    n += c.name.size() + c.type_name.size();
    if (!c.value.is_null()) n += c.value.text().size();
  }
  return n;
}

}  // namespace

void detach_event_storage(ChangeEvent& event) {
  auto detached = std::make_shared<DetachedEvent>();
  std::string& bytes = detached->bytes;
  bytes.reserve(event.schema.size() + event.table.size() + view_bytes(event.columns) +
                (event.old ? view_bytes(*event.old) : 0));
  // Appending never reallocates (reserved above), so views taken along the way stay valid.
  auto keep = [&bytes](std::string_view s) -> std::string_view {
    const size_t at = bytes.size();
    bytes.append(s);
    return std::string_view(bytes).substr(at, s.size());
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
  detached->key_columns.assign(event.key_columns.begin(), event.key_columns.end());
  event.key_columns = detached->key_columns;
  event.storage.names = detached;
  event.storage.values = detached;
}

}  // namespace sabot::core
