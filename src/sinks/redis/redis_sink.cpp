#include "sinks/redis/redis_sink.hpp"

#include <fmt/format.h>

#include <algorithm>

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
  connection();  // fail now, not at the first change, when Redis is unreachable
}

RedisConnection& RedisSinkImpl::connection() {
  if (!connection_ || connection_->is_broken()) {
    connection_.reset();
    connection_ = std::make_unique<RedisConnection>(url_, options_.timeout);
    apply_sha_ = connection_->load_script(kApplyScript);
  }
  return *connection_;
}

void RedisSinkImpl::write(const ChangeBatch& batch) {
  try {
    for (const ChangeEvent& event : batch.events) queue_change(event);
    flush();
  } catch (...) {
    queue_.clear();  // the batch is not acknowledged; it is written again when redelivered
    throw;
  }
  ++stats_.batches;
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
  const std::string row = row_key(options_.prefix, table, key_suffix);
  std::vector<std::string> args = {"EVALSHA",
                                   apply_sha_,
                                   "2",
                                   row,
                                   fence_key(options_.prefix, table, key_suffix),
                                   action,
                                   fence,
                                   std::to_string(event.transaction_id),
                                   millis(tables_.ttl(event.schema, event.table)),
                                   millis(options_.fence_ttl),
                                   options_.format == RedisRowFormat::Json ? "json" : "hash"};
  if (std::string_view(action) == "delete") {
    args.emplace_back("1");
  } else {
    RowFields fields = row_fields(event);
    args.emplace_back(has_every_column(event, fields.complete) ? "1" : "0");
    if (options_.format == RedisRowFormat::Json) {
      args.push_back(row_json(event, fence));
    } else {
      args.push_back(std::to_string(fields.values.size()));
      for (auto& [name, value] : fields.values) {
        args.push_back(std::move(name));
        args.push_back(std::move(value));
      }
      for (std::string& name : fields.null_columns) args.push_back(std::move(name));
    }
  }
  queue_.push_back({Queued::Kind::Apply, std::move(args), row});
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

std::vector<RedisReply> RedisSinkImpl::send(const std::vector<Queued>& commands) {
  RedisConnection& conn = connection();
  for (const Queued& command : commands) conn.append(command.args);
  return conn.read_replies(commands.size());
}

void RedisSinkImpl::flush() {
  if (queue_.empty()) return;
  std::vector<RedisReply> replies = send(queue_);
  const bool script_missing = std::any_of(replies.begin(), replies.end(),
                                          [](const RedisReply& r) { return is_noscript(r); });
  if (script_missing) {
    // Redis lost its script cache (restart, SCRIPT FLUSH). Every command is safe to run twice:
    // the fence skips what already happened, XADD refuses a repeated ID.
    apply_sha_ = connection().load_script(kApplyScript);
    for (Queued& command : queue_) {
      if (command.kind == Queued::Kind::Apply) command.args[1] = apply_sha_;
    }
    replies = send(queue_);
  }
  for (size_t i = 0; i < queue_.size(); ++i) account(queue_[i], replies[i]);
  queue_.clear();
}

void RedisSinkImpl::account(const Queued& command, const RedisReply& reply) {
  if (command.kind == Queued::Kind::StreamAdd && is_stream_duplicate(reply)) {
    ++stats_.stream_duplicates;
    return;
  }
  if (reply.is_error()) {
    throw CdcError(ErrorKind::Consumer,
                   fmt::format("Redis at {} refused {} on {}: {}. The batch was not acknowledged",
                               url_.text, command.args[0], command.key, reply.text));
  }
  if (command.kind == Queued::Kind::StreamAdd) {
    ++stats_.stream_entries;
  } else if (command.kind == Queued::Kind::Apply) {
    switch (reply.integer) {
      case kApplyStale:
        ++stats_.stale_skipped;
        break;
      case kApplyWritten:
        ++stats_.rows_written;
        break;
      case kApplyDeleted:
        ++stats_.rows_deleted;
        break;
      case kApplyNotCached:
        ++stats_.not_cached;
        break;
      default:
        break;
    }
  }
}

}  // namespace sabot::sinks::redis

namespace sabot {

std::unique_ptr<RedisSink> make_redis_sink(const RedisSinkOptions& options) {
  return std::make_unique<sinks::redis::RedisSinkImpl>(options);
}

}  // namespace sabot
