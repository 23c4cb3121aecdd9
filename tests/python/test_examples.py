"""The four Python examples: each one's figures, computed from the stream alone, equal what SQL
computes on the database afterwards (the same checks as the C++ examples' tests)."""

import collections
import dataclasses
import decimal
import importlib.util
import os
import subprocess
import sys
import tempfile

import psycopg2
import pytest

from conftest import SOURCE_DIR

EXAMPLES = os.path.join(SOURCE_DIR, "examples", "python")
sys.path.insert(0, EXAMPLES)


def load(name):
    spec = importlib.util.spec_from_file_location(name.replace(".py", ""),
                                                  os.path.join(EXAMPLES, name))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def database(pg, request):
    name = "pyex_" + "".join(c for c in request.node.name.lower() if c.isalnum())[:40]
    pg.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    pg.execute(f"CREATE DATABASE {name}")
    dsn = pg.dsn.replace("dbname=sabot", f"dbname={name}")
    conn = psycopg2.connect(dsn)
    conn.autocommit = True
    yield dsn, conn
    conn.close()


def query(conn, sql):
    with conn.cursor() as cur:
        cur.execute(sql)
        return cur.fetchall()


def use_schema(conn, schema):
    """The examples keep their tables in a schema of their own (ex01..ex04): SQL finds them."""
    with conn.cursor() as cur:
        cur.execute(f"SET search_path TO {schema}")


def end_lsn(conn):
    return query(conn, "SELECT pg_current_wal_lsn()::text")[0][0]


@pytest.mark.parametrize("plugin", ["pgoutput", "wal2json"])
def test_01_basic_cdc_rebuilds_the_table(database, plugin, capsys):
    dsn, conn = database
    use_schema(conn, "ex01")
    ex = load("01_basic_cdc.py")
    ex.workload("01_basic_cdc", dsn, "--setup")
    config = ex.fresh_slot(dsn, "ex01_slot", "ex01_pub", ["ex01.products"], plugin)
    ex.workload("01_basic_cdc", dsn, "--transactions", "30", "--seed", "3")
    rows = {}

    def on_event(e):
        if e.type == "delete":
            rows.pop(e.old_data["id"])
        elif e.type in ("insert", "update"):
            rows[e.data["id"]] = e.data

    import asyncio  # pylint: disable=import-outside-toplevel
    transactions, changes = asyncio.run(ex.stream(config, on_event))
    out = capsys.readouterr().out
    cur = conn.cursor()
    cur.execute("SELECT * FROM products ORDER BY id")
    names = [d[0] for d in cur.description]
    truth = {r[0]: dict(zip(names, r)) for r in cur.fetchall()}
    assert rows == truth
    assert transactions == 30 and changes == out.count("\n  INSERT") + out.count(
        "\n  UPDATE") + out.count("\n  DELETE")


@pytest.mark.parametrize("plugin", ["pgoutput", "wal2json"])
def test_02_ecommerce_matches_sql(database, plugin, capsys):
    dsn, conn = database
    use_schema(conn, "ex02")
    ex = load("02_ecommerce_orders.py")
    ex.workload("02_ecommerce_orders", dsn, "--setup")
    config = ex.fresh_slot(dsn, "ex02_slot", "ex02_pub", ex.TABLES, plugin)
    ex.workload("02_ecommerce_orders", dsn, "--orders", "500")
    p = ex.run(dataclasses.replace(config, batch_size=500, end_lsn=end_lsn(conn)))
    capsys.readouterr()
    m = p.metrics()
    by_status = dict(query(conn, "SELECT status, count(*) FROM orders GROUP BY status"))
    assert {s: n for s, n in m["by_status"].items() if n} == by_status
    revenue, captured, aov = query(conn, "SELECT sum(amount), count(*), trunc(sum(amount) / "
                                         "count(*), 2) FROM payments WHERE status = 'captured'")[0]
    assert (m["revenue"], m["captured"], m["aov"]) == (revenue, captured, aov)
    refunded, refunds = query(conn, "SELECT coalesce(sum(amount), 0), count(*) FROM payments "
                                    "WHERE status = 'refunded'")[0]
    assert (m["refunded"], m["refunds"]) == (refunded, refunds)
    for product, on_hand, reserved in query(conn, "SELECT product_id, on_hand, reserved "
                                                  "FROM inventory"):
        assert p.stock[product][1:] == (on_hand, reserved)
        assert p.reserved_by_orders[product] == reserved
    payments = {i: (o, a, s == "refunded")
                for i, o, a, s in query(conn, "SELECT id, order_id, amount, status FROM payments")}
    assert p.payments == payments
    assert p.illegal_transitions > 0
    assert all(illegal for illegal, _ in p.alerts), p.alerts


def test_03_analytics_matches_sql(database, capsys):
    dsn, conn = database
    use_schema(conn, "ex03")
    ex = load("03_realtime_analytics.py")
    ex.workload("03_realtime_analytics", dsn, "--setup")
    config = ex.fresh_slot(dsn, "ex03_slot", "ex03_pub", ex.TABLES, "pgoutput")
    ex.workload("03_realtime_analytics", dsn, "--orders", "300", "--duration-ms", "1500")
    a = ex.run(dataclasses.replace(config, batch_size=500, end_lsn=end_lsn(conn)), 250)
    capsys.readouterr()
    t = a.totals
    orders, items, revenue = query(conn, "SELECT count(DISTINCT o.id), sum(l.quantity), "
                                         "sum(l.quantity * l.unit_price) FROM orders o "
                                         "JOIN order_lines l ON l.order_id = o.id")[0]
    assert (t.orders, t.items, t.revenue) == (orders, items, revenue)
    assert dict(t.by_category) == dict(query(
        conn, "SELECT p.category, sum(l.quantity * l.unit_price) FROM order_lines l "
              "JOIN products p ON p.id = l.product_id GROUP BY 1"))
    assert dict(t.by_region) == dict(query(
        conn, "SELECT o.region, sum(l.quantity * l.unit_price) FROM order_lines l "
              "JOIN orders o ON o.id = l.order_id GROUP BY 1"))
    # The windows partition the orders: 1.5 s of orders in 250 ms windows.
    assert sum(w.orders for w in a.windows.values()) == orders and len(a.windows) >= 4
    assert sum((w.revenue for w in a.windows.values()), decimal.Decimal(0)) == revenue


@pytest.fixture
def redis_server():
    import redis  # pylint: disable=import-outside-toplevel
    directory = tempfile.mkdtemp(prefix="sabot-pyredis-")
    script = os.path.join(SOURCE_DIR, "scripts", "redis-local")
    subprocess.run(["bash", script, "start", directory], check=True, capture_output=True)
    port = int(open(os.path.join(directory, "port")).read())
    yield redis.Redis(host="127.0.0.1", port=port)
    subprocess.run(["bash", script, "destroy", directory], check=True, capture_output=True)


def test_04_cache_matches_sql(database, redis_server, capsys):
    dsn, conn = database
    use_schema(conn, "ex04")
    ex = load("04_cache_invalidation.py")
    ex.workload("04_cache_invalidation", dsn, "--setup")
    ex.workload("04_cache_invalidation", dsn, "--transactions", "20")
    config = ex.fresh_slot(dsn, "ex04_slot", "ex04_pub", ["ex04.users", "ex04.products"],
                           "pgoutput")
    syncer, wrong = ex.run(config, redis_server, conn, lambda: ex.random_changes(conn, 150, 11))
    capsys.readouterr()
    assert wrong == []
    assert syncer.refreshed > 0 and syncer.deleted > 0 and syncer.skipped > 0
    # TTLs per table are set on every cached key.
    ttls = collections.defaultdict(set)
    for k in redis_server.scan_iter("cache:*"):
        ttls[k.decode().split(":")[1]].add(redis_server.ttl(k) <= ex.TABLES[k.decode().split(":")[1]])
    assert ttls == {"users": {True}, "products": {True}}
