"""Errors are exceptions of the kind's class, with the engine's message, SQLSTATE and LSN."""

import dataclasses

import pytest

import sabot_cdc


def test_bad_password_is_authentication_error_with_sqlstate(pg, make_config):
    config = make_config(dsn=pg.dsn, password="wrong")
    with pytest.raises(sabot_cdc.AuthenticationError) as info:
        with sabot_cdc.PostgreSQLCDCConnector(config):
            pass
    error = info.value
    assert isinstance(error, sabot_cdc.CDCError)
    assert error.kind == "authentication"
    assert "password" in str(error) and not error.retryable
    assert error.sqlstate == "28P01"


@pytest.mark.asyncio
async def test_bad_password_in_async_with(pg, make_config):
    with pytest.raises(sabot_cdc.AuthenticationError):
        async with sabot_cdc.PostgreSQLCDCConnector(make_config(password="wrong")):
            pass


def test_unreachable_server_is_connection_error(make_config):
    config = make_config(dsn="host=127.0.0.1 port=1 user=sabot dbname=sabot",
                         connect_timeout_s=2)
    with pytest.raises(sabot_cdc.ConnectionError) as info:
        sabot_cdc.PostgreSQLCDCConnector(config).open()
    assert info.value.retryable and isinstance(info.value, ConnectionError)


def test_missing_slot_without_create(pg, setup_slot, names):
    config = dataclasses.replace(setup_slot(), slot_name="py_no_such_slot",
                                 create_slot_if_missing=False)
    with pytest.raises(sabot_cdc.SlotMissingError, match="py_no_such_slot"):
        sabot_cdc.PostgreSQLCDCConnector(config).open()


@pytest.mark.parametrize("fields, match", [
    ({"slot_name": "Bad-Name"}, "slot"),
    ({"start_lsn": "not an lsn"}, "LSN"),
    ({"plugin": "decoderbufs"}, "pgoutput"),
    ({"batch_size": 0}, "batch_size"),
    ({"port": "five"}, "wrong type"),
])
def test_configuration_errors(make_config, fields, match):
    with pytest.raises(sabot_cdc.ConfigurationError, match=match):
        sabot_cdc.PostgreSQLCDCConnector(make_config(**fields)).open()


def test_slot_in_use(pg, setup_slot):
    config = setup_slot()
    with sabot_cdc.PostgreSQLCDCConnector(config):
        with pytest.raises(sabot_cdc.SlotInUseError) as info:
            sabot_cdc.PostgreSQLCDCConnector(config).open()
        assert info.value.retryable


def test_every_engine_error_kind_has_its_class():
    # The engine's kinds (sabot::to_string(ErrorKind)) each map to a subclass, never to the base.
    kinds = ["config", "connection", "authentication", "server-setting", "missing-plugin",
             "slot-missing", "slot-in-use", "slot-invalidated", "protocol", "server",
             "value-conversion", "consumer", "local-io", "internal"]
    for kind in kinds:
        error = sabot_cdc.errors._from_native(kind, "m", "", None)
        assert type(error) is not sabot_cdc.CDCError, kind
        assert error.kind == kind
    assert isinstance(sabot_cdc.errors._from_native("slot-invalidated", "m", "", None),
                      sabot_cdc.SlotInvalidatedError)
