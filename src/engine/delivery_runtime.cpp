#include "engine/delivery_runtime.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <thread>
#include <utility>

#include "base/column_pool.hpp"
#include "sabot/error.hpp"

namespace sabot::engine {

namespace {

// How often a waiting retry sends the server a status update (keep_alive() only sends when one
// is due: every status_interval).
constexpr std::chrono::milliseconds kKeepAliveStep{200};
constexpr size_t kEventOverheadBytes = 64;

// Thrown out of a retry wait when the connector was asked to stop; run() ends quietly.
struct StopRequested {};

EventPosition batch_start(const ChangeBatch& batch) {
  if (batch.events.empty()) return EventPosition{batch.commit_lsn, 0};
  return position_of(batch.events.front());
}

std::string what_of(std::exception_ptr error) {
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "an unknown exception";
  }
}

// The error run_sink throws: the sink's kind when it threw a CdcError (Consumer otherwise), its
// words, the sink's name and where the batch starts.
CdcError final_error(const Sink& sink, const char* what, const ChangeBatch& at,
                     std::exception_ptr error, int attempts) {
  ErrorKind kind = ErrorKind::Consumer;
  std::string sqlstate;
  try {
    std::rethrow_exception(error);
  } catch (const CdcError& e) {
    kind = e.kind();
    sqlstate = e.sqlstate();
  } catch (...) {
  }
  const EventPosition start = batch_start(at);
  const std::string tries = attempts > 0 ? fmt::format(", after {} retries", attempts) : "";
  return CdcError(kind,
                  fmt::format("the sink's {} failed: {} (sink: {}; batch starting at commit_lsn "
                              "{} seq {}{}; it was not acknowledged and comes again on the next "
                              "run)",
                              what, what_of(error), sink.name(), start.commit_lsn.to_string(),
                              start.seq, tries),
                  sqlstate, start.commit_lsn);
}

bool retryable(const Sink& sink, std::exception_ptr error) {
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    return sink.is_retryable(e);
  } catch (...) {
    return false;
  }
}

size_t columns_bytes(const std::vector<Column>& columns) {
  size_t bytes = 0;
  for (const Column& column : columns) {
    if (const auto text = column.value.text_or_null()) bytes += text->size();
  }
  return bytes;
}

}  // namespace

size_t batch_value_bytes(const ChangeBatch& batch) {
  size_t bytes = 0;
  for (const ChangeEvent& event : batch.events) {
    bytes += kEventOverheadBytes + columns_bytes(event.columns);
    if (event.old) bytes += columns_bytes(*event.old);
  }
  return bytes;
}

DeliveryRuntime::DeliveryRuntime(PostgresCdcConnector& connector, Sink& sink,
                                 const DeliveryOptions& options)
    : connector_(connector),
      sink_(sink),
      options_(options),
      backoff_(options.retry),
      metrics_(connector.config().metrics.get()) {}

DeliveryRuntime::~DeliveryRuntime() {
  if (metrics_) {
    metrics_->sink_queued_events.store(0, std::memory_order_relaxed);
    metrics_->sink_queued_bytes.store(0, std::memory_order_relaxed);
  }
}

void DeliveryRuntime::run() {
  try {
    const ChangeBatch none;
    with_retry("connect()", none, [&] { sink_.connect(); });
    // What the sink holds decides where an interrupted snapshot resumes.
    if (auto held = with_retry("checkpoint()", none, [&] { return sink_.checkpoint(); })) {
      connector_.set_consumer_checkpoint(held->commit_lsn, held->seq);
    }
    while (true) {
      // With batches in flight, take only what is at hand; otherwise finish the oldest first.
      std::optional<ChangeBatch> batch =
          window_.empty() ? connector_.next_batch() : connector_.poll_batch();
      if (!batch) {
        if (window_.empty()) return;  // stopped, or past the end position
        if (linger_for_more()) continue;
        complete_when_idle();
        continue;
      }
      admit(std::move(*batch));
      while (full()) complete_oldest();
    }
  } catch (const StopRequested&) {
    connector_.config().log(fmt::format(
        "stopped while retrying {}: {} batches were not acknowledged and come again on the next "
        "run",
        sink_.name(), window_.size()));
  }
}

bool DeliveryRuntime::linger_for_more() {
  const std::chrono::milliseconds linger = sink_.linger();
  if (linger.count() <= 0 || full() || connector_.stop_requested()) return false;
  const auto now = std::chrono::steady_clock::now();
  if (!idle_since_) idle_since_ = now;
  if (now - *idle_since_ >= linger) {
    idle_since_.reset();
    return false;
  }
  std::this_thread::sleep_for(std::chrono::microseconds(500));
  return true;
}

void DeliveryRuntime::complete_when_idle() {
  if (sink_.linger().count() <= 0) {
    complete_oldest();  // the rest may still be on their way: take the next batch meanwhile
    return;
  }
  // The sink lingered for more and nothing came: awaiting the oldest ends its group, so await the
  // whole window now rather than lingering again before each batch of a group already durable.
  while (!window_.empty()) complete_oldest();
}

bool DeliveryRuntime::fits(const Pending& next) const {
  if (window_.empty()) return true;
  return window_.size() < std::max<size_t>(sink_.max_in_flight(), 1) &&
         window_events_ + next.batch.size() <= options_.max_in_flight_events &&
         window_bytes_ + next.bytes <= options_.max_in_flight_bytes;
}

bool DeliveryRuntime::full() const {
  return !window_.empty() && (window_.size() >= std::max<size_t>(sink_.max_in_flight(), 1) ||
                              window_events_ >= options_.max_in_flight_events ||
                              window_bytes_ >= options_.max_in_flight_bytes);
}

void DeliveryRuntime::admit(ChangeBatch batch) {
  drop_redelivered(batch);
  Pending next{std::move(batch), 0, false};
  // The bytes bound only matters with batches in flight; the gauge only with metrics. A sink of
  // one batch at a time without metrics is spared a pass over every value.
  const bool bytes_count = sink_.max_in_flight() > 1 || metrics_ != nullptr;
  next.bytes = bytes_count ? batch_value_bytes(next.batch) : 0;
  while (!fits(next)) complete_oldest();
  next.submitted = !next.batch.empty();
  window_.push_back(std::move(next));
  account(window_.back(), +1);
  if (!window_.back().submitted) return;
  const ChangeBatch& added = window_.back().batch;
  try {
    sink_.submit(added);  // success here proves nothing durable yet: attempts keep counting
  } catch (...) {
    recover("write()", added, std::current_exception());  // submits it again with the window
  }
}

void DeliveryRuntime::drop_redelivered(ChangeBatch& batch) {
  // Asked per batch: after a reconnect the server may resend what the sink took moments ago.
  const std::optional<EventPosition> checkpoint =
      with_retry("checkpoint()", batch, [&] { return sink_.checkpoint(); });
  if (checkpoint && !batch.empty() && position_of(batch.events.front()) <= *checkpoint) {
    std::erase_if(batch.events,
                  [&](const ChangeEvent& e) { return position_of(e) <= *checkpoint; });
  }
}

void DeliveryRuntime::complete_oldest() {
  Pending& oldest = window_.front();
  if (oldest.submitted) with_retry("write()", oldest.batch, [&] { sink_.await_oldest(); });
  connector_.acknowledge(oldest.batch);
  account(oldest, -1);
  base::give_back_columns(oldest.batch.events);  // the decoder reuses them (same thread)
  window_.pop_front();
}

void DeliveryRuntime::account(const Pending& pending, int sign) {
  if (sign > 0) {
    window_events_ += pending.batch.size();
    window_bytes_ += pending.bytes;
  } else {
    window_events_ -= pending.batch.size();
    window_bytes_ -= pending.bytes;
  }
  if (metrics_) {
    metrics_->sink_queued_events.store(window_events_, std::memory_order_relaxed);
    metrics_->sink_queued_bytes.store(window_bytes_, std::memory_order_relaxed);
  }
}

template <typename Call>
auto DeliveryRuntime::with_retry(const char* what, const ChangeBatch& at, Call&& call)
    -> decltype(call()) {
  while (true) {
    try {
      if constexpr (std::is_void_v<decltype(call())>) {
        call();
        failed_attempts_ = 0;
        return;
      } else {
        auto result = call();
        failed_attempts_ = 0;
        return result;
      }
    } catch (...) {
      recover(what, at, std::current_exception());
    }
  }
}

void DeliveryRuntime::recover(const char* what, const ChangeBatch& at, std::exception_ptr error) {
  while (true) {
    if (failed_attempts_ == 0) backoff_.restart();
    if (!retryable(sink_, error) || !backoff_.retry_after_attempt(failed_attempts_)) {
      throw final_error(sink_, what, at, error, failed_attempts_);
    }
    ++failed_attempts_;
    if (metrics_) metrics_->sink_retries.fetch_add(1, std::memory_order_relaxed);
    const auto wait = backoff_.next_wait();
    connector_.config().log(fmt::format("{}: {} failed: {}; retrying in {} ms (attempt {}){}",
                                        sink_.name(), what, what_of(error), wait.count(),
                                        failed_attempts_, waiting(at)));
    if (!wait_keeping_alive(wait)) throw StopRequested{};
    try {
      sink_.reset();
      resubmit_window();
      return;
    } catch (...) {
      error = std::current_exception();
      what = "write()";
    }
  }
}

std::string DeliveryRuntime::waiting(const ChangeBatch& at) const {
  if (window_.empty() && at.empty()) return ", before the first batch";
  const EventPosition start = batch_start(window_.empty() ? at : window_.front().batch);
  return fmt::format(", {} batches from commit_lsn {} seq {} waiting", window_.size(),
                     start.commit_lsn.to_string(), start.seq);
}

void DeliveryRuntime::resubmit_window() {
  for (const Pending& pending : window_) {
    if (pending.submitted) sink_.submit(pending.batch);
  }
}

bool DeliveryRuntime::wait_keeping_alive(std::chrono::milliseconds wait) {
  const auto until = std::chrono::steady_clock::now() + wait;
  while (std::chrono::steady_clock::now() < until) {
    if (connector_.stop_requested()) return false;
    try {
      connector_.keep_alive();
    } catch (const CdcError&) {
      // The replication connection is gone; next_batch() reconnects once the sink is back.
    }
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(
        kKeepAliveStep, until - std::chrono::steady_clock::now()));
  }
  return !connector_.stop_requested();
}

}  // namespace sabot::engine
