"""The seed README's Python snippets, verbatim except the import line, on our engine.

They connect to localhost:5433 as sabot/sabot (the seed's demo database): the session's server
takes port 5433 when it is free; otherwise these tests are skipped with that reason.
"""

import ast
import asyncio
import decimal

import pytest

import sabot_cdc

BASIC_CDC_STREAM = '''
from sabot_cdc import (
    PostgreSQLCDCConnector,
    PostgreSQLCDCConfig
)

config = PostgreSQLCDCConfig(
    host="localhost",
    port=5433,
    user="sabot",
    password="sabot",
    database="sabot",
    slot_name="sabot_cdc_slot",
    publication_name="sabot_cdc",
)

connector = PostgreSQLCDCConnector(config)

async with connector:
    async for batch in connector.stream_batches():
        # Process batch
        process_events(batch)
'''

TRANSACTION_BOUNDARIES = '''
for batch in connector.stream_batches():
    # All events in batch are from same transaction
    transaction_id = batch.transaction_id
    process_atomically(batch)
'''

SCHEMA_CHANGES = '''
if event.type == 'schema_change':
    update_schema_cache(event.schema, event.table)
'''

MULTI_TABLE_JOINS = '''
if event.transaction_id == last_tx_id:
    # Same transaction - related changes
    join_events(event, previous_events)
'''


@pytest.fixture
def seed_database(pg):
    if pg.port != 5433:
        pytest.skip("port 5433 (the seed's) was taken: the verbatim snippets cannot connect")
    pg.execute("DROP TABLE IF EXISTS products")
    pg.execute("CREATE TABLE products (id serial PRIMARY KEY, name text, price numeric(10,2))")
    config = sabot_cdc.PostgreSQLCDCConfig(dsn=pg.dsn, slot_name="sabot_cdc_slot",
                                           publication_name="sabot_cdc")
    with sabot_cdc.PostgresAdmin(config) as admin:
        if admin.find_slot("sabot_cdc_slot"):
            admin.drop_slot("sabot_cdc_slot")
        admin.init()
    return pg


def run_async_snippet(snippet, namespace):
    """Runs the snippet as written (top-level `async with`), its names in `namespace`."""
    code = compile(snippet, "<seed snippet>", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    coroutine = eval(code, namespace)  # pylint: disable=eval-used
    asyncio.run(asyncio.wait_for(coroutine, timeout=60))


def test_basic_cdc_stream_verbatim(seed_database):
    seed_database.execute("INSERT INTO products (name, price) VALUES ('Test', 99.99)")
    seen = []

    def process_events(batch):
        seen.extend(batch)
        if any(e.type == "insert" and e.table == "products" for e in seen):
            namespace["connector"].request_stop()

    namespace = {"process_events": process_events}
    run_async_snippet(BASIC_CDC_STREAM, namespace)
    inserts = [e for e in seen if e.type == "insert"]
    assert inserts[0].data == {"id": 1, "name": "Test", "price": decimal.Decimal("99.99")}


def test_table_filtering_and_transaction_boundaries(seed_database):
    seed_database.execute("CREATE TABLE IF NOT EXISTS orders (id int PRIMARY KEY)")
    seed_database.execute("BEGIN; INSERT INTO products (name, price) VALUES ('a', 1), ('b', 2); "
                          "INSERT INTO orders VALUES (1); COMMIT")
    end = seed_database.current_lsn()
    config = sabot_cdc.PostgreSQLCDCConfig(
        host="localhost", port=5433, user="sabot", password="sabot", database="sabot",
        slot_name="sabot_cdc_slot", publication_name="sabot_cdc",
        tables=["public.orders", "public.users"], end_lsn=end)
    connector = sabot_cdc.PostgreSQLCDCConnector(config)
    batches = []

    def process_atomically(batch):
        assert len({e.transaction_id for e in batch}) == 1
        rows = [(e.table, e.data) for e in batch if e.type != "schema_change"]
        if rows:
            batches.append((namespace["transaction_id"], rows))

    namespace = {"connector": connector, "process_atomically": process_atomically}
    with connector:
        exec(TRANSACTION_BOUNDARIES, namespace)  # pylint: disable=exec-used
        transaction_id = namespace["transaction_id"]
    assert batches == [(transaction_id, [("orders", {"id": 1})])]


def test_schema_change_and_multi_table_join_patterns(seed_database):
    seed_database.execute("ALTER TABLE products ADD COLUMN stock int")
    seed_database.execute("BEGIN; INSERT INTO products (name, price, stock) VALUES ('c', 3, 7); "
                          "UPDATE products SET stock = 6 WHERE name = 'c'; COMMIT")
    end = seed_database.current_lsn()
    config = sabot_cdc.PostgreSQLCDCConfig(dsn=seed_database.dsn, slot_name="sabot_cdc_slot",
                                           publication_name="sabot_cdc", end_lsn=end)
    connector = sabot_cdc.PostgreSQLCDCConnector(config)
    cache = {}
    joined = []

    def update_schema_cache(schema, table):
        cache[(schema, table)] = [c.name for c in connector.table_schema(schema, table).columns]

    def join_events(event, previous_events):
        joined.append((event.type, [p.type for p in previous_events]))

    last_tx_id = None
    previous_events = []
    with connector:
        for batch in connector.stream_batches():
            for event in batch:
                namespace = dict(event=event, update_schema_cache=update_schema_cache,
                                 join_events=join_events, last_tx_id=last_tx_id,
                                 previous_events=previous_events)
                exec(SCHEMA_CHANGES, namespace)  # pylint: disable=exec-used
                exec(MULTI_TABLE_JOINS, namespace)  # pylint: disable=exec-used
                if event.transaction_id != last_tx_id:
                    previous_events = []
                last_tx_id = event.transaction_id
                previous_events.append(event)
    assert cache[("public", "products")] == ["id", "name", "price", "stock"]
    assert ("update", ["insert"]) in joined
