"""Background rounds: expire unpaid orders (closing their trades), and ask Alipay about silent ones."""

from __future__ import annotations

import logging
from datetime import timedelta

import sqlalchemy as sa

from caoyuan.db import Database, utcnow
from caoyuan.errors import AppError
from caoyuan.payments.client import AlipayGateway, PaymentError
from storefront.models import Order, OrderStatus
from storefront.services import expire_orders, pay, refund_drive
from storefront.services.settle_payment import Notice, settle

log = logging.getLogger("caoyuan.storefront.reconcile")
QUIET_AFTER = timedelta(minutes=2)  # a pending order this old with no notify is worth a query


async def sweep(database: Database, gateway: AlipayGateway | None) -> list[str]:
    """Expire overdue orders, then close their Alipay trades (after the commit: stock is back already)."""
    async with database.session() as db:
        expired = await expire_orders.expire_due(db)
        if gateway is None:
            return expired
        stale = list(
            await db.scalars(
                sa.select(Order.public_no)
                .where(
                    Order.status == OrderStatus.EXPIRED,
                    Order.trade_closed.is_(False),
                    Order.closed_at < utcnow() - timedelta(minutes=1),
                )
                .limit(50)
            )
        )
    to_close = list(dict.fromkeys(expired + stale))
    if gateway is not None and to_close:
        closed = await pay.close_trades(gateway, to_close)
        if closed:
            async with database.session() as db:
                await db.execute(sa.update(Order).where(Order.public_no.in_(closed)).values(trade_closed=True))
    return expired


async def reconcile(database: Database, gateway: AlipayGateway, limit: int = 50) -> int:
    """Query trades of quiet pending orders (and recently expired ones): a lost notify still settles."""
    since = utcnow() - timedelta(hours=2)
    async with database.session() as db:
        quiet = list(
            await db.scalars(
                sa.select(Order.public_no)
                .where(
                    Order.status.in_([OrderStatus.PENDING, OrderStatus.EXPIRED]),
                    Order.trade_no == "",
                    Order.created_at < utcnow() - QUIET_AFTER,
                    Order.created_at > since,
                )
                .limit(limit)
            )
        )
    settled = 0
    for order_no in quiet:
        try:
            trade = await gateway.query(order_no)
        except PaymentError as exc:
            log.warning("query %s failed: %s", order_no, exc.sub_code or exc.message)
            continue
        if not trade.paid:
            continue
        try:
            async with database.session() as db:
                result = await settle(
                    db, Notice(order_no, trade.trade_no, trade.total_fen, trade.status), source="query"
                )
            settled += result.outcome == "paid"
            if result.outcome == "refund_needed":
                await refund_late_payment(database, gateway, order_no)
        except AppError as exc:
            log.warning("reconciling %s: %s", order_no, exc.message)
    return settled


async def refund_late_payment(database: Database, gateway: AlipayGateway, order_no: str) -> None:
    """An expired order paid when its stock was gone: its refund (written at settlement) is tried now; a
    failure is recorded on the refund and retried by :func:`refund_drive.drive_due`, never lost."""
    await refund_drive.drive_late_refund(database, gateway, order_no)
