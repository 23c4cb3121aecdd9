#include "spill/held_event_store.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "base/byte_arena.hpp"
#include "spill/event_record.hpp"
#include "sabot/error.hpp"

namespace sabot::spill {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kSpillPrefix = "sabot-held-";
// The name spill files had before the store served more than the pgoutput decoder.
constexpr std::string_view kLegacySpillPrefix = "sabot-pgoutput-";
constexpr std::string_view kSpillSuffix = ".spill";

}  // namespace

void HeldEventStore::throw_io(const std::string& what, const std::string& path) const {
  throw CdcError(ErrorKind::LocalIo,
                 fmt::format("{} spill: {} {}: {} (set the spill directory to a writable "
                             "directory with free space)",
                             owner_, what, path, std::strerror(errno)));
}

void HeldEventStore::throw_unreadable(const std::string& path, uint64_t offset,
                                      std::string_view what) const {
  throw CdcError(ErrorKind::LocalIo,
                 fmt::format("{} spill file {} {} at offset {}: it was changed or damaged while "
                             "sabot-cdc used it",
                             owner_, path, what, offset));
}

HeldEventStore::HeldEventStore(std::string owner, std::string spill_dir, size_t memory_limit_bytes)
    : owner_(std::move(owner)), spill_dir_(std::move(spill_dir)), memory_limit_(memory_limit_bytes) {
  if (!spill_dir_.empty()) remove_stale_spill_files();
}

HeldEventStore::~HeldEventStore() {
  for (auto& [xid, tx] : txs_) {
    if (tx.spill != nullptr) {
      std::fclose(tx.spill);
      std::error_code ec;
      fs::remove(spill_path(xid), ec);
    }
  }
}

void HeldEventStore::remove_stale_spill_files() {
  std::error_code ec;
  fs::create_directories(spill_dir_, ec);
  if (ec) {
    throw CdcError(ErrorKind::LocalIo, fmt::format("{} spill: cannot create directory {}: {}",
                                                   owner_, spill_dir_, ec.message()));
  }
  for (fs::directory_iterator it(spill_dir_, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    const bool ours = name.starts_with(kSpillPrefix) || name.starts_with(kLegacySpillPrefix);
    if (ours && name.ends_with(kSpillSuffix)) {
      std::error_code remove_ec;
      fs::remove(it->path(), remove_ec);
    }
  }
  if (ec) {
    throw CdcError(ErrorKind::LocalIo, fmt::format("{} spill: cannot list directory {}: {}",
                                                   owner_, spill_dir_, ec.message()));
  }
}

std::string HeldEventStore::spill_path(uint32_t xid) const {
  return fmt::format("{}/{}{}{}", spill_dir_, kSpillPrefix, xid, kSpillSuffix);
}

HeldEventStore::Tx& HeldEventStore::tx_for(uint32_t xid) {
  auto [it, inserted] = txs_.try_emplace(xid);
  if (inserted) it->second.in_memory = std::move(spare_);
  return it->second;
}

void HeldEventStore::recycle(std::vector<Held>&& changes) {
  changes.clear();
  if (changes.capacity() > spare_.capacity() &&
      changes.capacity() * sizeof(Held) <= kMaxSpareBytes) {
    spare_ = std::move(changes);
  }
}

void HeldEventStore::append(uint32_t xid, uint32_t subxid, ChangeEvent&& event) {
  Tx& tx = tx_for(xid);
  // Held events may wait long: they must not pin the decoder's shared buffers (memory bound).
  base::detach_event_storage(event);
  const size_t bytes = base::approximate_event_bytes(event);
  tx.in_memory.push_back(Held{subxid, std::move(event), bytes});
  tx.bytes_in_memory += bytes;
  bytes_in_memory_ += bytes;
  if (!spill_dir_.empty() && bytes_in_memory_ > memory_limit_) spill_largest();
}

void HeldEventStore::spill_largest() {
  auto largest = txs_.end();
  for (auto it = txs_.begin(); it != txs_.end(); ++it) {
    if (largest == txs_.end() || it->second.bytes_in_memory > largest->second.bytes_in_memory) {
      largest = it;
    }
  }
  if (largest != txs_.end() && largest->second.bytes_in_memory > 0) {
    spill(largest->first, largest->second);
  }
}

void HeldEventStore::spill(uint32_t xid, Tx& tx) {
  if (tx.spill == nullptr) {
    const std::string path = spill_path(xid);
    tx.spill = std::fopen(path.c_str(), "w+b");
    if (tx.spill == nullptr) throw_io("cannot create", path);
  }
  uint64_t written = 0;
  for (Held& held : tx.in_memory) {
    serialize_event_record(record_, held.subxid, held.event);
    if (std::fwrite(record_.data(), 1, record_.size(), tx.spill) != record_.size()) {
      throw_io("cannot write", spill_path(xid));
    }
    written += record_.size();
  }
  tx.spilled_bytes += written;
  bytes_spilled_ += written;
  bytes_in_memory_ -= tx.bytes_in_memory;
  tx.bytes_in_memory = 0;
  tx.in_memory.clear();  // keeps its capacity: the transaction goes on growing
}

void HeldEventStore::abort_subxact(uint32_t xid, uint32_t subxid) {
  auto it = txs_.find(xid);
  if (it == txs_.end()) return;
  Tx& tx = it->second;
  size_t dropped = 0;
  std::erase_if(tx.in_memory, [&](const Held& held) {
    if (held.subxid != subxid) return false;
    dropped += held.bytes;
    return true;
  });
  tx.bytes_in_memory -= dropped;
  bytes_in_memory_ -= dropped;
  if (tx.spill != nullptr) tx.aborted_subxids.insert(subxid);
}

void HeldEventStore::forget(uint32_t xid, Tx& tx) {
  recycle(std::move(tx.in_memory));
  bytes_in_memory_ -= tx.bytes_in_memory;
  bytes_spilled_ -= tx.spilled_bytes;
  if (tx.spill != nullptr) {
    std::fclose(tx.spill);
    std::error_code ec;
    fs::remove(spill_path(xid), ec);
  }
  txs_.erase(xid);
}

void HeldEventStore::abort_all(uint32_t xid) {
  auto it = txs_.find(xid);
  if (it != txs_.end()) forget(xid, it->second);
}

void HeldEventStore::replay(uint32_t xid, const std::function<void(ChangeEvent&&)>& deliver) {
  auto it = txs_.find(xid);
  if (it == txs_.end()) return;
  // Take the transaction out first so it is forgotten however delivery ends.
  auto node = txs_.extract(it);
  Tx& tx = node.mapped();
  bytes_in_memory_ -= tx.bytes_in_memory;
  bytes_spilled_ -= tx.spilled_bytes;
  struct CloseSpill {
    std::FILE* file;
    std::string path;
    ~CloseSpill() {
      if (file != nullptr) {
        std::fclose(file);
        std::error_code ec;
        fs::remove(path, ec);
      }
    }
  } close_spill{tx.spill, tx.spill != nullptr ? spill_path(xid) : std::string()};

  if (tx.spill != nullptr) {
    const std::string& path = close_spill.path;
    if (std::fflush(tx.spill) != 0 || std::fseek(tx.spill, 0, SEEK_SET) != 0) {
      throw_io("cannot rewind", path);
    }
    std::string body;
    for (uint64_t offset = 0; offset < tx.spilled_bytes;) {
      unsigned char len_bytes[4];
      if (std::fread(len_bytes, 1, 4, tx.spill) != 4) {
        throw_unreadable(path, offset, "is truncated");
      }
      const uint32_t len = (uint32_t{len_bytes[0]} << 24) | (uint32_t{len_bytes[1]} << 16) |
                           (uint32_t{len_bytes[2]} << 8) | uint32_t{len_bytes[3]};
      if (len > tx.spilled_bytes - offset - 4) {
        throw_unreadable(path, offset, "has a bad record length");
      }
      body.resize(len);
      if (std::fread(body.data(), 1, len, tx.spill) != len) {
        throw_unreadable(path, offset, "is truncated");
      }
      offset += 4 + len;
      uint32_t subxid = 0;
      ChangeEvent event;
      try {
        event = parse_event_record(body, subxid);
      } catch (const CdcError& e) {
        throw_unreadable(path, offset, fmt::format("has a bad record ({})", e.what()));
      }
      if (tx.aborted_subxids.count(subxid) == 0) deliver(std::move(event));
    }
  }
  for (Held& held : tx.in_memory) deliver(std::move(held.event));
  recycle(std::move(tx.in_memory));
}

std::vector<ChangeEvent> HeldEventStore::take(uint32_t xid) {
  std::vector<ChangeEvent> out;
  auto it = txs_.find(xid);
  if (it != txs_.end()) out.reserve(it->second.in_memory.size());
  replay(xid, [&](ChangeEvent&& e) { out.push_back(std::move(e)); });
  return out;
}

void HeldEventStore::clear() {
  while (!txs_.empty()) {
    auto it = txs_.begin();
    forget(it->first, it->second);
  }
  bytes_in_memory_ = 0;
  bytes_spilled_ = 0;
}

}  // namespace sabot::spill
