"""Smoke run of sabot_cdc under any python3 (no pytest, no psycopg2 needed): starts a throwaway
PostgreSQL (scripts/pg-local), streams a few typed changes with `async for` and the synchronous
loop, and exits non-zero on the first failed check.

    PYTHONPATH=build/python python3 tests/python/smoke.py
"""

import asyncio
import dataclasses
import datetime
import decimal
import os
import subprocess
import sys
import tempfile

import sabot_cdc

SOURCE_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PG_LOCAL = os.path.join(SOURCE_DIR, "scripts", "pg-local")


def pg_local(*args):
    return subprocess.run(["bash", PG_LOCAL, *args], check=True, capture_output=True,
                          text=True).stdout.strip()


def psql(directory, sql):
    subprocess.run(["bash", PG_LOCAL, "psql", directory, "-qAtX", "-v", "ON_ERROR_STOP=1",
                    "-c", sql], check=True, capture_output=True)


def current_lsn(directory):
    return subprocess.run(["bash", PG_LOCAL, "psql", directory, "-qAtXc",
                           "SELECT pg_current_wal_lsn()"], check=True, capture_output=True,
                          text=True).stdout.strip()


def check(condition, what):
    if not condition:
        print(f"smoke: FAILED: {what}", file=sys.stderr)
        sys.exit(1)


async def stream_async(config):
    events = []
    async with sabot_cdc.PostgreSQLCDCConnector(config) as connector:
        async for batch in connector.stream_batches():
            events.extend(batch)
    return events


def run(directory):
    dsn = pg_local("tcp-dsn", directory)
    psql(directory, "CREATE TABLE smoke (id int PRIMARY KEY, price numeric(10,2), "
                    "at timestamptz, tags text[], doc jsonb)")
    config = sabot_cdc.PostgreSQLCDCConfig(dsn=dsn, slot_name="smoke_slot",
                                           publication_name="smoke_pub", tables=["public.smoke"])
    report = sabot_cdc.execute_init_sql(config)
    check(report["slot_created"], f"init created the slot: {report}")
    psql(directory, "INSERT INTO smoke VALUES (1, 9.99, '2026-01-02 03:04:05+00', "
                    "'{a,b}', '{\"k\": 1}')")
    psql(directory, "UPDATE smoke SET price = 10 WHERE id = 1")
    end = current_lsn(directory)
    events = asyncio.run(stream_async(dataclasses.replace(config, end_lsn=end)))
    rows = [e for e in events if e.type != "schema_change"]
    check([e.type for e in rows] == ["insert", "update"], f"types: {rows}")
    check(rows[0].data == {"id": 1, "price": decimal.Decimal("9.99"),
                           "at": datetime.datetime(2026, 1, 2, 3, 4, 5,
                                                   tzinfo=datetime.timezone.utc),
                           "tags": ["a", "b"], "doc": {"k": 1}}, f"values: {rows[0].data}")
    check(rows[0].transaction_id != rows[1].transaction_id, "two transactions")
    # Everything was acknowledged: a second run from the slot sees nothing again.
    with sabot_cdc.PostgreSQLCDCConnector(dataclasses.replace(config, end_lsn=end)) as c:
        again = [e for b in c.stream_batches() for e in b]
    check(again == [], f"nothing redelivered after acknowledgement: {again}")
    try:
        sabot_cdc.PostgreSQLCDCConnector(dataclasses.replace(config, password="wrong")).open()
        check(False, "a wrong password raises")
    except sabot_cdc.AuthenticationError:
        pass
    snapshot_from_a_pipeline_file(directory, dsn)
    print(f"smoke: ok ({sys.executable}, Python {sys.version.split()[0]})")


def snapshot_from_a_pipeline_file(directory, dsn):
    """snapshot = "only" from a `sabot-cdc run` file: the loop reads the table, then ends."""
    psql(directory, "CREATE TABLE snap AS SELECT g AS id, 'v' || g AS v "
                    "FROM generate_series(1, 250) g; ALTER TABLE snap ADD PRIMARY KEY (id)")
    path = os.path.join(directory, "pipeline.toml")
    with open(path, "w", encoding="utf-8") as f:
        f.write(f'[source]\ndsn = "{dsn}"\nslot = "snap_slot"\npublication = "snap_pub"\n'
                f'create-slot = true\ntables = ["public.snap"]\n'
                f'[stream]\nsnapshot = "only"\nsnapshot-chunk-rows = 100\n'
                f'snapshot-state = "{directory}/snap.snapshot"\n[sink]\noutput = "unused.jsonl"\n')
    config = sabot_cdc.PostgreSQLCDCConfig.from_file(path)
    with sabot_cdc.PostgreSQLCDCConnector(config) as c:
        reads = [e for b in c.stream_batches() if b.from_snapshot for e in b]
    check(sorted(e.data["id"] for e in reads) == list(range(1, 251)), f"read: {len(reads)} rows")
    check({e.type for e in reads} == {"read"}, "snapshot rows are 'read' events")


def main():
    directory = tempfile.mkdtemp(prefix="sabot-pysmoke-")
    pg_local("start", directory)
    try:
        run(directory)
    finally:
        pg_local("destroy", directory)


if __name__ == "__main__":
    main()
