#include "core/ready_queue.hpp"

#include <filesystem>

#include "base/byte_arena.hpp"
#include "sabot/error.hpp"

namespace sabot::core {

namespace {
// Overflowed events are stored (and loaded back) in chunks of about this many bytes: few spill
// files open at once (one per chunk), and one chunk in memory while the consumer catches up.
constexpr size_t kOverflowChunkBytes = 32 * 1024 * 1024;
// The overflow store spills as soon as it holds this much: every chunk it holds keeps the
// capacity of its in-memory vector after spilling, so that vector must stay small.
constexpr size_t kOverflowMemoryBytes = 256 * 1024;
}  // namespace

std::vector<ReadyQueue::BufferUse> ReadyQueue::chunks_of(const ChangeBatch& batch,
                                                         size_t& unpinned_bytes) const {
  std::vector<BufferUse> chunks;
  const void* previous = nullptr;
  for (const ChangeEvent& event : batch.events) {
    const void* owner = event.storage.values.get();
    if (owner == nullptr || owner == previous) continue;  // events come in buffer order
    previous = owner;
    const size_t bytes = base::ByteArena::chunk_bytes(event.storage.values);
    if (bytes == 0) continue;
    chunks.push_back(BufferUse{owner, bytes});
    if (pinned_.count(owner) == 0) unpinned_bytes += bytes;
  }
  return chunks;
}

void ReadyQueue::pin(const std::vector<BufferUse>& chunks) {
  for (const BufferUse& chunk : chunks) {
    if (pinned_[chunk.owner]++ == 0) ready_bytes_ += chunk.bytes;
  }
}

void ReadyQueue::unpin(const std::vector<BufferUse>& chunks) {
  for (const BufferUse& chunk : chunks) {
    auto it = pinned_.find(chunk.owner);
    if (it == pinned_.end() || --it->second > 0) continue;
    ready_bytes_ -= chunk.bytes;
    pinned_.erase(it);
  }
}

void ReadyQueue::push(ChangeBatch&& batch, size_t bytes) {
  size_t unpinned_bytes = 0;
  std::vector<BufferUse> chunks = chunks_of(batch, unpinned_bytes);
  if (overflow_.empty() &&
      (ready_.empty() || ready_bytes_ + bytes + unpinned_bytes <= max_bytes_)) {
    ready_bytes_ += bytes;
    pin(chunks);
    ready_.push_back(InMemory{std::move(batch), bytes, std::move(chunks)});
    return;
  }
  overflow(std::move(batch), bytes);
}

// The consumer is behind by more than max_bytes.
void ReadyQueue::overflow(ChangeBatch&& batch, size_t bytes) {
  if (!overflow_store_) {
    overflow_store_ = std::make_unique<spill::HeldEventStore>(
        "the ready-batch overflow", overflow_dir_, kOverflowMemoryBytes);
  }
  if (filling_chunk_bytes_ >= kOverflowChunkBytes) {
    ++filling_chunk_;
    filling_chunk_bytes_ = 0;
  }
  Overflowed entry{ChangeBatch{}, batch.events.size(), filling_chunk_};
  for (ChangeEvent& event : batch.events) {
    overflow_store_->append(filling_chunk_, filling_chunk_, std::move(event));
  }
  batch.events.clear();
  batch.events.shrink_to_fit();
  entry.header = std::move(batch);
  filling_chunk_bytes_ += bytes;
  overflow_.push_back(std::move(entry));
}

ChangeBatch ReadyQueue::pop() {
  if (ready_.empty()) return pop_overflowed();
  ChangeBatch batch = std::move(ready_.front().batch);
  ready_bytes_ -= ready_.front().bytes;
  unpin(ready_.front().chunks);
  ready_.pop_front();
  return batch;
}

ChangeBatch ReadyQueue::pop_overflowed() {
  if (overflow_.empty()) {  // callers ask empty() first
    throw CdcError(ErrorKind::Internal, "a batch was taken from an empty ready queue");
  }
  Overflowed& entry = overflow_.front();
  if (loaded_next_ == loaded_events_.size()) {
    // Load the next chunk; if it is still being filled, close it: later batches start another.
    if (entry.chunk == filling_chunk_) {
      ++filling_chunk_;
      filling_chunk_bytes_ = 0;
    }
    loaded_events_ = overflow_store_->take(entry.chunk);
    loaded_chunk_ = entry.chunk;
    loaded_next_ = 0;
  }
  if (entry.chunk != loaded_chunk_ || loaded_events_.size() - loaded_next_ < entry.event_count) {
    // No input can cause this (the store gives back what it was given): a bug in sabot-cdc.
    throw CdcError(ErrorKind::Internal, "overflow store lost events of a ready batch");
  }
  ChangeBatch batch = std::move(entry.header);
  const auto first = loaded_events_.begin() + static_cast<std::ptrdiff_t>(loaded_next_);
  const auto last = first + static_cast<std::ptrdiff_t>(entry.event_count);
  batch.events.assign(std::make_move_iterator(first), std::make_move_iterator(last));
  loaded_next_ += entry.event_count;
  overflow_.pop_front();
  if (loaded_next_ == loaded_events_.size()) {
    loaded_events_ = {};  // give the chunk's memory back now
    loaded_next_ = 0;
  }
  if (overflow_.empty()) close_overflow();
  return batch;
}

void ReadyQueue::close_overflow() {
  overflow_.clear();
  overflow_store_.reset();  // removes its spill files
  loaded_events_ = {};
  loaded_next_ = 0;
  filling_chunk_bytes_ = 0;
  if (!overflow_dir_.empty()) {
    std::error_code ignored;
    std::filesystem::remove(overflow_dir_, ignored);  // only if empty; leaves nothing behind
  }
}

void ReadyQueue::clear() {
  ready_.clear();
  ready_bytes_ = 0;
  pinned_.clear();
  close_overflow();
}

}  // namespace sabot::core
