#include "core/snapshot_window.hpp"

#include <algorithm>
#include <charconv>

#include <fmt/format.h>

#include "sabot/error.hpp"

namespace sabot::core {

namespace {

uint64_t parse_xid8(std::string_view text, std::string_view whole) {
  uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) {
    throw CdcError(ErrorKind::Protocol,
                   fmt::format("\"{}\" is not a snapshot as pg_current_snapshot() prints it", whole));
  }
  return value;
}

}  // namespace

XidSnapshot XidSnapshot::parse(std::string_view text) {
  const size_t first = text.find(':');
  const size_t second = first == std::string_view::npos ? first : text.find(':', first + 1);
  if (second == std::string_view::npos) {
    throw CdcError(ErrorKind::Protocol,
                   fmt::format("\"{}\" is not a snapshot as pg_current_snapshot() prints it", text));
  }
  XidSnapshot snapshot;
  snapshot.xmin = parse_xid8(text.substr(0, first), text);
  snapshot.xmax = parse_xid8(text.substr(first + 1, second - first - 1), text);
  std::string_view rest = text.substr(second + 1);
  while (!rest.empty()) {
    const size_t comma = rest.find(',');
    snapshot.xip.push_back(parse_xid8(rest.substr(0, comma), text));
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
  }
  std::sort(snapshot.xip.begin(), snapshot.xip.end());
  return snapshot;
}

uint64_t XidSnapshot::widen(uint32_t xid) const {
  // The id nearest to xmax with these low 32 bits: transactions the stream reports are within
  // 2^31 of any current snapshot (PostgreSQL's own wraparound limit).
  const auto delta = static_cast<int32_t>(xid - static_cast<uint32_t>(xmax));
  return xmax + static_cast<uint64_t>(static_cast<int64_t>(delta));
}

bool XidSnapshot::visible(uint32_t xid) const {
  const uint64_t full = widen(xid);
  if (full < xmin) return true;
  if (full >= xmax) return false;
  return !std::binary_search(xip.begin(), xip.end(), full);
}

std::vector<uint32_t> XidSnapshot::in_progress() const {
  std::vector<uint32_t> ids;
  ids.reserve(xip.size());
  for (uint64_t id : xip) ids.push_back(static_cast<uint32_t>(id));
  return ids;
}

void RecentTransactions::add(uint32_t xid) {
  if (order_.size() == capacity_) {
    const uint32_t oldest = order_.front();
    order_.pop_front();
    auto it = position_.find(oldest);
    if (it != position_.end() && it->second + capacity_ <= count_) position_.erase(it);
  }
  order_.push_back(xid);
  position_[xid] = count_++;
}

bool RecentTransactions::delivered_before(uint32_t xid, uint64_t mark) const {
  const auto it = position_.find(xid);
  return it != position_.end() && it->second < mark;
}

std::unordered_map<std::string, uint32_t> ChunkWindow::superseded(
    const XidSnapshot& snapshot) const {
  std::unordered_map<std::string, uint32_t> keys;
  for (const auto& [xid, touched] : touched_) {
    if (snapshot.visible(xid)) continue;
    for (const std::string& key : touched) ++keys[key];
  }
  return keys;
}

bool ChunkWindow::lacks_values(const XidSnapshot& snapshot) const {
  for (uint32_t xid : incomplete_) {
    if (!snapshot.visible(xid)) return true;
  }
  return false;
}

bool ChunkWindow::raced(const XidSnapshot& snapshot, const RecentTransactions& recent,
                        uint64_t low_mark) {
  for (uint32_t xid : snapshot.in_progress()) {
    if (recent.delivered_before(xid, low_mark)) return true;
  }
  return false;
}

void append_key_part(std::string& key, const std::string_view* text) {
  if (text == nullptr) {
    key += "\\N\x1f";
    return;
  }
  for (char c : *text) {
    if (c == '\\' || c == '\x1f') key += '\\';
    key += c;
  }
  key += '\x1f';
}

}  // namespace sabot::core
