#include "sinks/redis/redis_sink.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <string_view>

#include "output/jsonl_writer.hpp"
#include "sabot/error.hpp"
#include "sinks/redis/redis_keys.hpp"
#include "sinks/redis/redis_row.hpp"
#include "sinks/redis/redis_scripts.hpp"

namespace sabot::sinks::redis {

namespace {

std::string millis(std::chrono::milliseconds ms) {
  return std::to_string(ms.count());
}

const char* action_for(RedisMode mode) {
  switch (mode) {
    case RedisMode::Invalidate:
      return "delete";
    case RedisMode::Refresh:
      return "refresh";
    default:
      return "upsert";
  }
}

bool is_stream_duplicate(const RedisReply& reply) {
  // XADD with an explicit ID at or below the stream's last one: this entry is already there.
  return reply.is_error() && reply.text.find("equal or smaller") != std::string::npos;
}

bool has_row_truncate(const ChangeBatch& batch) {
  return std::any_of(batch.events.begin(), batch.events.end(),
                     [](const ChangeEvent& e) { return e.op == Op::Truncate; });
}

void validate(const RedisSinkOptions& options) {
  if (options.prefix.empty()) {
    throw CdcError(ErrorKind::Config, "Redis key prefix must not be empty");
  }
  if (options.fence_ttl.count() <= 0) {
    throw CdcError(ErrorKind::Config, "Redis fence TTL must be positive");
  }
  bool negative_ttl = options.default_ttl.count() < 0;
  for (const auto& [pattern, ttl] : options.table_ttl) negative_ttl |= ttl.count() < 0;
  if (negative_ttl) {
    throw CdcError(ErrorKind::Config, "Redis row TTL must not be negative (0 = no expiry)");
  }
}

}  // namespace

RedisSinkImpl::RedisSinkImpl(const RedisSinkOptions& options)
    : options_(options),
      url_(parse_redis_url(options.url)),
      tables_(options),
      stream_renderer_(options.stream_format) {
  validate(options_);
  // Fail now, not at the first change, when Redis is unreachable (unless the caller retries).
  if (!options_.connect_lazily) connection();
}

RedisConnection& RedisSinkImpl::connection() {
  if (!connection_ || connection_->is_broken()) {
    connection_.reset();
    connection_ = std::make_unique<RedisConnection>(url_, options_.timeout);
    apply_sha_ = connection_->load_script(kApplyBatchScript);
  }
  return *connection_;
}

void RedisSinkImpl::write(const ChangeBatch& batch) {
  try {
    submit(batch);
    await_oldest();
  } catch (const RetryableSinkError& e) {
    // Redis lost its script cache (restart, SCRIPT FLUSH): every change is safe to apply twice
    // (the fences skip what already happened, XADD refuses a repeated ID), so send it again.
    if (std::string_view(e.what()).find("NOSCRIPT") == std::string_view::npos) throw;
    reset();
    submit(batch);
    await_oldest();
  }
}

void RedisSinkImpl::submit(const ChangeBatch& batch) {
  try {
    connection();  // loads the apply script: its SHA goes into the commands
    if (options_.mode != RedisMode::Stream && has_row_truncate(batch)) {
      // The truncate scans and deletes synchronously: everything before it must be answered.
      finish_in_flight();
      for (const ChangeEvent& event : batch.events) queue_change(event);
      flush();
      in_flight_.push_back({{}, /*done=*/true});
      return;
    }
    for (const ChangeEvent& event : batch.events) queue_change(event);
    std::vector<Queued> sent = append_queue();
    connection().send_appended();
    in_flight_.push_back({std::move(sent), false});
  } catch (...) {
    clear_queue();  // the batch is not acknowledged; it is submitted again after reset()
    throw;
  }
}

void RedisSinkImpl::await_oldest() {
  if (in_flight_.empty()) return;
  InFlight& oldest = in_flight_.front();
  if (!oldest.done) check_replies(oldest.commands);
  in_flight_.pop_front();
  ++stats_.batches;
}

void RedisSinkImpl::finish_in_flight() {
  for (InFlight& batch : in_flight_) {
    if (!batch.done) check_replies(batch.commands);
    batch.done = true;
  }
}

void RedisSinkImpl::reset() {
  connection_.reset();  // replies of what was in flight are lost with it; it is sent again
  in_flight_.clear();
  clear_queue();
}

void RedisSinkImpl::clear_queue() {
  commands_.clear();
  queue_.clear();
  script_ = {};
}

RedisSinkImpl::TableState& RedisSinkImpl::table_state(const ChangeEvent& event) {
  if (last_table_ && last_table_->table == event.table && last_table_->schema == event.schema) {
    return *last_table_;
  }
  const std::string qualified = qualified_table(event.schema, event.table);
  auto [it, added] = table_states_.try_emplace(qualified);
  TableState& state = it->second;
  if (added) {
    state.schema = std::string(event.schema);
    state.table = std::string(event.table);
    state.qualified = qualified;
    state.row_prefix = row_key(options_.prefix, qualified, "");
    state.fence_prefix = fence_key(options_.prefix, qualified, "");
    state.stream_key = options_.stream_key.empty() ? table_stream_key(options_.prefix, qualified)
                                                   : options_.stream_key;
    state.ttl_ms = static_cast<uint64_t>(tables_.ttl(event.schema, event.table).count());
    state.key_columns = tables_.key_columns(event.schema, event.table);
  }
  last_table_ = &state;
  return state;
}

void RedisSinkImpl::queue_change(const ChangeEvent& event) {
  switch (event.op) {
    case Op::Insert:
    case Op::Read:  // a snapshot row: an upsert, fenced by its position like any change
    case Op::Update:
    case Op::Delete:
      if (options_.mode == RedisMode::Stream) {
        queue_stream_entry(event);
      } else {
        queue_row_change(event);
      }
      break;
    case Op::Truncate:
      if (options_.mode == RedisMode::Stream) {
        queue_stream_entry(event);
      } else {
        flush();
        remove_table_keys(event);
      }
      break;
    case Op::Message:
    case Op::SchemaChange:
      break;  // no row: nothing to cache or stream
  }
}

void RedisSinkImpl::queue_row_change(const ChangeEvent& event) {
  TableState& table = table_state(event);
  const ChangeKeys keys = change_keys(event, table.key_columns);
  // An update that moved the row to another key removes the old one.
  if (keys.old_key) queue_apply("delete", event, table, *keys.old_key);
  if (keys.new_key) queue_apply(action_for(options_.mode), event, table, *keys.new_key);
}

void RedisSinkImpl::queue_apply(const char* action, const ChangeEvent& event, TableState& table,
                                const std::string& key_suffix) {
  const FenceText fence(position_of(event));
  if (script_.rows == 0) script_.first_key = table.row_prefix + key_suffix;
  script_.keys.add_joined({table.row_prefix, key_suffix});
  script_.keys.add_joined({table.fence_prefix, key_suffix});
  RespArgs& args = script_.row_args;
  args.add(action);
  args.add(fence.view());
  args.add(uint64_t{event.transaction_id});
  args.add(table.ttl_ms);
  if (std::string_view(action) == "delete") {
    args.add("1");
  } else {
    queue_row_values(event, table, fence.view());
  }
  if (++script_.rows >= kRowsPerScript) seal_script();
}

void RedisSinkImpl::queue_row_values(const ChangeEvent& event, TableState& table,
                                     std::string_view fence) {
  const RowShape shape = row_shape(event);
  RespArgs& args = script_.row_args;
  args.add(has_every_column(event, table, shape.complete) ? "1" : "0");
  if (options_.format == RedisRowFormat::Json) {
    args.add(row_json(event, fence));
    return;
  }
  args.add(uint64_t{shape.values});
  args.add(uint64_t{shape.nulls});
  for (const Column& column : event.columns) {
    if (column.unchanged_toast || column.value.is_null()) continue;
    args.add(column.name);
    args.add(column.value.text());
  }
  for (const Column& column : event.columns) {
    if (!column.unchanged_toast && column.value.is_null()) args.add(column.name);
  }
}

void RedisSinkImpl::seal_script() {
  if (script_.rows == 0) return;
  commands_.begin(3 + script_.keys.count() + 2 + script_.row_args.count());
  commands_.add("EVALSHA");
  commands_.add(apply_sha_);
  commands_.add(uint64_t{script_.keys.count()});
  commands_.add_all(script_.keys);
  commands_.add(static_cast<uint64_t>(options_.fence_ttl.count()));
  commands_.add(options_.format == RedisRowFormat::Json ? "json" : "hash");
  commands_.add_all(script_.row_args);
  queue_.push_back({Queued::Kind::Apply, "EVALSHA", std::move(script_.first_key)});
  script_.keys.release_if_larger_than(kKeptBufferBytes);
  script_.row_args.release_if_larger_than(kKeptBufferBytes);
  script_.first_key.clear();
  script_.rows = 0;
}

bool RedisSinkImpl::has_every_column(const ChangeEvent& event, TableState& table,
                                     bool none_flagged_unchanged) {
  if (!none_flagged_unchanged) return false;
  std::vector<std::string>& known = table.known_columns;
  if (event.op == Op::Insert) {  // an insert always carries the whole row
    const bool same = std::equal(known.begin(), known.end(), event.columns.begin(),
                                 event.columns.end(),
                                 [](const std::string& name, const Column& column) {
                                   return name == column.name;
                                 });
    if (!same) {
      known.clear();
      for (const Column& column : event.columns) known.emplace_back(column.name);
    }
    return true;
  }
  return std::all_of(known.begin(), known.end(),
                     [&](const std::string& name) { return event.column(name) != nullptr; });
}

void RedisSinkImpl::queue_stream_entry(const ChangeEvent& event) {
  seal_script();  // keep the batch's order
  TableState& table = table_state(event);
  const auto* key_columns = table.key_columns;
  std::optional<std::string> key;
  if (event.op != Op::Truncate && (key_columns || !event.key_columns.empty())) {
    ChangeKeys keys = change_keys(event, key_columns);
    key = keys.new_key ? std::move(keys.new_key) : std::move(keys.old_key);
  }
  event_json_.clear();
  stream_renderer_.append_value(event_json_, event);
  const bool trimmed = options_.stream_max_length > 0;
  commands_.begin(3 + (trimmed ? 3 : 0) + 4 + (key ? 2 : 0) + 2);
  commands_.add("XADD");
  commands_.add(table.stream_key);
  if (trimmed) {
    commands_.add("MAXLEN");
    commands_.add("~");
    commands_.add(static_cast<uint64_t>(options_.stream_max_length));
  }
  commands_.add(StreamIdText(position_of(event)).view());
  commands_.add("op");
  commands_.add(to_string(event.op));
  commands_.add("table");
  commands_.add(table.qualified);
  if (key) {
    commands_.add("key");
    commands_.add(*key);
  }
  commands_.add("event");
  commands_.add(event_json_);
  queue_.push_back({Queued::Kind::StreamAdd, "XADD", {}, &table.stream_key});
}

void RedisSinkImpl::remove_table_keys(const ChangeEvent& truncate) {
  const std::string table = qualified_table(truncate.schema, truncate.table);
  // First keep readers from filling rows they may have read before the truncate, then remove.
  RedisReply marked =
      connection().command({"SET", truncated_key(options_.prefix, table),
                            fence_of(position_of(truncate)), "PX", millis(options_.fence_ttl)});
  if (marked.is_error()) {
    throw CdcError(ErrorKind::Consumer,
                   fmt::format("Redis at {} refused SET: {}", url_.text, marked.text));
  }
  stats_.truncated_keys += delete_matching(row_key_pattern(options_.prefix, table));
}

uint64_t RedisSinkImpl::delete_matching(const std::string& pattern) {
  uint64_t deleted = 0;
  std::string cursor = "0";
  do {
    RedisReply page = connection().command({"SCAN", cursor, "MATCH", pattern, "COUNT", "1000"});
    if (page.type != RedisReply::Type::Array || page.elements.size() != 2) {
      throw CdcError(ErrorKind::Consumer,
                     fmt::format("Redis at {}: SCAN {} failed: {}", url_.text, pattern, page.text));
    }
    cursor = page.elements[0].text;
    for (const RedisReply& key : page.elements[1].elements) {
      commands_.command({"DEL", key.text});
      queue_.push_back({Queued::Kind::Plain, "DEL", key.text});
      ++deleted;
    }
    flush();
  } while (cursor != "0");
  return deleted;
}

std::vector<RedisSinkImpl::Queued> RedisSinkImpl::append_queue() {
  seal_script();
  std::vector<Queued> queued = std::move(queue_);
  queue_.clear();
  if (!queued.empty()) connection().append_formatted(commands_.text());
  commands_.release_if_larger_than(kKeptBufferBytes);
  if (event_json_.capacity() > kKeptBufferBytes) std::string().swap(event_json_);
  return queued;
}

void RedisSinkImpl::flush() {
  std::vector<Queued> sent = append_queue();
  if (!sent.empty()) check_replies(sent);
}

void RedisSinkImpl::check_replies(const std::vector<Queued>& commands) {
  // Replies are read only after the apply script's SHA was used: a connection made since (after
  // reset()) has loaded it again, and a NOSCRIPT reply is retryable.
  if (!connection_ || connection_->is_broken()) {
    throw RetryableSinkError(fmt::format(
        "Redis at {}: the connection was lost before the replies were read", url_.text));
  }
  connection_->read_replies_into(commands.size(), replies_);
  for (size_t i = 0; i < commands.size(); ++i) account(commands[i], replies_[i]);
}

void RedisSinkImpl::account(const Queued& command, const RedisReply& reply) {
  if (command.kind == Queued::Kind::StreamAdd && is_stream_duplicate(reply)) {
    ++stats_.stream_duplicates;
    return;
  }
  if (reply.is_error()) {
    const std::string message =
        fmt::format("Redis at {} refused {} on {}: {}. The batch was not acknowledged", url_.text,
                    command.name, command.named_key(), reply.text);
    if (is_transient_error(reply)) throw RetryableSinkError(message);
    throw CdcError(ErrorKind::Consumer, message);
  }
  if (command.kind == Queued::Kind::StreamAdd) {
    ++stats_.stream_entries;
  } else if (command.kind == Queued::Kind::Apply) {
    const std::vector<RedisReply>& counts =
        reply.elements;  // {stale, written, deleted, not_cached}
    if (counts.size() != 4) {
      throw CdcError(ErrorKind::Consumer,
                     fmt::format("Redis at {}: the apply script on {} answered {} values, not 4",
                                 url_.text, command.key, counts.size()));
    }
    stats_.stale_skipped += static_cast<uint64_t>(counts[0].integer);
    stats_.rows_written += static_cast<uint64_t>(counts[1].integer);
    stats_.rows_deleted += static_cast<uint64_t>(counts[2].integer);
    stats_.not_cached += static_cast<uint64_t>(counts[3].integer);
  }
}

}  // namespace sabot::sinks::redis

namespace sabot {

std::unique_ptr<RedisSink> make_redis_sink(const RedisSinkOptions& options) {
  return std::make_unique<sinks::redis::RedisSinkImpl>(options);
}

}  // namespace sabot
