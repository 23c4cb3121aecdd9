// The Lua scripts the Redis sink and the cache client run. Each runs atomically in Redis, which is
// what makes "compare, then write" safe against concurrent writers (a replaying sink, readers
// filling the cache).
//
// Positions ("fences") are 24 uppercase hex digits: commit LSN (16) then seq (8). Equal-length
// hex strings compare in the same order as the positions they encode, so Lua compares strings.
//
// Every row key has a fence key beside it holding "<fence> <xid>" of the last change the sink
// applied to that row, whatever the change did (wrote the row, deleted it — then the fence key is
// its tombstone —, or skipped it because the row was not cached). It serves twice:
//   - the sink applies a change only if it is newer than the row's "_lsn" and the fence key;
//   - a fill stores a row read from the database only if the row version it read (its xmin) is
//     the one the sink applied last. A reader whose snapshot missed a change the sink already
//     applied, or a change applied while the reader was reading, sees another xid and does not
//     fill: it can never cache a version older than one the sink has seen.
#pragma once

namespace sabot::sinks::redis {

// Reply codes of kApplyScript.
inline constexpr long long kApplyStale = 0;    // stored position newer or equal: nothing done
inline constexpr long long kApplyWritten = 1;  // row written (and TTL set)
inline constexpr long long kApplyDeleted = 2;  // key removed
inline constexpr long long kApplyNotCached =
    3;  // refresh of a key that is not cached: nothing done

// KEYS: row, fence key.
// ARGV: action ("delete" | "upsert" | "refresh"), fence, xid, ttl_ms (0 = none), fence_ttl_ms,
//       format ("hash" | "json"), complete ("1": every column was sent; "0": some were left out
//       because they did not change), then for hash: pair_count, pair_count (name, value) pairs,
//       then names of NULL columns; for json: the JSON object text (with "_lsn" in it).
// A complete row replaces the cached one; a partial row is merged into a cached hash (the columns
// not sent keep their cached value). A partial row is never written where nothing is cached (nor
// as json): the key is removed instead, never filled with a guess.
inline constexpr const char* kApplyScript = R"lua(
local row, fence_key = KEYS[1], KEYS[2]
local action, fence, xid = ARGV[1], ARGV[2], ARGV[3]
local ttl, fence_ttl = tonumber(ARGV[4]), tonumber(ARGV[5])
local format, complete = ARGV[6], ARGV[7] == '1'

local function row_fence()
  local kind = redis.call('TYPE', row)['ok']
  if kind == 'hash' then
    return redis.call('HGET', row, '_lsn')
  elseif kind == 'string' then
    local ok, doc = pcall(cjson.decode, redis.call('GET', row))
    if ok and type(doc) == 'table' and type(doc['_lsn']) == 'string' then return doc['_lsn'] end
  end
  return false
end

local function key_fence()
  local last = redis.call('GET', fence_key)
  if last then return string.match(last, '^(%x+) ') end
  return false
end

local stored = row_fence()
local last = key_fence()
if last and (not stored or last > stored) then stored = last end
if stored and stored >= fence then return 0 end
redis.call('SET', fence_key, fence .. ' ' .. xid, 'PX', fence_ttl)

local cached = redis.call('EXISTS', row) == 1
if action == 'delete' then
  redis.call('DEL', row)
  return 2
end
if action == 'refresh' and not cached then return 3 end
if not complete and (format == 'json' or not cached) then
  redis.call('DEL', row)
  return 2
end

if format == 'json' then
  redis.call('SET', row, ARGV[8])
else
  local pairs_count = tonumber(ARGV[8])
  if complete then redis.call('DEL', row) end
  redis.call('HSET', row, '_lsn', fence)
  for i = 0, pairs_count - 1 do
    redis.call('HSET', row, ARGV[9 + 2 * i], ARGV[10 + 2 * i])
  end
  for i = 9 + 2 * pairs_count, #ARGV do redis.call('HDEL', row, ARGV[i]) end
end
if ttl > 0 then redis.call('PEXPIRE', row, ttl) end
return 1
)lua";

// KEYS: row, fence key, truncate marker of the table.
// ARGV: xmin of the row version read, ttl_ms, then (name, value) pairs.
// Returns 1 if the row was stored, 0 if not: already cached, the sink has applied another version
// of the row since (or one the reader's snapshot did not see yet), or the table was truncated a
// moment ago. The stored "_lsn" is the position of the change that made the version read, or ""
// when the sink has applied no change to the row lately (any change it applies later wins).
inline constexpr const char* kFillScript = R"lua(
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
if redis.call('EXISTS', KEYS[3]) == 1 then return 0 end
local fence = ''
local last = redis.call('GET', KEYS[2])
if last then
  local last_fence, last_xid = string.match(last, '^(%x+) (%d+)$')
  if last_xid ~= ARGV[1] then return 0 end
  fence = last_fence
end
redis.call('HSET', KEYS[1], '_lsn', fence)
for i = 3, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
if tonumber(ARGV[2]) > 0 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 1
)lua";

}  // namespace sabot::sinks::redis
