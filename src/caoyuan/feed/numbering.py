"""SQL that numbers many feed events in one statement (PostgreSQL): for a domain's own data-modifying CTE.

A domain that writes n changes in one statement (e.g. a batch of orders) appends their events in the same
statement: one bump of the stream's counter by ``n × len(kinds)`` and ``n × len(kinds)`` consecutive
numbers, so the stream stays gap-free and numbered in commit order (the counter row is locked until the
statement's transaction commits). The domain names the rows (a CTE with a ``rank`` column 1..n) and the
payload of each kind as SQL over those rows; the kernel owns how the numbers are taken.
"""

from __future__ import annotations

from collections.abc import Sequence

STREAM = "CAST(:feed_stream AS VARCHAR)"
NOW = "CAST(:feed_now AS TIMESTAMP WITH TIME ZONE)"


def numbered_steps(rows: str, kinds: Sequence[tuple[str, str]], guard: str = "TRUE") -> list[str]:
    """CTE steps ``feed_counter`` and ``feed_events`` for the rows of CTE ``rows`` (columns ``rank`` 1..n).

    ``kinds`` are (kind, payload SQL) pairs: each row gets one event of each kind, in this order. ``guard``
    is a condition the counter is bumped under (e.g. "the stock was taken"). Binds ``:feed_stream`` and
    ``:feed_now``. Kinds are literals written by the domain, never user input.
    """
    per_row = len(kinds)
    counter = (
        f"feed_counter AS (INSERT INTO feed_stream (key, last_seq) SELECT {STREAM}, {per_row} * count(*) FROM {rows} "
        f"HAVING count(*) > 0 AND ({guard}) "
        "ON CONFLICT (key) DO UPDATE SET last_seq = feed_stream.last_seq + EXCLUDED.last_seq "
        "RETURNING last_seq)"
    )
    selects = [
        f"SELECT {STREAM}, c.last_seq - {per_row} * k.n + {per_row} * (r.rank - 1) + {offset}, '{kind}', {payload}, "
        f"{NOW} FROM {rows} AS r, feed_counter AS c, (SELECT count(*) AS n FROM {rows}) AS k"
        for offset, (kind, payload) in enumerate(kinds, start=1)
    ]
    events = f"feed_events AS (INSERT INTO feed_event (stream, seq, kind, payload, created_at) {' UNION ALL '.join(selects)})"
    return [counter, events]


def notify_sql(channel_param: str = ":feed_channel") -> str:
    """A scalar that sends one NOTIFY for the stream when the counter moved (delivered on commit)."""
    return f"(SELECT count(*) FROM (SELECT pg_notify(CAST({channel_param} AS TEXT), {STREAM}) FROM feed_counter) AS n)"
