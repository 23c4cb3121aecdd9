// The Lua scripts the Redis sink and cache client run. Each runs atomically in Redis, which is
// what makes "compare the stored position, then write" safe against concurrent writers (other
// sinks replaying, cache-aside readers filling).
//
// Positions ("fences") are 24 uppercase hex digits: commit LSN (16) then seq (8). Equal-length
// hex strings compare in the same order as the positions they encode, so Lua compares strings.
#pragma once

namespace sabot::sinks::redis {

// Reply codes of kApplyScript.
inline constexpr long long kApplyStale = 0;      // stored position newer or equal: nothing done
inline constexpr long long kApplyWritten = 1;    // row written (and TTL set)
inline constexpr long long kApplyDeleted = 2;    // key removed, tombstone left
inline constexpr long long kApplyNotCached = 3;  // refresh of a key that is not cached: nothing done

// KEYS: row, tombstone, lease.
// ARGV: action ("delete" | "upsert" | "refresh"), fence, ttl_ms (0 = none), tombstone_ttl_ms,
//       format ("hash" | "json"), complete ("1": the full row; "0": some values were not sent),
//       then for hash: pair_count, pair_count (name, value) pairs, then names whose value is NULL;
//       for json: the JSON object text (with "_lsn" in it).
// Partial rows (unchanged TOAST values not sent) are only merged into a cached hash; for json,
// or when nothing is cached, the key is deleted instead, never filled with a guess.
inline constexpr const char* kApplyScript = R"lua(
local row, tomb, lease = KEYS[1], KEYS[2], KEYS[3]
local action, fence = ARGV[1], ARGV[2]
local ttl, tomb_ttl = tonumber(ARGV[3]), tonumber(ARGV[4])
local format, complete = ARGV[5], ARGV[6] == '1'

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

local function newest(a, b)
  if not a then return b end
  if not b then return a end
  if a > b then return a end
  return b
end

local stored = newest(row_fence(), redis.call('GET', tomb))
if stored and stored >= fence then return 0 end
-- A fill that read the database before this change must not land after it.
redis.call('DEL', lease)

local cached = redis.call('EXISTS', row) == 1
local function remove()
  redis.call('DEL', row)
  redis.call('SET', tomb, fence, 'PX', tomb_ttl)
  return 2
end
if action == 'delete' then return remove() end
if action == 'refresh' and not cached then return 3 end
if not complete and (format == 'json' or not cached) then return remove() end

if format == 'json' then
  redis.call('SET', row, ARGV[7])
else
  local pairs_count = tonumber(ARGV[7])
  if complete then redis.call('DEL', row) end
  redis.call('HSET', row, '_lsn', fence)
  for i = 0, pairs_count - 1 do
    redis.call('HSET', row, ARGV[8 + 2 * i], ARGV[9 + 2 * i])
  end
  for i = 8 + 2 * pairs_count, #ARGV do redis.call('HDEL', row, ARGV[i]) end
end
if ttl > 0 then redis.call('PEXPIRE', row, ttl) end
redis.call('DEL', tomb)
return 1
)lua";

// KEYS: row, lease, applied-position key. ARGV: token, lease_ttl_ms.
// Returns {"cached"} when the row is cached already, else takes the lease and returns
// {"lease", position the sink has applied ("" if unknown)}.
inline constexpr const char* kBeginFillScript = R"lua(
if redis.call('EXISTS', KEYS[1]) == 1 then return {'cached'} end
redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2])
return {'lease', redis.call('GET', KEYS[3]) or ''}
)lua";

// KEYS: row, lease. ARGV: token, fence, ttl_ms, then (name, value) pairs; no pairs = the row does
// not exist (only the lease is released). Returns 1 if the row was stored, 0 if the lease was lost.
inline constexpr const char* kCompleteFillScript = R"lua(
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[2])
if #ARGV < 4 then return 0 end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], '_lsn', ARGV[2])
for i = 4, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
if tonumber(ARGV[3]) > 0 then redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
return 1
)lua";

}  // namespace sabot::sinks::redis
