"""PostgreSQLCDCConnector: the seed's connector over the C++ engine.

All engine calls that wait (open, next_batch, close) run on one worker thread owned by the
connector, with the GIL released: an asyncio loop keeps running while ``async for`` waits, other
Python threads run, and Ctrl-C reaches the main thread at once (it then stops the engine, which
returns within about a second). The loops acknowledge a batch when the body that received it
finishes without raising; anything handed out and not acknowledged comes again after a restart.
"""

import asyncio
import concurrent.futures
import threading
import weakref

from . import _native

_live = weakref.WeakSet()


def _stop_all_at_exit():
    # Interpreter exit joins executor threads: a worker blocked waiting for the server would
    # hang it. Runs before that join (callbacks run in reverse order of registration).
    for connector in list(_live):
        connector.request_stop()


threading._register_atexit(_stop_all_at_exit)  # pylint: disable=protected-access


class _BatchStream:
    """What stream_batches() returns: iterate with ``for`` or ``async for``."""

    def __init__(self, connector):
        self._connector = connector

    def __iter__(self):
        return self._connector._sync_batches()  # pylint: disable=protected-access

    def __aiter__(self):
        return self._connector._async_batches()  # pylint: disable=protected-access


class PostgreSQLCDCConnector:
    """Streams committed changes as transaction-aligned batches (see the module docstring)."""

    def __init__(self, config):
        self.config = config
        self._native = _native.Connector(config._fields())  # pylint: disable=protected-access
        self._executor = concurrent.futures.ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="sabot-cdc")
        self._engine_open = False  # touched only on the worker thread
        self._pending = None  # a next_batch already asked of the worker, not yet handed out
        self._closed = False
        _live.add(self)

    # ---- the worker thread -------------------------------------------------------------------

    def _open_on_worker(self):
        if not self._engine_open:
            self._native.open()
            self._engine_open = True

    def _fetch_on_worker(self):
        self._open_on_worker()
        return self._native.next_batch()

    def _submit(self, fn):
        if self._closed:
            raise RuntimeError("the connector is closed")
        return self._executor.submit(fn)

    def _take_fetch(self):
        """The pending fetch, or a new one."""
        future, self._pending = self._pending, None
        return future if future is not None else self._submit(self._fetch_on_worker)

    def _wait(self, future):
        """future.result(), stopping the engine if Ctrl-C interrupts the wait."""
        try:
            return future.result()
        except KeyboardInterrupt:
            self.request_stop()
            raise

    # ---- synchronous API ---------------------------------------------------------------------

    def open(self):
        """Connects, checks the server and starts replication (raises CDCError on failure)."""
        self._wait(self._submit(self._open_on_worker))

    def next_batch(self):
        """The next batch, not acknowledged; None once stopped (request_stop, end_lsn)."""
        future = self._take_fetch()
        try:
            batch = self._wait(future)
        except KeyboardInterrupt:
            self._pending = future  # close() waits for it
            raise
        if batch is not None:
            self._native.handed_out(batch)
        return batch

    def acknowledge(self, batch):
        """The consumer made this batch (or batch id) durable. Any order."""
        self._native.acknowledge(batch if isinstance(batch, int) else batch.batch_id)

    def request_stop(self):
        """Stop at the next opportunity; safe from any thread and from signal handlers."""
        self._native.request_stop()

    def close(self):
        """Confirms everything acknowledged to the server and disconnects. Idempotent."""
        if self._closed:
            return
        pending, self._pending = self._pending, None
        if pending is not None and not pending.done():
            self.request_stop()  # unblocks the worker; that batch was never handed out
        future = self._executor.submit(self._native.close)
        self._closed = True
        try:
            future.result()
        finally:
            self._executor.shutdown(wait=True)
            _live.discard(self)

    def stream_batches(self):
        """Batches until stopped; ``for`` or ``async for``. A batch is acknowledged when the
        loop body that received it finishes without raising."""
        return _BatchStream(self)

    def _sync_batches(self):
        while True:
            batch = self.next_batch()
            if batch is None:
                return
            # Fetch the next batch while the body runs on this one.
            self._pending = self._submit(self._fetch_on_worker)
            yield batch
            self.acknowledge(batch)

    def __enter__(self):
        self.open()
        return self

    def __exit__(self, *exc_info):
        self.close()

    # ---- asyncio API -------------------------------------------------------------------------

    async def _await(self, future):
        try:
            return await asyncio.wrap_future(future)
        except asyncio.CancelledError:
            self.request_stop()  # the worker returns soon; close() waits for it
            raise

    async def open_async(self):
        await self._await(self._submit(self._open_on_worker))

    async def next_batch_async(self):
        future = self._take_fetch()
        try:
            batch = await self._await(future)
        except asyncio.CancelledError:
            self._pending = future
            raise
        if batch is not None:
            self._native.handed_out(batch)
        return batch

    async def close_async(self):
        if self._closed:
            return
        pending = self._pending
        if pending is not None and not pending.done():
            self.request_stop()
        # close() then waits only for work that is already finishing.
        await asyncio.get_running_loop().run_in_executor(None, self.close)

    async def _async_batches(self):
        while True:
            batch = await self.next_batch_async()
            if batch is None:
                return
            self._pending = self._submit(self._fetch_on_worker)
            yield batch
            self.acknowledge(batch)

    async def __aenter__(self):
        await self.open_async()
        return self

    async def __aexit__(self, *exc_info):
        await self.close_async()

    # ---- snapshots (README "Snapshots") -------------------------------------------------------

    def request_snapshot(self, tables):
        """Asks the running stream of this slot (this connector's or another process's) to read
        ``tables`` (a pattern or a list of patterns, among the captured tables) again, as
        ``read`` events, without stopping. Travels through the WAL, so it is served once, even
        across restarts. Opens its own connection; callable from any thread while a stream
        waits. Returns the request's id; raises CDCError (configuration) for a bad pattern."""
        patterns = [tables] if isinstance(tables, str) else list(tables)
        return self._native.request_snapshot(patterns)

    async def request_snapshot_async(self, tables):
        """request_snapshot() without blocking the event loop."""
        return await asyncio.get_running_loop().run_in_executor(
            None, self.request_snapshot, tables)

    def snapshot_progress(self):
        """SnapshotProgress (table, rows_done, rows_estimated, done) of every table the
        snapshots of this run read or will read, in reading order. Safe from any thread."""
        return self._native.snapshot_progress()

    def set_consumer_checkpoint(self, commit_lsn, seq):
        """What the consumer already holds durably (the position of the last event it stored,
        event.commit_lsn and event.seq): an interrupted snapshot resumes after it even when the
        slot was not confirmed that far. Call before the first batch."""
        self._native.set_consumer_checkpoint(commit_lsn, seq)

    # ---- state -------------------------------------------------------------------------------

    @property
    def stats(self):
        """StreamStats: events, batches, transactions, bytes_received, received_lsn,
        flushed_lsn (confirmed to the server), last_commit_time."""
        return self._native.stats()

    def table_schema(self, schema, table):
        """TableSchema of a captured table as of the newest batch handed out, or None."""
        return self._native.table_schema(schema, table)

    @property
    def schemas(self):
        """Every captured table's TableSchema, ordered by schema and table name."""
        return self._native.schemas()

    def __del__(self):
        try:
            if not self._closed:
                self.request_stop()
                self._executor.shutdown(wait=False)
        except Exception:  # pylint: disable=broad-except
            pass
