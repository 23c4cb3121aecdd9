"""Snapshots from Python (README "Snapshots"): 'read' events and snapshot batches, an initial
snapshot taken while other sessions write (replaying reads and changes gives the table), 'only'
mode ending by itself, request_snapshot() on a running stream, snapshot_progress()."""

import dataclasses
import random
import threading
import time

import pytest

import sabot_cdc

END_PREFIX = "sabot_test_end"


def create_filled_table(pg, table, rows):
    pg.execute(f"CREATE TABLE {table} (id int PRIMARY KEY, v text)")
    pg.execute(f"INSERT INTO {table} SELECT g, 'initial ' || g FROM generate_series(1, %s) g",
               (rows,))


def table_rows(pg, table):
    return dict(pg.query(f"SELECT id, v FROM {table}"))


def snapshot_config(make_config, tmp_path, **overrides):
    fields = dict(snapshot="initial", snapshot_state_path=str(tmp_path / "progress.snapshot"))
    fields.update(overrides)
    return make_config(**fields)


def apply(state, event):
    """Applies one event to `state` (id -> v) the way README "Snapshots" says a consumer does."""
    if event.type in ("read", "insert"):
        state[event.data["id"]] = event.data["v"]
    elif event.type == "update":
        if event.old_data is not None:
            state.pop(event.old_data["id"], None)
        state[event.data["id"]] = event.data["v"]
    elif event.type == "delete":
        state.pop(event.old_data["id"], None)
    elif event.type == "truncate":
        state.clear()


def all_read(connector):
    progress = connector.snapshot_progress()
    return bool(progress) and all(p.done for p in progress)


def write_concurrently(pg, table, first_new_id, connector, finished):
    """Updates, deletes, inserts and key changes in many small transactions while the snapshot
    runs; then, once every table is read, a logical message that marks the end: everything the
    consumer must see comes before it."""
    rng = random.Random(15)
    conn = pg.connect()
    next_id = first_new_id
    try:
        with conn.cursor() as cur:
            for _ in range(400):
                target = rng.randint(1, first_new_id - 1)
                action = rng.random()
                if action < 0.5:
                    cur.execute(f"UPDATE {table} SET v = v || ' u' WHERE id = %s", (target,))
                elif action < 0.7:
                    cur.execute(f"DELETE FROM {table} WHERE id = %s", (target,))
                elif action < 0.8:
                    cur.execute(f"UPDATE {table} SET id = %s WHERE id = %s", (next_id, target))
                    next_id += 1
                else:
                    cur.execute(f"INSERT INTO {table} VALUES (%s, 'new')", (next_id,))
                    next_id += 1
            deadline = time.monotonic() + 120
            while not all_read(connector) and time.monotonic() < deadline:
                time.sleep(0.05)
            cur.execute("SELECT pg_logical_emit_message(true, %s, 'end')", (END_PREFIX,))
    finally:
        conn.close()
        finished.set()


def is_end_marker(event):
    return event.type == "message" and event.message_prefix == END_PREFIX


def test_initial_snapshot_under_concurrent_writes_replays_to_the_table(pg, names, make_config,
                                                                       tmp_path):
    rows = 20000
    create_filled_table(pg, names.table, rows)
    config = snapshot_config(make_config, tmp_path, snapshot_chunk_rows=500, snapshot_workers=2,
                             batch_size=500)
    state, counts = {}, {"read": 0, "change": 0}
    snapshot_batches = []
    finished = threading.Event()
    with sabot_cdc.PostgreSQLCDCConnector(config) as connector:
        writer = threading.Thread(target=write_concurrently,
                                  args=(pg, names.table, rows + 1, connector, finished))
        writer.start()
        try:
            for batch in connector.stream_batches():
                if batch.from_snapshot:
                    snapshot_batches.append(batch)
                if any(is_end_marker(e) for e in batch):
                    break
                for event in batch:
                    apply(state, event)
                    if event.type == "read":
                        counts["read"] += 1
                    elif event.type in ("insert", "update", "delete"):
                        counts["change"] += 1
        finally:
            connector.request_stop()
            writer.join()
        progress = connector.snapshot_progress()
    assert state == table_rows(pg, names.table)
    assert counts["read"] > 0 and counts["change"] > 0
    assert [(p.table, p.done) for p in progress] == [(f"public.{names.table}", True)]
    for batch in snapshot_batches:
        assert (batch.snapshot_schema, batch.snapshot_table) == ("public", names.table)
        assert batch.transaction_id == 0
        assert all(e.type == "read" and e.transaction_id == 0 for e in batch)
        assert all(e.old_data is None for e in batch)


def run_with_timeout(fn, seconds):
    result, error = [], []

    def target():
        try:
            result.append(fn())
        except BaseException as e:  # pylint: disable=broad-except
            error.append(e)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"did not end within {seconds} s"
    if error:
        raise error[0]
    return result[0]


def test_only_mode_reads_the_tables_then_ends(pg, names, make_config, tmp_path):
    rows = 3000
    create_filled_table(pg, names.table, rows)
    config = snapshot_config(make_config, tmp_path, snapshot="only", snapshot_chunk_rows=700)

    def consume():
        events = []
        with sabot_cdc.PostgreSQLCDCConnector(config) as connector:
            for batch in connector.stream_batches():
                events.extend(batch)
        return events

    events = run_with_timeout(consume, 120)
    reads = [e for e in events if e.type == "read"]
    assert sorted((e.data["id"], e.data["v"]) for e in reads) == sorted(
        table_rows(pg, names.table).items())
    assert len(reads) == rows


def test_request_snapshot_on_a_running_stream(pg, names, make_config, tmp_path):
    rows = 1200
    create_filled_table(pg, names.table, rows)  # before the slot: the stream alone never sees them
    config = snapshot_config(make_config, tmp_path, snapshot="never")
    sabot_cdc.execute_init_sql(config, install_ddl_capture=False)
    pg.execute(f"INSERT INTO {names.table} VALUES (0, 'streamed')")
    reads, inserts, request_ids = {}, [], []
    with sabot_cdc.PostgreSQLCDCConnector(config) as connector:
        assert connector.snapshot_progress() == []
        for batch in connector.stream_batches():
            for event in batch:
                if event.type == "insert":
                    inserts.append(event.data["id"])
                    request_ids.append(connector.request_snapshot(f"public.{names.table}"))
                elif event.type == "read":
                    assert batch.from_snapshot and batch.snapshot_table == names.table
                    reads[event.data["id"]] = event.data["v"]
            if len(reads) == rows + 1:
                break
        progress = connector.snapshot_progress()
    assert inserts == [0]
    assert request_ids and request_ids[0]
    assert reads == table_rows(pg, names.table)
    assert [(p.table, p.rows_done, p.done) for p in progress] == [
        (f"public.{names.table}", rows + 1, True)]


def test_request_snapshot_without_tables_is_a_configuration_error(setup_slot):
    connector = sabot_cdc.PostgreSQLCDCConnector(setup_slot())
    try:
        with pytest.raises(sabot_cdc.ConfigurationError, match="names the tables"):
            connector.request_snapshot([])
    finally:
        connector.close()


@pytest.mark.parametrize("fields, words", [
    (dict(snapshot="sometimes"), ["sometimes", "initial"]),
    (dict(snapshot_workers=0), ["snapshot_workers", "between 1 and 64"]),
    (dict(snapshot_chunk_rows=0), ["snapshot_chunk_rows", "between 1"]),
])
def test_bad_snapshot_settings_are_configuration_errors(fields, words):
    config = sabot_cdc.PostgreSQLCDCConfig(dsn="host=/nonexistent", **fields)
    with pytest.raises(sabot_cdc.ConfigurationError) as raised:
        sabot_cdc.PostgreSQLCDCConnector(config)
    for word in words:
        assert word in str(raised.value)


def test_a_consumer_checkpoint_that_is_not_an_lsn_is_a_configuration_error():
    connector = sabot_cdc.PostgreSQLCDCConnector(
        sabot_cdc.PostgreSQLCDCConfig(dsn="host=/nonexistent"))
    with pytest.raises(sabot_cdc.ConfigurationError, match="'yesterday' is not an LSN"):
        connector.set_consumer_checkpoint("yesterday", 0)
