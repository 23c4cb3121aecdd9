#include "sinks/redis/redis_sink.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <iterator>
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
    if (options_.mode != RedisMode::Stream && has_row_truncate(batch)) {
      // The truncate scans and deletes synchronously: everything before it must be answered.
      finish_in_flight();
      for (const ChangeEvent& event : batch.events) queue_change(event);
      flush();
      in_flight_.push_back({{}, /*done=*/true});
      return;
    }
    for (const ChangeEvent& event : batch.events) queue_change(event);
    seal_script();
    RedisConnection& conn = connection();
    for (const Queued& command : queue_) conn.append(command.args);
    conn.send_appended();
    in_flight_.push_back({std::move(queue_), false});
    queue_.clear();
  } catch (...) {
    queue_.clear();  // the batch is not acknowledged; it is submitted again after reset()
    script_ = {};
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
  queue_.clear();
  script_ = {};
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
  const ChangeKeys keys = change_keys(event, tables_.key_columns(event.schema, event.table));
  // An update that moved the row to another key removes the old one.
  if (keys.old_key) queue_apply("delete", event, *keys.old_key);
  if (keys.new_key) queue_apply(action_for(options_.mode), event, *keys.new_key);
}

void RedisSinkImpl::queue_apply(const char* action, const ChangeEvent& event,
                                const std::string& key_suffix) {
  const std::string table = qualified_table(event.schema, event.table);
  const std::string fence = fence_of(position_of(event));
  std::string row = row_key(options_.prefix, table, key_suffix);
  if (script_.rows == 0) script_.first_key = row;
  script_.keys.push_back(std::move(row));
  script_.keys.push_back(fence_key(options_.prefix, table, key_suffix));
  std::vector<std::string>& args = script_.row_args;
  args.insert(args.end(), {action, fence, std::to_string(event.transaction_id),
                           millis(tables_.ttl(event.schema, event.table))});
  if (std::string_view(action) == "delete") {
    args.emplace_back("1");
  } else {
    RowFields fields = row_fields(event);
    args.emplace_back(has_every_column(event, fields.complete) ? "1" : "0");
    if (options_.format == RedisRowFormat::Json) {
      args.push_back(row_json(event, fence));
    } else {
      args.push_back(std::to_string(fields.values.size()));
      args.push_back(std::to_string(fields.null_columns.size()));
      for (auto& [name, value] : fields.values) {
        args.push_back(std::move(name));
        args.push_back(std::move(value));
      }
      for (std::string& name : fields.null_columns) args.push_back(std::move(name));
    }
  }
  if (++script_.rows >= kRowsPerScript) seal_script();
}

void RedisSinkImpl::seal_script() {
  if (script_.rows == 0) return;
  std::vector<std::string> args;
  args.reserve(3 + script_.keys.size() + 2 + script_.row_args.size());
  args.insert(args.end(), {"EVALSHA", apply_sha_, std::to_string(script_.keys.size())});
  std::move(script_.keys.begin(), script_.keys.end(), std::back_inserter(args));
  args.push_back(millis(options_.fence_ttl));
  args.emplace_back(options_.format == RedisRowFormat::Json ? "json" : "hash");
  std::move(script_.row_args.begin(), script_.row_args.end(), std::back_inserter(args));
  queue_.push_back({Queued::Kind::Apply, std::move(args), std::move(script_.first_key)});
  script_ = {};
}

bool RedisSinkImpl::has_every_column(const ChangeEvent& event, bool none_flagged_unchanged) {
  if (!none_flagged_unchanged) return false;
  std::vector<std::string>& known = known_columns_[qualified_table(event.schema, event.table)];
  if (event.op == Op::Insert) {  // an insert always carries the whole row
    known.clear();
    for (const Column& column : event.columns) known.emplace_back(column.name);
    return true;
  }
  return std::all_of(known.begin(), known.end(),
                     [&](const std::string& name) { return event.column(name) != nullptr; });
}

void RedisSinkImpl::queue_stream_entry(const ChangeEvent& event) {
  seal_script();  // keep the batch's order
  const std::string table = qualified_table(event.schema, event.table);
  const std::string stream =
      options_.stream_key.empty() ? table_stream_key(options_.prefix, table) : options_.stream_key;
  std::vector<std::string> args = {"XADD", stream};
  if (options_.stream_max_length > 0) {
    args.insert(args.end(), {"MAXLEN", "~", std::to_string(options_.stream_max_length)});
  }
  args.push_back(stream_id_of(position_of(event)));
  args.insert(args.end(), {"op", std::string(to_string(event.op)), "table", table});
  const auto* key_columns = tables_.key_columns(event.schema, event.table);
  if (event.op != Op::Truncate && (key_columns || !event.key_columns.empty())) {
    const ChangeKeys keys = change_keys(event, key_columns);
    args.insert(args.end(), {"key", keys.new_key ? *keys.new_key : *keys.old_key});
  }
  std::string json;
  stream_renderer_.append_value(json, event);
  args.insert(args.end(), {"event", std::move(json)});
  queue_.push_back({Queued::Kind::StreamAdd, std::move(args), stream});
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
      queue_.push_back({Queued::Kind::Plain, {"DEL", key.text}, key.text});
      ++deleted;
    }
    flush();
  } while (cursor != "0");
  return deleted;
}

void RedisSinkImpl::flush() {
  seal_script();
  if (queue_.empty()) return;
  RedisConnection& conn = connection();
  for (const Queued& command : queue_) conn.append(command.args);
  std::vector<Queued> sent = std::move(queue_);
  queue_.clear();
  check_replies(sent);
}

void RedisSinkImpl::check_replies(const std::vector<Queued>& commands) {
  // Replies are read only after the apply script's SHA was used: a connection made since (after
  // reset()) has loaded it again, and a NOSCRIPT reply is retryable.
  if (!connection_ || connection_->is_broken()) {
    throw RetryableSinkError(fmt::format(
        "Redis at {}: the connection was lost before the replies were read", url_.text));
  }
  std::vector<RedisReply> replies = connection_->read_replies(commands.size());
  for (size_t i = 0; i < commands.size(); ++i) account(commands[i], replies[i]);
}

void RedisSinkImpl::account(const Queued& command, const RedisReply& reply) {
  if (command.kind == Queued::Kind::StreamAdd && is_stream_duplicate(reply)) {
    ++stats_.stream_duplicates;
    return;
  }
  if (reply.is_error()) {
    const std::string message =
        fmt::format("Redis at {} refused {} on {}: {}. The batch was not acknowledged", url_.text,
                    command.args[0], command.key, reply.text);
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
