"""PostgreSQLCDCConfig.from_file: the `sabot-cdc run --config` pipeline file, read by Python with
the same keys and the same errors (file, line, key)."""

import os
import re
import subprocess
import textwrap

import pytest

import sabot_cdc
from sabot_cdc import _native
from helpers import row_events

BUILD_DIR = os.environ.get("SABOT_BUILD_DIR", "build")


def write(tmp_path, text):
    path = tmp_path / "pipeline.toml"
    path.write_text(textwrap.dedent(text))
    return str(path)


def test_a_cli_pipeline_file_becomes_the_config(tmp_path, monkeypatch):
    monkeypatch.setenv("SHOP_DB_PASSWORD", "s3cret")
    path = write(tmp_path, """\
        [source]
        dsn = "host=db.internal dbname=shop"
        password_env = "SHOP_DB_PASSWORD"
        slot = "shop_slot"
        create-slot = true
        publication = "shop_pub"
        tables = ["public.orders", "audit.*, public.users"]
        plugin-option = ["binary=false"]
        [batching]
        batch-size = 7
        max-batch-latency-ms = 25
        [stream]
        snapshot = "initial"
        snapshot-workers = 3
        snapshot-chunk-rows = 500
        snapshot-state = "/tmp/shop.snapshot"
        no-reconnect = true
        memory-limit-mb = 2
        [sink]
        output = "/var/lib/sabot-cdc/shop.jsonl"
        [metrics]
        metrics-listen = "127.0.0.1:9187"
        [logging]
        log-format = "json"
        """)
    config = sabot_cdc.PostgreSQLCDCConfig.from_file(path, batch_size=9)
    assert (config.dsn, config.password, config.slot_name) == (
        "host=db.internal dbname=shop", "s3cret", "shop_slot")
    assert config.create_slot_if_missing and config.create_publication_if_missing
    assert config.publication_name == "shop_pub"
    assert config.tables == ["public.orders", "audit.*", "public.users"]
    assert config.plugin_options == {"binary": "false"}
    assert config.batch_size == 9  # the override wins over the file's 7
    assert config.max_batch_latency_ms == 25
    assert (config.snapshot, config.snapshot_workers, config.snapshot_chunk_rows,
            config.snapshot_state_path) == ("initial", 3, 500, "/tmp/shop.snapshot")
    assert config.reconnect is False
    assert config.memory_limit_bytes == 2 * 1024 * 1024
    assert sabot_cdc.PostgreSQLCDCConfig.from_file(path).batch_size == 7


@pytest.mark.parametrize("body, line, words", [
    ('slot = "a"\nslott = "b"\n', 2, ["unknown key 'slott'"]),
    ('[source]\nslot = "a"\n[batching]\nbatch-size = "many"\n', 4,
     ["key 'batch-size' must be an integer"]),
    ('snapshot-workers = 0\n', 1, ["key 'snapshot-workers'", "between 1 and 64", "not 0"]),
    ('slot = "a"\nsnapshot = "sometimes"\n', 2, ["key 'snapshot'", "sometimes", "initial"]),
    ('end-lsn = "later"\n', 1, ["key 'end-lsn'", "later", "is not an LSN"]),
    ('plugin-option = ["binary"]\n', 1, ["key 'plugin-option'", "NAME=VALUE"]),
    ('[sourc]\nslot = "a"\n', 1, ["unknown table [sourc]"]),
    ('slot = "a\n', 1, []),
    ('password_env = "SABOT_TEST_UNSET_VARIABLE"\n', 1, ["SABOT_TEST_UNSET_VARIABLE is not set"]),
])
def test_mistakes_name_the_file_line_and_key(tmp_path, body, line, words):
    path = write(tmp_path, body)
    with pytest.raises(sabot_cdc.ConfigurationError) as raised:
        sabot_cdc.PostgreSQLCDCConfig.from_file(path)
    message = str(raised.value)
    assert message.startswith(f"{path}:{line}: "), message
    for word in words:
        assert word in message


def test_a_missing_file_is_a_configuration_error(tmp_path):
    with pytest.raises(sabot_cdc.ConfigurationError, match="cannot read the file"):
        sabot_cdc.PostgreSQLCDCConfig.from_file(str(tmp_path / "absent.toml"))


def cli_stream_flags():
    """(name, kind) of every `sabot-cdc stream` flag, read from its --help."""
    cli = os.path.join(BUILD_DIR, "sabot-cdc")
    text = subprocess.run([cli, "stream", "--help"], check=True, capture_output=True,
                          text=True).stdout
    flags = {}
    for line in text.splitlines():
        m = re.match(r"\s+(?:-\w,)?--([a-z0-9-]+)(?: (\S+)( \.\.\.)?)?", line)
        if not m or m.group(1) == "help":
            continue
        name, type_word, many = m.groups()
        if type_word is None or not re.match(r"[A-Z]+(?:[:=]|$)", type_word):
            kind = "boolean"
        elif many:
            kind = "list"
        elif type_word.startswith(("INT", "UINT")):
            kind = "integer"
        else:
            kind = "string"
        flags[name] = kind
    return flags


def test_the_keys_are_the_cli_stream_flags():
    flags = cli_stream_flags()
    assert len(flags) > 20
    assert _native.pipeline_file_keys() == flags, (
        "a `sabot-cdc stream` flag was added or changed: list its key in "
        "python/src/config_file.cpp (source_keys if PostgreSQLCDCConfig uses it, else "
        "cli_only_keys)")


def test_a_config_from_a_file_streams(pg, names, tmp_path):
    pg.execute(f"CREATE TABLE {names.table} (id int PRIMARY KEY, v text)")
    path = write(tmp_path, f"""\
        [source]
        dsn = "{pg.dsn}"
        slot = "{names.slot}"
        publication = "{names.publication}"
        create-slot = true
        tables = ["public.{names.table}"]
        no-reconnect = true
        [batching]
        max-batch-latency-ms = 20
        [sink]
        output = "{tmp_path / 'unused.jsonl'}"
        """)
    config = sabot_cdc.PostgreSQLCDCConfig.from_file(path)
    sabot_cdc.execute_init_sql(config, install_ddl_capture=False)
    pg.execute(f"INSERT INTO {names.table} VALUES (1, 'a'), (2, 'b')")
    end = pg.current_lsn()
    events = []
    with sabot_cdc.PostgreSQLCDCConnector(
            sabot_cdc.PostgreSQLCDCConfig.from_file(path, end_lsn=end)) as connector:
        for batch in connector.stream_batches():
            events.extend(batch)
    assert [(e.type, e.data) for e in row_events(events)] == [
        ("insert", {"id": 1, "v": "a"}), ("insert", {"id": 2, "v": "b"})]
