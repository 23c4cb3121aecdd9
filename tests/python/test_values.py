"""Every value type becomes its Python type, under both plugins; the raw text stays available."""

import datetime
import decimal
import math
import uuid

import pytest

from helpers import drain, row_events

COLUMNS = """id int PRIMARY KEY, i2 int2, i4 int4, i8 int8, f4 float4, f8 float8,
    num numeric(12,3), b bool, t text, vc varchar(20), ch char(3), by bytea, d date,
    tm time, ttz timetz, ts timestamp, tstz timestamptz, u uuid, j json, jb jsonb,
    ia int[], ta text[], na numeric[], nested int[][], iv interval, ip inet, o oid"""

ROW = """1, -32768, 2147483647, 9223372036854775807, 1.5, -2.25e-10,
    123456789.125, true, 'h\u00e9llo', 'v', 'ab', '\\x00ff10', '2024-02-29',
    '23:59:59.999999', '10:00:00+05:30', '2026-11-26 01:29:12.5', '2026-11-26 01:29:12.672064+00',
    'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{"a": [1, 2.5, null]}', '{"k": {"n": true}}',
    '{1,NULL,-3}', '{"a b","c\\"d",NULL,""}', '{1.5,NaN}', '{{1,2},{3,4}}', '1 day 02:00:00',
    '10.0.0.1/8', 42"""

UTC = datetime.timezone.utc

EXPECTED = {
    "id": 1, "i2": -32768, "i4": 2147483647, "i8": 9223372036854775807, "f4": 1.5,
    "f8": -2.25e-10, "num": decimal.Decimal("123456789.125"), "b": True, "t": "h\u00e9llo",
    "vc": "v", "ch": "ab ", "by": b"\x00\xff\x10", "d": datetime.date(2024, 2, 29),
    "tm": datetime.time(23, 59, 59, 999999),
    "ttz": datetime.time(10, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=5, minutes=30))),
    "ts": datetime.datetime(2026, 11, 26, 1, 29, 12, 500000),
    "tstz": datetime.datetime(2026, 11, 26, 1, 29, 12, 672064, tzinfo=UTC),
    "u": uuid.UUID("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"), "j": {"a": [1, 2.5, None]},
    "jb": {"k": {"n": True}}, "ia": [1, None, -3], "ta": ["a b", 'c"d', None, ""],
    "nested": [[1, 2], [3, 4]], "iv": "1 day 02:00:00", "ip": "10.0.0.1/8", "o": 42,
}


@pytest.mark.parametrize("plugin", ["pgoutput", "wal2json"])
def test_every_type(pg, setup_slot, names, plugin):
    config = setup_slot(COLUMNS, plugin=plugin)
    pg.execute(f"INSERT INTO {names.table} VALUES ({ROW})")
    pg.execute(f"INSERT INTO {names.table} (id) VALUES (2)")
    events = row_events(drain(config, pg.current_lsn()))
    assert len(events) == 2
    data = events[0].data
    na = data.pop("na")
    assert na[0] == decimal.Decimal("1.5") and na[1].is_nan()
    assert data == EXPECTED
    assert type(data["tstz"]) is datetime.datetime and data["tstz"].tzinfo is not None
    assert data["ts"].tzinfo is None
    u = data["u"]  # built without running UUID.__init__: must be a complete UUID
    assert str(u) == "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11" and u.is_safe == uuid.SafeUUID.unknown
    assert hash(u) == hash(EXPECTED["u"]) and u.version == 4
    assert all(v is None for k, v in events[1].data.items() if k != "id")
    raw = events[0].raw_data
    assert raw["num"] == "123456789.125" and raw["tstz"] == "2026-11-26 01:29:12.672064+00"
    assert raw["by"] == "\\x00ff10" and events[1].raw_data["t"] is None


def test_special_floats_and_out_of_range_values(pg, setup_slot, names):
    config = setup_slot("id int PRIMARY KEY, f float8, n numeric, d date, ts timestamptz")
    pg.execute(f"INSERT INTO {names.table} VALUES (1, 'NaN', 'NaN', 'infinity', '-infinity'),"
               f" (2, 'Infinity', 'Infinity', '0044-03-15 BC', 'infinity'),"
               f" (3, '-Infinity', '-1e-5', '2024-01-01', '2026-01-01 00:00:00+00')")
    rows = [e.data for e in row_events(drain(config, pg.current_lsn()))]
    assert math.isnan(rows[0]["f"]) and rows[0]["n"].is_nan()
    assert rows[1]["f"] == math.inf and rows[2]["f"] == -math.inf
    assert rows[1]["n"] == decimal.Decimal("Infinity")
    assert rows[2]["n"] == decimal.Decimal("-0.00001")
    # Dates Python cannot represent keep PostgreSQL's text.
    assert rows[0]["d"] == "infinity" and rows[0]["ts"] == "-infinity"
    assert rows[1]["d"] == "0044-03-15 BC"


def test_update_delete_old_data_and_unchanged_toast(pg, setup_slot, names):
    config = setup_slot("id int PRIMARY KEY, big text, n int")
    pg.execute(f"ALTER TABLE {names.table} ALTER COLUMN big SET STORAGE EXTERNAL")
    pg.execute(f"INSERT INTO {names.table} VALUES (1, repeat('x', 10000), 1)")
    pg.execute(f"UPDATE {names.table} SET n = 2")
    pg.execute(f"UPDATE {names.table} SET id = 5")
    pg.execute(f"DELETE FROM {names.table}")
    events = row_events(drain(config, pg.current_lsn()))
    insert, update, key_update, delete = events
    assert insert.data["big"] == "x" * 10000 and insert.unchanged_toast == []
    assert update.unchanged_toast == ["big"] and update.data == {"id": 1, "n": 2}
    # The key did not change: the server sent no old tuple (the engine may still give the key).
    assert update.old_data in (None, {"id": 1})
    assert key_update.old_data == {"id": 1}
    assert delete.data == {} and delete.old_data == {"id": 5}
    assert delete.key_columns == ["id"]
