"""SQL that numbers many feed events in one statement (PostgreSQL): for a domain's own data-modifying CTE.

A domain that writes n changes in one statement (e.g. a batch of orders) appends their events in the same
statement: one bump of the stream's counter by ``n × len(kinds)`` and ``n × len(kinds)`` consecutive
numbers, so the stream stays gap-free and numbered in commit order (the counter row is locked until the
statement's transaction commits). The domain names the rows (a CTE with a ``rank`` column 1..n) and the
payload of each kind as SQL over those rows; the kernel owns how the numbers are taken.

The statement's NOTIFYs carry the events themselves (``notify_sql``), in chunks that fit PostgreSQL's
8,000-byte payload: every process's tail takes them as they arrive instead of reading them back
(``caoyuan.feed.tail.StreamTail.take``), one query and two turns of a busy event loop fewer between a commit and
the hosts' screens.
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
    events = (
        f"feed_events AS (INSERT INTO feed_event (stream, seq, kind, payload, created_at) {' UNION ALL '.join(selects)} "
        "RETURNING seq, kind, payload, created_at)"
    )
    return [counter, events]


CHUNK = 16  # events a NOTIFY: an order's pair is ~450 bytes, so 16 stay well inside 8,000
PAYLOAD_MAX = 7900  # bytes; a chunk past it is sent as a bare wake-up and read back by the tails


def notify_sql(channel_param: str = ":feed_channel") -> str:
    """A scalar that sends the statement's events as NOTIFYs on the channel (delivered on commit, in seq order).

    Each payload is ``stream``, a newline and a JSON array of ``[seq, kind, payload text, created_at]``
    (``caoyuan.feed.hub.parse_notice``); a chunk too big for a NOTIFY is sent as the stream alone."""
    body = (
        f"{STREAM} || chr(10) || '[' || string_agg(CAST(json_build_array(e.seq, e.kind, e.payload, e.created_at) AS TEXT), "
        f"',' ORDER BY e.seq) || ']'"
    )
    chunks = f"SELECT {body} AS body, min(e.seq) AS first FROM feed_events AS e GROUP BY (e.seq - 1) / {CHUNK}"
    sent = f"CASE WHEN octet_length(d.body) <= {PAYLOAD_MAX} THEN d.body ELSE {STREAM} END"
    # Sorted in a subquery of its own, so the NOTIFYs are sent (and queued) in seq order.
    ordered = f"SELECT * FROM ({chunks}) AS c ORDER BY c.first"
    return (
        f"(SELECT count(*) FROM (SELECT pg_notify(CAST({channel_param} AS TEXT), {sent}) FROM ({ordered}) AS d) AS n)"
    )
