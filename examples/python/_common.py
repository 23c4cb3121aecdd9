"""What the four Python examples share: the demo database, the C++ workload simulators of the
C++ examples (the Python examples are the consumers), setup through sabot_cdc, and a loop that
hands out whole transactions and acknowledges them once handled."""

import argparse
import os
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("SABOT_BUILD_DIR", os.path.join(REPO, "build"))
sys.path.insert(0, os.path.join(BUILD, "python"))  # the built module, unless installed

import sabot_cdc  # noqa: E402  pylint: disable=wrong-import-position

DONE_PREFIX = "sabot_example"  # the workloads' final pg_logical_emit_message


def parse_args(description, database, extra=None):
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--dsn", help="libpq conninfo (default: the demo server .demo/pg)")
    parser.add_argument("--plugin", default="pgoutput", choices=["pgoutput", "wal2json"])
    parser.add_argument("--no-workload", action="store_true",
                        help="only stream (Ctrl-C stops); make your own changes")
    if extra:
        extra(parser)
    args = parser.parse_args()
    if not args.dsn:
        args.dsn = demo_database(database)
    return args


def pg_local(*args):
    return subprocess.run(["bash", os.path.join(REPO, "scripts", "pg-local"), *args], check=True,
                          capture_output=True, text=True).stdout.strip()


def demo_database(name):
    """The demo server's database `name` (created if missing); the server is started if needed."""
    pg_dir = os.path.join(REPO, ".demo", "pg")
    pg_local("start", pg_dir)
    exists = pg_local("psql", pg_dir, "-XAtc", f"SELECT 1 FROM pg_database WHERE datname = '{name}'")
    if exists != "1":
        pg_local("psql", pg_dir, "-Xqc", f"CREATE DATABASE {name}")
    base = " ".join(p for p in pg_local("dsn", pg_dir).split() if not p.startswith("dbname="))
    return f"{base} dbname={name}"


def _to_stderr():
    """The workload's stdout goes to our stderr (stdout is the example's report)."""
    try:
        return sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):  # a captured stderr (pytest) has no fd
        return subprocess.DEVNULL


def workload(example, dsn, *args, wait=True):
    """Runs the C++ example's workload simulator (built with the project)."""
    program = os.path.join(BUILD, "examples", example, "workload")
    if not os.path.exists(program):
        subprocess.run(["cmake", "--build", BUILD, "--target", f"example_{example[:2]}"],
                       check=True, stdout=_to_stderr())
    command = [program, "--dsn", dsn, *args]
    if wait:
        subprocess.run(command, check=True, stdout=_to_stderr())
        return None
    return subprocess.Popen(command, stdout=_to_stderr())


def fresh_slot(dsn, slot, publication, tables, plugin):
    """Drops a previous run's slot, then the seed's init: publication, DDL capture, slot."""
    config = sabot_cdc.PostgreSQLCDCConfig(dsn=dsn, slot_name=slot, publication_name=publication,
                                           tables=tables, plugin=plugin)
    with sabot_cdc.PostgresAdmin(config) as admin:
        if admin.find_slot(slot):
            admin.drop_slot(slot)
        admin.init()
    return config


def is_done_message(event):
    return event.type == "message" and event.message_prefix == DONE_PREFIX


def for_each_transaction(connector, handle, stop_at_done=True):
    """Calls handle(batches, events) once per whole transaction (a large one spans batches),
    then acknowledges its batches; returns after the done message when stop_at_done."""
    batches, events = [], []
    while (batch := connector.next_batch()) is not None:
        if batch.first_in_transaction:
            batches, events = [], []
        batches.append(batch)
        events.extend(batch)
        if not batch.last_in_transaction:
            continue
        handle(batches, events)
        for b in batches:
            connector.acknowledge(b)
        if stop_at_done and any(is_done_message(e) for e in events):
            return


def money(value):
    """Decimal -> '$1,234.56'."""
    return f"${value:,.2f}"
