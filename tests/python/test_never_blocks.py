"""The stream never blocks Python: an asyncio task keeps its schedule while `async for` waits for
the server, and other threads run while the synchronous loop waits."""

import asyncio
import dataclasses
import threading
import time

import pytest

import sabot_cdc

TICK = 0.01


@pytest.mark.asyncio
async def test_event_loop_keeps_ticking_while_async_for_waits(pg, setup_slot, names):
    config = setup_slot("id int PRIMARY KEY, v text")
    ticks = []

    async def ticker():
        while True:
            ticks.append(time.monotonic())
            await asyncio.sleep(TICK)

    async def commit_later():
        await asyncio.sleep(1.0)  # the stream is idle (waiting for the server) meanwhile
        await asyncio.to_thread(pg.execute, f"INSERT INTO {names.table} VALUES (1, 'late')")

    ticking = asyncio.create_task(ticker())
    writer = asyncio.create_task(commit_later())
    received = None
    start = time.monotonic()
    async with sabot_cdc.PostgreSQLCDCConnector(config) as connector:
        async for batch in connector.stream_batches():
            received = batch[0].data
            break
    waited = time.monotonic() - start
    ticking.cancel()
    await writer
    assert received == {"id": 1, "v": "late"} and waited >= 1.0
    gaps = [b - a for a, b in zip(ticks, ticks[1:])]
    # On time: no gap near the wait (a blocked loop would show one of about a second).
    assert max(gaps) < 0.25, max(gaps)
    assert len(ticks) >= 0.5 * waited / TICK


def test_other_threads_run_while_next_batch_waits(pg, setup_slot, names):
    config = setup_slot("id int PRIMARY KEY, v text")
    counter = [0]
    stop = threading.Event()

    def spin():
        while not stop.is_set():
            counter[0] += 1

    spinner = threading.Thread(target=spin)
    with sabot_cdc.PostgreSQLCDCConnector(config) as connector:
        spinner.start()
        threading.Timer(0.5, pg.execute, (f"INSERT INTO {names.table} VALUES (1, 'x')",)).start()
        before = counter[0]
        batch = connector.next_batch()
        during = counter[0] - before
        stop.set()
        spinner.join()
        connector.acknowledge(batch)
    assert batch[0].data["id"] == 1
    assert during > 10000  # the spinner ran for the half second next_batch waited


def test_request_stop_from_another_thread_ends_the_loop(pg, setup_slot, names):
    config = setup_slot("id int PRIMARY KEY, v text")
    connector = sabot_cdc.PostgreSQLCDCConnector(config)
    with connector:
        threading.Timer(0.3, connector.request_stop).start()
        start = time.monotonic()
        assert list(connector.stream_batches()) == []
    assert time.monotonic() - start < 5
