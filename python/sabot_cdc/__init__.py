"""sabot_cdc: PostgreSQL change data capture with the seed's Python API on the sabot-cdc engine.

    from sabot_cdc import PostgreSQLCDCConnector, PostgreSQLCDCConfig

    config = PostgreSQLCDCConfig(host="localhost", port=5433, user="sabot", password="sabot",
                                 database="sabot", slot_name="sabot_cdc_slot",
                                 publication_name="sabot_cdc")
    connector = PostgreSQLCDCConnector(config)
    async with connector:
        async for batch in connector.stream_batches():
            process_events(batch)
"""

from ._native import Batch, Event, SchemaColumn, SnapshotProgress, StreamStats, TableSchema
from .admin import (PostgresAdmin, drop_slot, execute_init_sql, init_cdc, list_slots, setup,
                    slot_status)
from .config import PostgreSQLCDCConfig
from .connector import PostgreSQLCDCConnector
from .errors import (AuthenticationError, CDCError, ConfigurationError, ConnectionError,
                     ConsumerError, InternalError, LocalIoError, MissingPluginError,
                     ProtocolError, ServerError, ServerSettingError, SlotInUseError,
                     SlotInvalidatedError, SlotMissingError, ValueConversionError)

__version__ = "0.1.0"

__all__ = [
    "AuthenticationError", "Batch", "CDCError", "ConfigurationError", "ConnectionError",
    "ConsumerError", "Event", "InternalError", "LocalIoError", "MissingPluginError",
    "PostgreSQLCDCConfig", "PostgreSQLCDCConnector", "PostgresAdmin", "ProtocolError",
    "SchemaColumn", "ServerError", "SnapshotProgress", "ServerSettingError", "SlotInUseError",
    "SlotInvalidatedError", "SlotMissingError",
    "StreamStats", "TableSchema", "ValueConversionError", "drop_slot", "execute_init_sql",
    "init_cdc", "list_slots", "setup", "slot_status",
]
