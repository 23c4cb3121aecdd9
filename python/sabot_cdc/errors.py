"""Exceptions of sabot_cdc: one class per kind of sabot::CdcError.

Every error carries the engine's message (it names the problem and the fix), ``kind`` (the
engine's name for it), ``sqlstate`` (the server's five-character code, '' when none) and ``lsn``
(the WAL position concerned, or None).
"""

import builtins


class CDCError(Exception):
    """Base of every error sabot_cdc raises."""

    kind = "internal"

    def __init__(self, message, sqlstate="", lsn=None):
        super().__init__(message)
        self.message = message
        self.sqlstate = sqlstate
        self.lsn = lsn

    @property
    def retryable(self):
        """True when the same operation may succeed later without a change."""
        return self.kind in ("connection", "slot-in-use")


class ConfigurationError(CDCError, ValueError):
    kind = "config"


class ConnectionError(CDCError, builtins.ConnectionError):  # noqa: A001 (sabot_cdc's own)
    kind = "connection"


class AuthenticationError(CDCError):
    kind = "authentication"


class ServerSettingError(CDCError):
    kind = "server-setting"


class MissingPluginError(CDCError):
    kind = "missing-plugin"


class SlotMissingError(CDCError):
    kind = "slot-missing"


class SlotInUseError(CDCError):
    kind = "slot-in-use"


class SlotInvalidatedError(CDCError):
    kind = "slot-invalidated"


class ProtocolError(CDCError):
    kind = "protocol"


class ServerError(CDCError):
    kind = "server"


class ValueConversionError(CDCError, ValueError):
    kind = "value-conversion"


class ConsumerError(CDCError):
    kind = "consumer"


class LocalIoError(CDCError, OSError):
    kind = "local-io"


class InternalError(CDCError):
    kind = "internal"


_BY_KIND = {cls.kind: cls for cls in (
    ConfigurationError, ConnectionError, AuthenticationError, ServerSettingError,
    MissingPluginError, SlotMissingError, SlotInUseError, SlotInvalidatedError, ProtocolError,
    ServerError,
    ValueConversionError, ConsumerError, LocalIoError, InternalError)}


def _from_native(kind, message, sqlstate, lsn):
    """Called by the native module to turn a sabot::CdcError into its Python class."""
    cls = _BY_KIND.get(kind, CDCError)
    error = cls(message, sqlstate, lsn)
    if cls is CDCError:
        error.kind = kind
    return error
