// The Lua scripts the Redis sink and the cache client run. Each runs atomically in Redis, which is
// what makes "compare, then write" safe against concurrent writers (a replaying sink, readers
// filling the cache).
//
// Positions ("fences") are 24 uppercase hex digits: commit LSN (16) then seq (8). Equal-length
// hex strings compare in the same order as the positions they encode, so Lua compares strings.
//
// Every row key has a fence key beside it holding "<fence> <xid>" of the last change the sink
// applied to that row, whatever the change did (wrote the row, deleted it — then the fence key is
// its tombstone —, or skipped it because the row was not cached). Only a change that writes a row
// without expiry (TTL 0) and finds no fence key sets none: the row's own "_lsn" fences later
// changes, and fills never replace a cached row. (A row without expiry is never evicted under the
// volatile-* eviction policies; under allkeys-* a fence key can be evicted as well.) It serves
// twice:
//   - the sink applies a change only if it is newer than the row's "_lsn" and the fence key;
//   - a fill stores a row read from the database only if the row version it read (its xmin) is
//     the one the sink applied last. A reader whose snapshot missed a change the sink already
//     applied, or a change applied while the reader was reading, sees another xid and does not
//     fill: it can never cache a version older than one the sink has seen.
#pragma once

namespace sabot::sinks::redis {

// KEYS: for each row change, its row key then its fence key.
// ARGV: fence_ttl_ms, format ("hash" | "json"), then per row change, in stream order: action
//       ("delete" | "upsert" | "refresh"), fence, xid, ttl_ms (0 = none), complete ("1": every
//       column was sent; "0": some were left out because they did not change), then, unless the
//       action is delete, for hash: pair_count, null_count, pair_count (name, value) pairs,
//       null_count names of NULL columns; for json: the JSON object text (with "_lsn" in it).
// Returns {stale, written, deleted, not_cached}: how many changes were skipped because the stored
// position was newer or equal, wrote the row (and set its TTL), removed the key, or were refreshes
// of a key not cached.
// A complete row replaces the cached one; a partial row is merged into a cached hash (the columns
// not sent keep their cached value). A partial row is never written where nothing is cached (nor
// as json): the key is removed instead, never filled with a guess.
//
// Cost: one call per batch, and per row the fewest commands that keep the fences: the fence key
// is read first (when present it is never older than the row's "_lsn": both are written together
// and fills copy it), the row's own "_lsn" only when the fence key has expired.
inline constexpr const char* kApplyBatchScript = R"lua(
local fence_ttl, json = tonumber(ARGV[1]), ARGV[2] == 'json'
local stale, written, deleted, not_cached = 0, 0, 0, 0

local function row_fence(row, kind)
  if kind == 'hash' then
    return redis.call('HGET', row, '_lsn')
  elseif kind == 'string' then
    local ok, doc = pcall(cjson.decode, redis.call('GET', row))
    if ok and type(doc) == 'table' and type(doc['_lsn']) == 'string' then return doc['_lsn'] end
  end
  return false
end

local a = 3
for k = 1, #KEYS, 2 do
  local row, fence_key = KEYS[k], KEYS[k + 1]
  local action, fence, xid = ARGV[a], ARGV[a + 1], ARGV[a + 2]
  local ttl, complete = tonumber(ARGV[a + 3]), ARGV[a + 4] == '1'
  a = a + 5
  local first, pairs_count, nulls_count, doc = 0, 0, 0, nil
  if action ~= 'delete' then
    if json then
      doc = ARGV[a]
      a = a + 1
    else
      pairs_count, nulls_count = tonumber(ARGV[a]), tonumber(ARGV[a + 1])
      first = a + 2
      a = first + 2 * pairs_count + nulls_count
    end
  end

  local cached, had_fence_key = nil, false
  local stored = redis.call('GET', fence_key)
  if stored then
    had_fence_key = true
    stored = string.match(stored, '^(%x+) ')
  elseif json then
    local kind = redis.call('TYPE', row)['ok']
    cached = kind ~= 'none'
    stored = row_fence(row, kind)
  else
    local field = redis.pcall('HGET', row, '_lsn')
    if type(field) == 'string' then
      stored, cached = field, true
    elseif type(field) == 'table' then
      stored, cached = false, true  -- an error reply: the key holds something else than a hash
    else
      stored = false
    end
  end
  if stored and stored >= fence then
    stale = stale + 1
  else
    if cached == nil then cached = redis.call('EXISTS', row) == 1 end
    local wrote = false
    if action == 'delete' then
      if cached then redis.call('DEL', row) end
      deleted = deleted + 1
    elseif action == 'refresh' and not cached then
      not_cached = not_cached + 1
    elseif not complete and (json or not cached) then
      if cached then redis.call('DEL', row) end
      deleted = deleted + 1
    else
      if json then
        if ttl > 0 then redis.call('SET', row, doc, 'PX', ttl) else redis.call('SET', row, doc) end
      else
        if complete and cached then redis.call('DEL', row) end
        local last_pair = first + 2 * pairs_count - 1
        redis.call('HSET', row, '_lsn', fence, unpack(ARGV, first, last_pair))
        if not complete and nulls_count > 0 then
          redis.call('HDEL', row, unpack(ARGV, last_pair + 1, last_pair + nulls_count))
        end
        if ttl > 0 then redis.call('PEXPIRE', row, ttl) end
      end
      wrote = true
      written = written + 1
    end
    -- A row written without expiry is its own fence (its "_lsn"), and fills skip a cached row:
    -- no fence key is needed unless one exists (it must not stay behind, older than the row).
    if had_fence_key or not wrote or ttl > 0 then
      redis.call('SET', fence_key, fence .. ' ' .. xid, 'PX', fence_ttl)
    end
  end
end
return {stale, written, deleted, not_cached}
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
