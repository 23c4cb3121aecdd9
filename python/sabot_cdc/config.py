"""PostgreSQLCDCConfig: the seed's configuration, with every field of sabot::PostgresCdcConfig."""

import dataclasses
from typing import Callable, Dict, List, Optional


@dataclasses.dataclass
class PostgreSQLCDCConfig:
    """Where to connect and what to stream; the defaults are the C++ engine's.

    Connection: ``dsn`` (libpq conninfo or URI) and/or the discrete fields; unset fields fall
    back to libpq's PG* environment variables and ~/.pgpass. Durations are in milliseconds
    (``*_ms``) or seconds (``*_s``). ``start_lsn`` / ``end_lsn`` are PostgreSQL LSN strings
    ("0/1A2B3C8"). ``snapshot``: "never" (only changes), "initial" (the captured tables' rows
    first, as ``read`` events, while the stream goes on; not repeated once complete) or "only"
    (the same, then the stream ends); see the README's "Snapshots". ``log`` receives the engine's diagnostics (reconnects, heartbeat failures) as
    strings; None prints them on stderr.
    """

    host: Optional[str] = None
    port: Optional[int] = None
    user: Optional[str] = None
    password: Optional[str] = None
    database: Optional[str] = None
    dsn: Optional[str] = None
    connect_timeout_s: int = 10

    slot_name: str = "sabot_cdc_slot"
    publication_name: str = "sabot_cdc"
    tables: List[str] = dataclasses.field(default_factory=list)
    plugin: str = "pgoutput"
    wal2json_format_version: int = 2
    plugin_options: Dict[str, str] = dataclasses.field(default_factory=dict)

    batch_size: int = 100
    max_batch_bytes: int = 8 * 1024 * 1024
    max_batch_latency_ms: int = 100

    start_lsn: Optional[str] = None
    end_lsn: Optional[str] = None

    create_slot_if_missing: bool = False
    create_publication_if_missing: bool = False
    temporary_slot: bool = False
    status_interval_ms: int = 10000

    reconnect: bool = True
    reconnect_initial_delay_ms: int = 100
    reconnect_max_delay_ms: int = 10000
    reconnect_max_attempts: int = 0
    heartbeat_interval_ms: int = 0

    memory_limit_bytes: int = 64 * 1024 * 1024
    spill_directory: Optional[str] = None

    snapshot: str = "never"
    snapshot_workers: int = 2
    snapshot_chunk_rows: int = 50000
    snapshot_state_path: Optional[str] = None

    log: Optional[Callable[[str], None]] = None

    @classmethod
    def from_file(cls, path, **overrides):
        """The configuration a ``sabot-cdc run --config`` pipeline file (TOML) describes: its
        source, batching, reconnect and snapshot keys (``dsn``, ``slot``, ``tables``,
        ``batch-size``, ``snapshot``...; ``password_file`` / ``password_env``). Keys of the CLI's
        own outputs (``output``, ``sink``, ``metrics-listen``, ``log-format``...) are accepted
        and not used. ``overrides`` are fields set on top, like flags after ``run --config``.
        Raises ConfigurationError starting with "FILE:LINE:" and naming the key."""
        from . import _native  # pylint: disable=import-outside-toplevel
        fields = _native.config_fields_from_file(str(path))
        fields.update(overrides)
        return cls(**fields)

    def _fields(self):
        """Field name -> value, as the native module reads them."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
