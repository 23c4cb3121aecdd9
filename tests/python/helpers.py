"""Shared test helpers: drain a slot to a given LSN."""

import dataclasses

import sabot_cdc


def drain(config, end_lsn, acknowledge=True):
    """Every event up to end_lsn, through the synchronous loop (which acknowledges) or, with
    acknowledge=False, through next_batch() without acknowledging."""
    config = dataclasses.replace(config, end_lsn=end_lsn)
    events = []
    with sabot_cdc.PostgreSQLCDCConnector(config) as connector:
        if acknowledge:
            for batch in connector.stream_batches():
                events.extend(batch)
        else:
            while (batch := connector.next_batch()) is not None:
                events.extend(batch)
    return events


def row_events(events):
    return [e for e in events if e.type in ("insert", "update", "delete")]
