"""Example 01 in Python: print every change of ex01.products as it commits — inserts with their
values, updates as a column-by-column diff, deletes with the row they removed — under its
transaction, with the seed's `async for batch in connector.stream_batches()`.

    python3 examples/python/01_basic_cdc.py [--plugin wal2json] [--dsn CONNINFO] [--no-workload]

Without --dsn it uses the demo server (.demo/pg, database ex01_basic_cdc), re-creates the table
with the C++ example's workload simulator and runs it; it stops at the workload's done message.
"""

import asyncio
import dataclasses

from _common import (fresh_slot, is_done_message, parse_args, sabot_cdc,
                     workload)


def show(value):
    return "NULL" if value is None else repr(value) if isinstance(value, str) else str(value)


def describe(event):
    """The lines printed for one change; returns (lines, row) where row is (id, data or None)."""
    head = f"  {event.type.upper()} {event.schema}.{event.table} lsn {event.lsn}"
    if event.type == "schema_change":
        columns = " ".join(f"{c.name}:{c.type_name}" for c in event.columns)
        return [f"{head}  {event.ddl}: {columns}"]
    if event.type == "insert":
        return [head + "  " + " ".join(f"{k}={show(v)}" for k, v in event.data.items())]
    if event.type == "delete":
        old = event.old_data or {}
        return [f"{head}  id={old.get('id')}  (was: "
                + " ".join(f"{k}={show(v)}" for k, v in old.items()) + ")"]
    if event.type == "update":
        old = event.old_data or {}
        lines = [f"{head}  id={event.data.get('id')}"]
        for name, new in event.data.items():
            if name in old and old[name] != new:
                lines.append(f"           {name}: {show(old[name])} → {show(new)}")
        return lines
    return [head]


async def stream(config, on_event=None):
    transactions = changes = 0
    connector = sabot_cdc.PostgreSQLCDCConnector(config)
    async with connector:
        print(f"Streaming slot {config.slot_name} ({config.plugin}); Ctrl-C to stop.", flush=True)
        async for batch in connector.stream_batches():
            rows = [e for e in batch if not is_done_message(e)]
            if batch.first_in_transaction and rows:
                print(f"BEGIN xid {batch.transaction_id}, commit {batch.commit_lsn} at "
                      f"{batch.commit_time.isoformat()} ({len(batch)} changes)")
            for event in rows:
                print("\n".join(describe(event)))
                if on_event:
                    on_event(event)
            transactions += 1 if rows and batch.last_in_transaction else 0
            changes += len(rows)
            if any(is_done_message(e) for e in batch):
                break
        # Leaving the loop with break leaves the last batch (the done message) unacknowledged.
        connector.acknowledge(batch)
    print(f"{transactions} transactions, {changes} changes; slot confirmed up to "
          f"{connector.stats.flushed_lsn}")
    return transactions, changes


def main():
    args = parse_args(__doc__.splitlines()[0], "ex01_basic_cdc")
    if not args.no_workload:
        workload("01_basic_cdc", args.dsn, "--setup")
    config = fresh_slot(args.dsn, "ex01_slot", "ex01_pub", ["ex01.products"], args.plugin)
    config = dataclasses.replace(config, max_batch_latency_ms=50)
    running = None if args.no_workload else workload("01_basic_cdc", args.dsn, "--pause-ms", "100",
                                                     wait=False)
    try:
        asyncio.run(stream(config))
    except KeyboardInterrupt:
        print("interrupted")
    finally:
        if running:
            running.wait()


if __name__ == "__main__":
    main()
