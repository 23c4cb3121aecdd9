"""Fixtures: one throwaway PostgreSQL per test session (scripts/pg-local), SQL helpers, fresh
slot / publication / table names per test."""

import itertools
import os
import subprocess
import sys
import tempfile

import psycopg2
import pytest

SOURCE_DIR = os.environ.get(
    "SABOT_SOURCE_DIR", os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
PG_LOCAL = os.path.join(SOURCE_DIR, "scripts", "pg-local")
# The seed's snippets connect to localhost:5433; the session's server takes that port when free.
SEED_PORT = 5433

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def _pg_local(*args):
    return subprocess.run(["bash", PG_LOCAL, *args], check=True, capture_output=True,
                          text=True).stdout.strip()


class Postgres:
    def __init__(self, directory):
        self.dir = directory
        self.port = int(open(os.path.join(directory, "port")).read().strip())
        self.dsn = _pg_local("tcp-dsn", directory)  # TCP with a password: auth errors are real

    def connect(self):
        conn = psycopg2.connect(self.dsn)
        conn.autocommit = True
        return conn

    def execute(self, sql, params=None):
        conn = self.connect()
        try:
            with conn.cursor() as cur:
                cur.execute(sql, params)
        finally:
            conn.close()

    def query(self, sql, params=None):
        conn = self.connect()
        try:
            with conn.cursor() as cur:
                cur.execute(sql, params)
                return cur.fetchall()
        finally:
            conn.close()

    def current_lsn(self):
        return self.query("SELECT pg_current_wal_lsn()::text")[0][0]

    def confirmed_flush(self, slot):
        rows = self.query("SELECT confirmed_flush_lsn::text FROM pg_replication_slots "
                          "WHERE slot_name = %s", (slot,))
        return rows[0][0] if rows else None


@pytest.fixture(scope="session")
def pg():
    directory = tempfile.mkdtemp(prefix="sabot-pypg-")
    try:
        _pg_local("start", directory, "--port", str(SEED_PORT))
    except subprocess.CalledProcessError:
        _pg_local("destroy", directory)
        directory = tempfile.mkdtemp(prefix="sabot-pypg-")
        _pg_local("start", directory)
    yield Postgres(directory)
    _pg_local("destroy", directory)


_counter = itertools.count()


class Names:
    """Unique slot, publication and table names for one test."""

    def __init__(self, test_name):
        stem = "".join(c for c in test_name.lower() if c.isalnum() or c == "_")[:30]
        n = next(_counter)
        self.slot = f"py_{stem}_{n}"
        self.publication = f"pub_{stem}_{n}"
        self.table = f"t_{stem}_{n}"


@pytest.fixture
def names(request):
    return Names(request.node.name)


def lsn_value(text):
    hi, lo = text.split("/")
    return (int(hi, 16) << 32) | int(lo, 16)


@pytest.fixture
def make_config(pg, names):
    """PostgreSQLCDCConfig for this test's slot and publication (created by the connector)."""
    from sabot_cdc import PostgreSQLCDCConfig

    def make(**overrides):
        fields = dict(dsn=pg.dsn, slot_name=names.slot, publication_name=names.publication,
                      tables=[f"public.{names.table}"], create_slot_if_missing=True,
                      create_publication_if_missing=True, max_batch_latency_ms=20,
                      reconnect=False)
        fields.update(overrides)
        return PostgreSQLCDCConfig(**fields)

    return make


@pytest.fixture
def setup_slot(pg, names, make_config):
    """Creates the test's table (given its column list), publication and slot; returns a config."""
    import sabot_cdc

    def setup(columns="id serial PRIMARY KEY, v text", plugin="pgoutput", **overrides):
        pg.execute(f"CREATE TABLE {names.table} ({columns})")
        config = make_config(plugin=plugin, **overrides)
        sabot_cdc.execute_init_sql(config, install_ddl_capture=False)
        return config

    return setup
