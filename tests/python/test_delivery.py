"""Acknowledgement as in C++: the loops acknowledge what the body finished; manual mode
acknowledges in any order; the server's confirmed position is the contiguous acknowledged prefix;
unacknowledged batches come again after an exception, a SIGKILL or Ctrl-C."""

import dataclasses
import os
import signal
import subprocess
import sys
import time

import pytest

import sabot_cdc
from conftest import lsn_value
from helpers import drain, row_events

CHILD = os.path.join(os.path.dirname(os.path.abspath(__file__)), "consumer_child.py")


def insert_transactions(pg, table, count):
    for i in range(1, count + 1):
        pg.execute(f"INSERT INTO {table} (id, v) VALUES ({i}, 'row {i}')")


def ids(events):
    return [e.data["id"] for e in row_events(events)]


def test_manual_acknowledgement_out_of_order(pg, setup_slot, names):
    config = setup_slot("id int PRIMARY KEY, v text")
    insert_transactions(pg, names.table, 5)
    end = pg.current_lsn()
    connector = sabot_cdc.PostgreSQLCDCConnector(dataclasses.replace(config, end_lsn=end))
    with connector:
        batches = [connector.next_batch() for _ in range(5)]
        assert [b[0].data["id"] for b in batches] == [1, 2, 3, 4, 5]
        for i in (3, 0, 1):  # 4, 1, 2: the confirmed prefix is 1-2; 4 waits for 3
            connector.acknowledge(batches[i])
    assert pg.confirmed_flush(names.slot) == batches[1].end_lsn
    assert connector.stats.flushed_lsn == batches[1].end_lsn
    assert ids(drain(config, end)) == [3, 4, 5]


def test_exception_in_loop_body_leaves_batch_unacknowledged(pg, setup_slot, names):
    config = setup_slot("id int PRIMARY KEY, v text")
    insert_transactions(pg, names.table, 4)
    end = pg.current_lsn()
    seen = []
    with pytest.raises(RuntimeError, match="body failed"):
        with sabot_cdc.PostgreSQLCDCConnector(dataclasses.replace(config, end_lsn=end)) as c:
            for batch in c.stream_batches():
                seen.append(batch[0].data["id"])
                if seen[-1] == 3:
                    raise RuntimeError("body failed")
    assert seen == [1, 2, 3]
    assert ids(drain(config, end)) == [3, 4]


@pytest.mark.asyncio
async def test_exception_in_async_loop_body_leaves_batch_unacknowledged(pg, setup_slot, names):
    config = setup_slot("id int PRIMARY KEY, v text")
    insert_transactions(pg, names.table, 3)
    end = pg.current_lsn()
    with pytest.raises(KeyError):
        async with sabot_cdc.PostgreSQLCDCConnector(dataclasses.replace(config, end_lsn=end)) as c:
            async for batch in c.stream_batches():
                if batch[0].data["id"] == 2:
                    raise KeyError("body failed")
    assert ids(drain(config, end)) == [2, 3]


def start_child(pg, names, hold_at):
    return subprocess.Popen([sys.executable, CHILD, pg.dsn, names.slot, names.publication,
                             names.table, str(hold_at)], stdout=subprocess.PIPE, text=True,
                            env=os.environ.copy())


def read_until(child, line, timeout=30):
    lines = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = child.stdout.readline().strip()
        if not got and child.poll() is not None:
            break
        lines.append(got)
        if got == line:
            return lines
    raise AssertionError(f"child never printed {line!r}; got {lines}")


def test_sigkill_mid_stream_redelivers_unacknowledged(pg, setup_slot, names):
    config = setup_slot("id int PRIMARY KEY, v text")
    insert_transactions(pg, names.table, 8)
    end = pg.current_lsn()
    child = start_child(pg, names, hold_at=5)
    lines = read_until(child, "holding")
    delivered = [line.split() for line in lines if line.startswith("tx ")]
    assert [int(d[1]) for d in delivered] == [1, 2, 3, 4, 5]
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=10)
    confirmed = lsn_value(pg.confirmed_flush(names.slot))
    again = ids(drain(config, end))
    # The server confirmed only acknowledged transactions (never the held 5); the restart
    # resumes right after the confirmed ones: nothing lost, nothing confirmed comes again.
    first_unconfirmed = next(int(d[1]) for d in delivered if lsn_value(d[2]) > confirmed)
    assert first_unconfirmed <= 5
    assert again == list(range(first_unconfirmed, 9))


def test_ctrl_c_stops_cleanly_and_confirms_what_was_acknowledged(pg, setup_slot, names):
    config = setup_slot("id int PRIMARY KEY, v text")
    insert_transactions(pg, names.table, 6)
    end = pg.current_lsn()
    child = start_child(pg, names, hold_at=4)
    read_until(child, "holding")
    child.send_signal(signal.SIGINT)
    assert child.wait(timeout=15) == 130
    assert child.stdout.read().strip() == "interrupted"
    # close() ran: batches 1-3 are confirmed, 4 (interrupted in its body) comes again.
    assert ids(drain(config, end)) == [4, 5, 6]
