"""Drain throughput from Python, in one run against one backlog (the schema and backlog
generator of bench/run: tables orders and wide, 60 % inserts, 30 % updates, 10 % deletes):

  cpp        `sabot-cdc stream --end-lsn ... > /dev/null` (the C++ drain of bench/run)
  cpp_wal2json  the same C++ drain from a wal2json slot: what the server's wal2json allows any
             client, the bound of the psycopg2 consumer below
  python     sabot_cdc, `async for batch in connector.stream_batches()`, every value of every
             event touched (event.data and event.old_data: typed Python values)
  python_events  the same loop reading no value: what the engine and the binding cost alone
  psycopg2   psycopg2's LogicalReplicationConnection + wal2json (format 2) + json.loads, every
             value touched (untyped JSON values: what one would write without sabot_cdc)

Each drains a fresh copy of the same slot (pg_copy_logical_replication_slot). A benchmark, not a
test: nothing is asserted except that every consumer sees all N changes.

    /usr/bin/python3 bench/python/bench_python.py [--n 200000] [--per-tx 1000] [--runs 1]
"""

import argparse
import asyncio
import datetime
import json
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=200000, help="changes in the backlog")
    p.add_argument("--per-tx", type=int, default=1000, help="changes per transaction")
    p.add_argument("--runs", type=int, default=1)
    p.add_argument("--build-dir", default=os.path.join(REPO, "build"))
    p.add_argument("--out", help="Markdown results file (default bench/results/python-DATE.md)")
    p.add_argument("--keep", action="store_true", help="leave the server running")
    return p.parse_args()


def pg_local(*args):
    return subprocess.run(["bash", os.path.join(REPO, "scripts", "pg-local"), *args], check=True,
                          capture_output=True, text=True).stdout.strip()


def schema_sql():
    """The schema, row procedures and backlog generator of bench/run (its create_schema)."""
    text = open(os.path.join(REPO, "bench", "run"), encoding="utf-8").read()
    return re.search(r"create_schema\(\) \{\n  sql <<'SQL'\n(.*?)\nSQL\n", text, re.S).group(1)


class Server:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="sabot-pybench-")
        pg_local("start", self.dir)
        self.dsn = pg_local("dsn", self.dir)
        import psycopg2  # pylint: disable=import-outside-toplevel
        self.conn = psycopg2.connect(self.dsn)
        self.conn.autocommit = True

    def sql(self, statement):
        with self.conn.cursor() as cur:
            cur.execute(statement)
            return cur.fetchall() if cur.description else None

    def stop(self):
        self.conn.close()
        pg_local("destroy", self.dir)


def make_backlog(server, n, per_tx):
    server.sql(schema_sql())
    dels, upds = n // 20 + 1, n * 3 // 20 + 1
    server.sql(f"DO $$ BEGIN FOR i IN 1..{dels + upds} LOOP CALL bench_insert_order(i); "
               f"CALL bench_insert_wide(i); END LOOP; END $$")
    server.sql("VACUUM ANALYZE orders, wide")
    server.sql("CHECKPOINT")
    for plugin in ("pgoutput", "wal2json"):
        server.sql(f"SELECT pg_create_logical_replication_slot('tpl_{plugin}', '{plugin}')")
    started = time.monotonic()
    server.sql("SET synchronous_commit = off")
    server.sql(f"CALL bench_generate({n}, {per_tx}, 1, {dels + 1}, {upds})")
    end = server.sql("SELECT pg_current_wal_insert_lsn()::text")[0][0]
    print(f"bench: backlog of {n} changes ({per_tx} per transaction) in "
          f"{time.monotonic() - started:.1f} s, ends at {end}", file=sys.stderr)
    return end


def clone(server, plugin, name):
    server.sql(f"SELECT pg_copy_logical_replication_slot('tpl_{plugin}', '{name}')")
    return name


def children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def drain_cpp(server, slot, end, build_dir, plugin="pgoutput"):
    started, cpu = time.monotonic(), children_cpu()
    subprocess.run([os.path.join(build_dir, "sabot-cdc"), "stream", "--dsn", server.dsn, "--slot",
                    slot, "--publication", "bench", "--end-lsn", end, "--quiet",
                    "--plugin", plugin, "--batch-size", "1000"], check=True,
                   stdout=subprocess.DEVNULL)
    return time.monotonic() - started, children_cpu() - cpu


def drain_python(server, slot, end, touch=True):
    import sabot_cdc  # pylint: disable=import-outside-toplevel
    config = sabot_cdc.PostgreSQLCDCConfig(dsn=server.dsn, slot_name=slot,
                                           publication_name="bench", end_lsn=end,
                                           batch_size=1000)

    async def run():
        events = touched = 0
        async with sabot_cdc.PostgreSQLCDCConnector(config) as connector:
            async for batch in connector.stream_batches():
                if not touch:
                    events += len(batch)
                    continue
                for event in batch:
                    events += 1
                    for _value in event.data.values():
                        touched += 1
                    old = event.old_data
                    if old is not None:
                        for _value in old.values():
                            touched += 1
        return events

    started, cpu = time.monotonic(), time.process_time()
    events = asyncio.run(run())
    return time.monotonic() - started, events, time.process_time() - cpu


def drain_psycopg2(server, slot, n):
    import psycopg2  # pylint: disable=import-outside-toplevel
    import psycopg2.extras  # pylint: disable=import-outside-toplevel
    conn = psycopg2.connect(server.dsn, connection_factory=psycopg2.extras.LogicalReplicationConnection)
    cur = conn.cursor()
    state = {"events": 0, "touched": 0}

    def consume(msg):
        doc = json.loads(msg.payload)
        if doc["action"] in ("I", "U", "D"):
            state["events"] += 1
            for column in doc.get("columns", ()):
                _ = column["value"]
                state["touched"] += 1
            for column in doc.get("identity", ()):
                _ = column["value"]
                state["touched"] += 1
        if state["events"] >= n and doc["action"] == "C":
            msg.cursor.send_feedback(flush_lsn=msg.data_start)
            raise psycopg2.extras.StopReplication()

    started, cpu = time.monotonic(), time.process_time()
    cur.start_replication(slot_name=slot, decode=True, options={
        "format-version": "2", "include-xids": "1", "include-timestamp": "1",
        "include-lsn": "1", "include-types": "1", "include-pk": "1"})
    try:
        cur.consume_stream(consume)
    except psycopg2.extras.StopReplication:
        pass
    elapsed, cpu = time.monotonic() - started, time.process_time() - cpu
    conn.close()
    return elapsed, state["events"], cpu


def main():
    args = parse_args()
    sys.path.insert(0, os.path.join(args.build_dir, "python"))
    server = Server()
    try:
        end = make_backlog(server, args.n, args.per_tx)
        times = {k: [] for k in ("cpp", "cpp_wal2json", "python", "python_events", "psycopg2")}
        cpu = {k: [] for k in times}

        def record(key, wall, client_cpu):
            times[key].append(wall)
            cpu[key].append(client_cpu)

        for run in range(args.runs):
            record("cpp", *drain_cpp(server, clone(server, "pgoutput", f"c{run}"), end,
                                     args.build_dir))
            record("cpp_wal2json", *drain_cpp(server, clone(server, "wal2json", f"j{run}"), end,
                                              args.build_dir, "wal2json"))
            for key, slot, touch in (("python", f"p{run}", True), ("python_events", f"e{run}", False)):
                wall, events, client_cpu = drain_python(server, clone(server, "pgoutput", slot),
                                                        end, touch)
                assert events == args.n, f"sabot_cdc saw {events} of {args.n}"
                record(key, wall, client_cpu)
            wall, events, client_cpu = drain_psycopg2(server, clone(server, "wal2json", f"w{run}"),
                                                      args.n)
            assert events == args.n, f"psycopg2 saw {events} of {args.n}"
            record("psycopg2", wall, client_cpu)
            print(f"bench: run {run + 1}: " + ", ".join(f"{k} {v[-1]:.2f} s"
                                                       for k, v in times.items()), file=sys.stderr)
    finally:
        if not args.keep:
            server.stop()
    report(args, times, cpu)


def report(args, times, cpu):
    rate = {k: args.n / statistics.median(v) for k, v in times.items()}
    lines = [
        f"# Python drain throughput — {datetime.date.today()}, {platform.node()}, "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}",
        "",
        f"N = {args.n} changes, {args.per_tx} per transaction, median of {args.runs} run(s); "
        f"command: `{' '.join(sys.argv)}`",
        "",
        "| consumer | wall s | events/s | vs C++ drain | vs psycopg2 + wal2json | client CPU s |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    names = {"cpp": "C++ `sabot-cdc stream` (pgoutput)",
             "cpp_wal2json": "C++ `sabot-cdc stream --plugin wal2json` (the server's wal2json bound)",
             "python": "Python `sabot_cdc` async for, every value (pgoutput)",
             "python_events": "Python `sabot_cdc` async for, batches only, no value read",
             "psycopg2": "psycopg2 + wal2json 2 + json.loads, every value"}
    for key, name in names.items():
        lines.append(f"| {name} | {statistics.median(times[key]):.2f} | {rate[key]:,.0f} | "
                     f"{rate[key] / rate['cpp']:.2f}x | {rate[key] / rate['psycopg2']:.2f}x | "
                     f"{statistics.median(cpu[key]):.2f} |")
    text = "\n".join(lines) + "\n"
    print(text)
    out = args.out or os.path.join(REPO, "bench", "results",
                                   f"python-{datetime.date.today()}.md")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w", encoding="utf-8") as f:
        f.write(text)
    print(f"bench: wrote {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
