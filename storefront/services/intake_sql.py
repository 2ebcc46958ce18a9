"""The intake's PostgreSQL statements: one order, or a batch of orders for one pool, in one statement.

Text with typed casts, built once per shape: no compilation per call, and asyncpg prepares them.
"""

from __future__ import annotations

from enum import Enum
from functools import lru_cache

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from caoyuan.feed.numbering import notify_sql, numbered_steps
from storefront.models import Order

ORDER_COLUMNS = [column for column in Order.__table__.columns if column.name != "id"]  # type: ignore[attr-defined]
ORDER_PARAMS = [(f"o_{column.name}", column.key) for column in ORDER_COLUMNS]
# What the intake fills in for a new order (place_order.new_order); every other column of a new order holds
# its model default, which the batch statement writes as a literal instead of receiving it with each order
# (15 of 37 columns: a third of the batch's JSON to encode in Python and to parse in the database).
FILLED = frozenset(
    (
        "public_no", "idempotency_key", "request_digest", "pool_id", "sku_id", "cooperative_id",
        "supplier_member_id", "live_session_id", "buyer_user_id", "buyer_phone", "buyer_name", "province", "city",
        "county", "address_detail", "quantity", "unit_price_fen", "goods_fen", "shipping_fen", "total_fen",
        "created_at", "expires_at",
    )
)  # fmt: skip
SENT_COLUMNS = [column for column in ORDER_COLUMNS if column.key in FILLED]
DEFAULTED = {
    column.name: Order.model_fields[column.key].default for column in ORDER_COLUMNS if column.key not in FILLED
}
ROW_NAMES = ("b_idx", "b_payload", *(column.name for column in SENT_COLUMNS))  # a batch row's keys, in order


def plain(value: object) -> object:
    return value.value if isinstance(value, Enum) else value


def sql_type(column: sa.Column) -> str:
    kind = column.type.compile(dialect=postgresql.dialect())
    return "VARCHAR" if kind.startswith("VARCHAR") else kind  # let the column, not the cast, refuse a long value


def default_literal(column: sa.Column) -> str:
    """A column's model default as SQL (the defaults are the code's constants, never a caller's input)."""
    value = plain(DEFAULTED[column.name])
    if value is None:
        return f"CAST(NULL AS {sql_type(column)})"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    raise TypeError(f"no SQL literal for the default of {column.name}: {value!r}")


@lru_cache(maxsize=4)
def intake_statement(capped: bool, feed: bool) -> sa.TextClause:
    """Quota (if capped) → stock → order → feed numbers and events, each step guarded by the one before.

    Lock order is the buyer's quota row, then the pool, then the feed counter — the order every other
    writer of these rows uses. Text, so no compilation per call; typed casts, so asyncpg can prepare it.
    """
    steps = []
    if capped:
        steps.append(
            "quota AS (INSERT INTO shop_buyer_quota (pool_id, phone, used) "
            "SELECT CAST(:pool_id AS INTEGER), CAST(:phone AS VARCHAR), CAST(:quantity AS INTEGER) WHERE CAST(:quantity AS INTEGER) <= CAST(:cap AS INTEGER) "
            "ON CONFLICT (pool_id, phone) DO UPDATE SET used = shop_buyer_quota.used + EXCLUDED.used "
            "WHERE shop_buyer_quota.used + EXCLUDED.used <= CAST(:cap AS INTEGER) RETURNING used)"
        )
    steps.append(
        "stock AS (UPDATE shop_stock_pool SET remaining = remaining - CAST(:quantity AS INTEGER) "
        "WHERE id = :pool_id AND remaining >= CAST(:quantity AS INTEGER) AND open"
        + (" AND EXISTS (SELECT 1 FROM quota)" if capped else "")
        + " RETURNING remaining)"
    )
    names = ", ".join(column.name for column in ORDER_COLUMNS)
    values = ", ".join(f"CAST(:o_{column.name} AS {sql_type(column)})" for column in ORDER_COLUMNS)
    steps.append(f"placed AS (INSERT INTO shop_order ({names}) SELECT {values} FROM stock RETURNING id)")
    if feed:
        now = "CAST(:now AS TIMESTAMP WITH TIME ZONE)"
        steps.append(
            "counter AS (INSERT INTO feed_stream (key, last_seq) SELECT CAST(:stream AS VARCHAR), 2 FROM stock "
            "ON CONFLICT (key) DO UPDATE SET last_seq = feed_stream.last_seq + 2 RETURNING last_seq)"
        )
        steps.append(
            "events AS (INSERT INTO feed_event (stream, seq, kind, payload, created_at) "
            f"SELECT CAST(:stream AS VARCHAR), last_seq - 1, 'order_placed', CAST(:order_payload AS TEXT), {now} "
            "FROM counter UNION ALL "
            f"SELECT CAST(:stream AS VARCHAR), last_seq, 'stock', CAST(:stock_prefix AS TEXT) || remaining || '}}', {now} "
            "FROM counter, stock)"
        )
    used = "(SELECT used FROM quota)" if capped else "CAST(NULL AS INTEGER)"
    notify = (
        "(SELECT count(*) FROM (SELECT pg_notify(CAST(:channel AS TEXT), CAST(:stream AS TEXT)) FROM counter) AS n)"
        if feed
        else "0"
    )
    return sa.text(
        f"WITH {', '.join(steps)} SELECT {used} AS used, (SELECT remaining FROM stock) AS remaining, "
        f"(SELECT id FROM placed) AS order_id, {notify} AS notified"
    )


@lru_cache(maxsize=4)
def batch_statement(capped: bool, feed: bool) -> sa.TextClause:
    """Many orders for one pool: fresh keys → quotas (if capped) → the prefix that fits the stock → orders → feed.

    Every input row comes back with what happened to it: ``fresh`` (its key had no order yet), ``quota_ok``,
    and, when it was placed, ``order_id`` and ``remaining`` (the stock left after it, as if the orders had
    come one by one in ``b_idx`` order). The stock is locked (FOR UPDATE) before the prefix that fits is
    chosen, and the decrement is guarded again, so a batch can never oversell. Quotas are taken in phone
    order (two batches never lock each other's buyers crosswise), then the pool, then the feed counter —
    the lock order of the one-order statement. The caller sends each phone and each key at most once.
    ``left_over`` is the stock after the batch: an order cut off behind a bigger one may still fit it.
    """
    names = [column.name for column in ORDER_COLUMNS]
    chosen = ", ".join(c.name if c.key in FILLED else default_literal(c) for c in ORDER_COLUMNS)
    typed = ", ".join(f"{column.name} {sql_type(column)}" for column in SENT_COLUMNS)
    steps = [
        # One JSON array of rows (ROW_NAMES) rather than an array per column: asyncpg checks every element
        # of an array parameter in Python, and 40 columns × every order was a tenth of an order's CPU.
        "input AS (SELECT * FROM jsonb_to_recordset(CAST(:b_rows AS JSONB)) "
        f"AS t(b_idx INTEGER, b_payload TEXT, {typed}))",
        # A scalar subquery is run row by row, one probe of the key's index each; with NOT EXISTS the planner
        # may hash the whole order table instead, and with no fresh statistics it did so at every batch while
        # the table held under ~20,000 orders (half of PostgreSQL's CPU in a flash sale).
        "fresh AS (SELECT * FROM input WHERE "
        "(SELECT o.id FROM shop_order AS o WHERE o.idempotency_key = input.idempotency_key) IS NULL)",
    ]
    if capped:
        steps.append(
            "quota AS (INSERT INTO shop_buyer_quota (pool_id, phone, used) "
            "SELECT CAST(:pool_id AS INTEGER), buyer_phone, quantity FROM fresh "
            "WHERE quantity <= CAST(:cap AS INTEGER) ORDER BY buyer_phone "
            "ON CONFLICT (pool_id, phone) DO UPDATE SET used = shop_buyer_quota.used + EXCLUDED.used "
            "WHERE shop_buyer_quota.used + EXCLUDED.used <= CAST(:cap AS INTEGER) RETURNING phone)"
        )
    allowed = " WHERE buyer_phone IN (SELECT phone FROM quota)" if capped else ""
    steps += [
        f"ok AS (SELECT fresh.*, sum(quantity) OVER (ORDER BY b_idx) AS run FROM fresh{allowed})",
        "locked AS MATERIALIZED (SELECT remaining FROM shop_stock_pool "
        "WHERE id = CAST(:pool_id AS INTEGER) AND open FOR UPDATE)",
        "fit AS MATERIALIZED (SELECT ok.*, locked.remaining - ok.run AS left_after, "
        "row_number() OVER (ORDER BY ok.b_idx) AS rank FROM ok, locked WHERE ok.run <= locked.remaining)",
        "stock AS (UPDATE shop_stock_pool SET remaining = remaining - t.total "
        "FROM (SELECT sum(quantity) AS total FROM fit) AS t "
        "WHERE id = CAST(:pool_id AS INTEGER) AND t.total > 0 AND remaining >= t.total RETURNING remaining)",
        f"placed AS (INSERT INTO shop_order ({', '.join(names)}) SELECT {chosen} FROM fit "
        "WHERE EXISTS (SELECT 1 FROM stock) RETURNING id, idempotency_key)",
    ]
    if feed:
        order_event = ("order_placed", "r.b_payload")
        stock_event = ("stock", "CAST(:stock_prefix AS TEXT) || r.left_after || '}'")
        steps += numbered_steps("fit", [order_event, stock_event], guard="EXISTS (SELECT 1 FROM stock)")
    quota_ok = "i.buyer_phone IN (SELECT phone FROM quota)" if capped else "TRUE"
    return sa.text(
        f"WITH {', '.join(steps)} SELECT i.b_idx AS idx, "
        "i.idempotency_key IN (SELECT idempotency_key FROM fresh) AS fresh, "
        f"{quota_ok} AS quota_ok, p.id AS order_id, f.left_after AS remaining, "
        f"{notify_sql() if feed else '0'} AS notified, "
        "COALESCE((SELECT remaining FROM stock), (SELECT remaining FROM locked)) AS left_over "
        "FROM input AS i LEFT JOIN fit AS f ON f.b_idx = i.b_idx "
        "LEFT JOIN placed AS p ON p.idempotency_key = i.idempotency_key"
    )
