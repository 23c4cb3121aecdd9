"""Setup from Python through the engine's admin API: init (idempotent), slots, status, drop."""

import pytest

import sabot_cdc


def test_init_list_status_and_drop(pg, make_config, names):
    pg.execute(f"CREATE TABLE {names.table} (id int PRIMARY KEY)")
    config = make_config()
    first = sabot_cdc.execute_init_sql(config)
    assert first["publication"] == "created" and first["slot_created"]
    assert first["ddl_capture"]["outcome"] in ("installed", "already_installed", "updated")
    again = sabot_cdc.setup(config)
    assert again["publication"] == "exists" and not again["slot_created"]
    assert again["ddl_capture"]["outcome"] == "already_installed"
    assert pg.query("SELECT count(*) FROM pg_publication_tables WHERE pubname = %s "
                    "AND tablename = %s", (names.publication, names.table)) == [(1,)]

    with sabot_cdc.PostgresAdmin(config) as admin:
        admin.check_server_settings()
        slots = {s["name"]: s for s in admin.list_slots()}
        assert slots[names.slot]["plugin"] == "pgoutput" and not slots[names.slot]["active"]
        assert admin.ddl_capture_state() == "current"
        assert admin.current_database() == "sabot"
        with sabot_cdc.PostgreSQLCDCConnector(config):
            (status,) = admin.slot_status(names.slot)
            assert status["active"] and status["active_pid"] > 0
            with pytest.raises(sabot_cdc.SlotInUseError):
                admin.drop_slot(names.slot)
        admin.drop_slot(names.slot)
        assert admin.find_slot(names.slot) is None
        with pytest.raises(sabot_cdc.SlotMissingError):
            admin.drop_slot(names.slot)


def test_init_rejects_a_bad_slot_name_before_changing_anything(pg, make_config, names):
    with pytest.raises(sabot_cdc.ConfigurationError):
        sabot_cdc.init_cdc(make_config(slot_name="Not-Valid"))
    assert pg.query("SELECT count(*) FROM pg_publication WHERE pubname = %s",
                    (names.publication,)) == [(0,)]
