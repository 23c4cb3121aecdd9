"""A consumer process for the crash and Ctrl-C tests.

    consumer_child.py DSN SLOT PUBLICATION TABLE HOLD_AT

Streams with `async for`, printing "tx <first id of the batch> <its end LSN>" per batch, and blocks
inside the body of the batch whose first id is HOLD_AT after printing "holding" — so that batch is
handed out and never acknowledged when the parent kills or interrupts it.
"""

import asyncio
import sys

import sabot_cdc


async def main(dsn, slot, publication, table, hold_at):
    config = sabot_cdc.PostgreSQLCDCConfig(dsn=dsn, slot_name=slot, publication_name=publication,
                                           tables=[f"public.{table}"], batch_size=1,
                                           max_batch_latency_ms=20, reconnect=False)
    async with sabot_cdc.PostgreSQLCDCConnector(config) as connector:
        async for batch in connector.stream_batches():
            first = batch[0].data["id"]
            print(f"tx {first} {batch.end_lsn}", flush=True)
            if first == hold_at:
                print("holding", flush=True)
                while True:  # an endless body; the event loop stays free for Ctrl-C
                    await asyncio.sleep(0.05)
    print("closed", flush=True)


if __name__ == "__main__":
    try:
        asyncio.run(main(*sys.argv[1:5], int(sys.argv[5])))
    except KeyboardInterrupt:
        print("interrupted", flush=True)
        sys.exit(130)
