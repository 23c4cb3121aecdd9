#include "core/ack_tracker.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "sabot/error.hpp"

namespace sabot::core {

AckTracker::Ticket AckTracker::open_transaction() {
  if (entries_.empty()) front_ticket_ = next_ticket_;
  entries_.push_back(Entry{});
  return next_ticket_++;
}

AckTracker::Entry& AckTracker::entry(Ticket ticket) {
  // Tickets come only from open_transaction(), and a batch's owner is forgotten with its
  // transaction: any other ticket is a bug here, never something the server sent.
  if (ticket < front_ticket_ || ticket - front_ticket_ >= entries_.size()) {
    throw CdcError(ErrorKind::Internal,
                   fmt::format("acknowledgement ticket {} is not open (open: {} to {})", ticket,
                               front_ticket_, front_ticket_ + entries_.size()));
  }
  return entries_[ticket - front_ticket_];
}

void AckTracker::add_batch(Ticket ticket, uint64_t batch_id) {
  ++entry(ticket).outstanding_batches;
  batch_owner_.emplace(batch_id, ticket);
}

void AckTracker::commit_transaction(Ticket ticket, Lsn end_lsn) {
  Entry& e = entry(ticket);
  e.committed = true;
  e.end_lsn = end_lsn;
  pop_completed_prefix();
}

void AckTracker::abandon_open_transactions() {
  while (!entries_.empty() && !entries_.back().committed) entries_.pop_back();
  // Batches of abandoned transactions can no longer move the watermark.
  std::erase_if(batch_owner_, [this](const auto& kv) {
    return kv.second >= front_ticket_ + entries_.size();
  });
  next_ticket_ = front_ticket_ + entries_.size();
  pop_completed_prefix();
}

void AckTracker::reset_pending() {
  entries_.clear();
  batch_owner_.clear();
  front_ticket_ = next_ticket_;
}

bool AckTracker::acknowledge(uint64_t batch_id) {
  auto it = batch_owner_.find(batch_id);
  if (it == batch_owner_.end()) return false;
  const Ticket ticket = it->second;
  batch_owner_.erase(it);
  --entry(ticket).outstanding_batches;
  pop_completed_prefix();
  return true;
}

void AckTracker::pop_completed_prefix() {
  while (!entries_.empty() && entries_.front().committed &&
         entries_.front().outstanding_batches == 0) {
    watermark_ = std::max(watermark_, entries_.front().end_lsn);
    entries_.pop_front();
    ++front_ticket_;
  }
}

void AckTracker::advance_if_idle(Lsn server_position) {
  if (idle()) watermark_ = std::max(watermark_, server_position);
}

}  // namespace sabot::core
