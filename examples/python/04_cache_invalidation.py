"""Example 04 in Python: a Redis cache of ex04.users and ex04.products kept right by the
change stream (Debian's python3-redis, a redis-server from scripts/redis-local).

- the cache is filled from SQL (cache-aside: here a warm-up of every row before the workload);
- smart updates: a change to a cached row refreshes it, a change to a row nobody cached is not
  written, a delete removes the key;
- TTL per table (users 60 s, products 30 s), set at fill and renewed on every refresh;
- ordering: a Lua script stores each row's position (commit LSN, seq) and refuses an older
  change, so a redelivered or late change never overwrites a newer one; unchanged TOASTed
  columns (a long description an update did not touch) are kept from the cached row.

    python3 examples/python/04_cache_invalidation.py [--redis-port N] [--dsn ...]

Unlike the C++ twin, no reader fills the cache while changes flow (its xmin fencing of that race
is not reproduced here); the audit at the end compares every cached key with SQL.
"""

import datetime
import json
import os
import subprocess

import redis

from _common import REPO, for_each_transaction, fresh_slot, parse_args, sabot_cdc, workload

TABLES = {"users": 60, "products": 30}  # table -> TTL seconds
# KEYS[1] row hash; ARGV: position, ttl, json of the columns to set, fill?(1/0).
APPLY = """
local stored = redis.call('HGET', KEYS[1], '_pos')
if ARGV[4] == '0' and not stored then return 0 end
if stored and tonumber(stored) >= tonumber(ARGV[1]) then return 0 end
local row = cjson.decode(ARGV[3])
for k, v in pairs(row) do redis.call('HSET', KEYS[1], k, v) end
redis.call('HSET', KEYS[1], '_pos', ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[2])
return 1
"""


def key(table, row_id):
    return f"cache:{table}:{row_id}"


def position(event):
    # (commit LSN, seq) as one increasing number: seq stays below 2^20 in these workloads.
    return event.position[0] * (1 << 20) + event.position[1]


def canonical(value):
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.timezone.utc).isoformat()
    return str(value)


def text(row):
    """A row as the cache stores it: the same text whether it came from SQL or the stream."""
    return {k: canonical(v) for k, v in row.items()}


def sql_rows(cur, table, where="", params=()):
    cur.execute(f"SELECT * FROM {table} {where}", params)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]


class CacheSyncer:
    def __init__(self, client):
        self.client = client
        self.apply_script = client.register_script(APPLY)
        self.refreshed = self.skipped = self.deleted = 0

    def fill_from_sql(self, conn):
        """Warm-up: every row, with position 0 (any change from the stream is newer)."""
        with conn.cursor() as cur:
            for table, ttl in TABLES.items():
                for row in sql_rows(cur, table):
                    self.apply_script(keys=[key(table, row["id"])],
                                      args=[0, ttl, json.dumps(text(row)), 1])

    def apply(self, events):
        for e in events:
            if e.table not in TABLES or e.type not in ("insert", "update", "delete"):
                continue
            if e.type == "delete":
                self.client.delete(key(e.table, e.old_data["id"]))
                self.deleted += 1
                continue
            done = self.apply_script(keys=[key(e.table, e.data["id"])],
                                     args=[position(e), TABLES[e.table],
                                           json.dumps(text(e.data)), 0])
            if done:
                self.refreshed += 1
            else:
                self.skipped += 1


def audit(client, conn):
    """Cached keys whose fields differ from the row in SQL (or whose row is gone)."""
    wrong = []
    with conn.cursor() as cur:
        for table in TABLES:
            for k in client.scan_iter(f"cache:{table}:*"):
                row_id = int(k.decode().rsplit(":", 1)[1])
                found = sql_rows(cur, table, "WHERE id = %s", (row_id,))
                cached = {f.decode(): v.decode() for f, v in client.hgetall(k).items()}
                cached.pop("_pos", None)
                if not found or cached != text(found[0]):
                    wrong.append(k.decode())
    return wrong


def random_changes(conn, transactions, seed):
    """Changes to the cached rows: updates of every kind (the long description too), deletes,
    inserts of rows nobody cached; several per transaction."""
    import random  # pylint: disable=import-outside-toplevel
    rng = random.Random(seed)
    with conn.cursor() as cur:
        for _ in range(transactions):
            cur.execute("BEGIN")
            for _ in range(rng.randint(1, 4)):
                table = rng.choice(list(TABLES))
                cur.execute(f"SELECT id FROM {table} ORDER BY random() LIMIT 1")
                found = cur.fetchone()
                pick = rng.random()
                if found is None or pick < 0.15:
                    cur.execute(f"SELECT coalesce(max(id), 0) + 1 FROM {table}")
                    new_id = cur.fetchone()[0]
                    if table == "users":
                        cur.execute("INSERT INTO users (id, name, email, tier) VALUES "
                                    "(%s, 'New', 'new@example.com', 'free')", (new_id,))
                    else:
                        cur.execute("INSERT INTO products (id, name, price, stock) VALUES "
                                    "(%s, 'New', 1.00, 1)", (new_id,))
                elif pick < 0.25:
                    cur.execute(f"DELETE FROM {table} WHERE id = %s", found)
                elif table == "users":
                    cur.execute("UPDATE users SET tier = %s, updated_at = now() WHERE id = %s",
                                (rng.choice(["free", "pro", "team"]), found[0]))
                elif pick < 0.6:
                    cur.execute("UPDATE products SET stock = %s WHERE id = %s",
                                (rng.randint(0, 100), found[0]))
                else:
                    cur.execute("UPDATE products SET description = repeat(md5(random()::text), "
                                "400) WHERE id = %s", found)
            cur.execute("COMMIT")
        cur.execute("SELECT pg_logical_emit_message(true, 'sabot_example', 'workload done')")


def redis_local(*args):
    return subprocess.run(["bash", os.path.join(REPO, "scripts", "redis-local"), *args],
                          check=True, capture_output=True, text=True).stdout.strip()


def run(config, client, conn, run_workload=None):
    syncer = CacheSyncer(client)
    syncer.fill_from_sql(conn)
    with sabot_cdc.PostgreSQLCDCConnector(config) as connector:
        print(f"Streaming slot {config.slot_name} ({config.plugin}); Ctrl-C to stop.", flush=True)
        if run_workload:
            run_workload()
        for_each_transaction(connector, lambda _b, events: syncer.apply(events),
                             stop_at_done=config.end_lsn is None)
    wrong = audit(client, conn)
    print(f"refreshed {syncer.refreshed}, not cached {syncer.skipped}, deleted {syncer.deleted}; "
          f"audit: {len(wrong)} cached keys differ from SQL")
    return syncer, wrong


def main():
    import psycopg2  # pylint: disable=import-outside-toplevel
    args = parse_args(__doc__.splitlines()[0], "ex04_cache",
                      lambda p: p.add_argument("--redis-port", type=int))
    port = args.redis_port
    if port is None:
        redis_dir = os.path.join(REPO, ".demo", "redis")
        redis_local("start", redis_dir)
        port = int(redis_local("port", redis_dir))
    client = redis.Redis(host="127.0.0.1", port=port)
    client.flushdb()
    if not args.no_workload:
        workload("04_cache_invalidation", args.dsn, "--setup")
        # Rows to cache: the workload's first transactions, before the stream starts.
        workload("04_cache_invalidation", args.dsn, "--transactions", "20")
    config = fresh_slot(args.dsn, "ex04_slot", "ex04_pub", ["ex04.users", "ex04.products"],
                        args.plugin)
    # The example's tables live in schema ex04 (its workload --setup creates them there).
    conn = psycopg2.connect(args.dsn, options="-c search_path=ex04")
    conn.autocommit = True
    try:
        run(config, client, conn,
            None if args.no_workload else lambda: random_changes(conn, 200, seed=7))
    except KeyboardInterrupt:
        print("interrupted")


if __name__ == "__main__":
    main()
