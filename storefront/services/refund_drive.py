"""Driving a decided refund to Alipay's confirmation: one call now, and again later until Alipay confirms.

A call can time out after Alipay has already paid the buyer back, or be refused for a while. Each refund
keeps one ``out_request_no``, so asking again is the same request at Alipay: it refunds once, and a repeat
answers with the earlier result (``fund_change`` N) — that answer is the confirmation we book on.

An attempt is claimed by a guarded update (status ``refunding``, the attempts count we read) committed
before the call, so two processes never call for the same refund at once, and the next attempt time is
set before the call (a process that dies mid-call leaves a refund the next round picks up).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from caoyuan.db import Database, utcnow
from caoyuan.errors import Conflict
from caoyuan.payments.client import AlipayGateway, PaymentError
from storefront.models import Order, Refund, RefundStatus
from storefront.services.refund import DECIDED, complete_refund

log = logging.getLogger("caoyuan.storefront.refunds")
BACKOFF_MINUTES = (1, 2, 5, 10, 30, 60)  # after the 1st, 2nd … failed call; then hourly


@dataclass(frozen=True)
class Attempt:
    outcome: str  # refunded / failed / skipped
    error: str = ""


def next_attempt(now: datetime, attempts: int) -> datetime:
    """When to ask again after ``attempts`` calls (the one being made included)."""
    return now + timedelta(minutes=BACKOFF_MINUTES[min(attempts, len(BACKOFF_MINUTES)) - 1])


async def drive(database: Database, gateway: AlipayGateway, refund_id: int, *, now_due: bool = False) -> Attempt:
    """Make one attempt at a refunding refund. ``now_due``: an admin's "retry now" ignores the waiting time."""
    now = utcnow()
    async with database.session() as db:
        row = (
            await db.execute(
                sa.select(Refund, Order.public_no)
                .join(Order, Order.id == Refund.order_id)
                .where(Refund.id == refund_id)
            )
        ).first()
        if row is None:
            return Attempt("skipped")
        refund, order_no = row
        due = refund.next_attempt_at is None or refund.next_attempt_at <= now or now_due
        if refund.status not in DECIDED or not due:
            return Attempt("skipped")
        attempts = refund.attempts + 1
        claimed = await db.execute(
            sa.update(Refund)
            .where(Refund.id == refund_id, Refund.status.in_(DECIDED), Refund.attempts == refund.attempts)
            .values(attempts=attempts, next_attempt_at=next_attempt(now, attempts))
        )
        if claimed.rowcount != 1:
            return Attempt("skipped")  # another process is making this attempt
        amount, request_no, reason = refund.amount_fen, refund.out_request_no, refund.reason
    try:  # committed above: Alipay is never called inside our transaction
        result = await gateway.refund(order_no, amount, request_no, reason)
    except PaymentError as exc:
        code = exc.sub_code or exc.code
        return await _failed(database, refund_id, exc.message if code in exc.message else f"{code}：{exc.message}")
    if result.refunded_fen_total < amount:
        return await _failed(
            database, refund_id, f"支付宝累计退款 {result.refunded_fen_total} 分，少于应退 {amount} 分"
        )
    try:
        async with database.session() as db:
            await complete_refund(db, refund_id)
    except Conflict:
        return Attempt("skipped")  # completed meanwhile by another process
    log.info("refund %s of order %s confirmed after %s call(s)", request_no, order_no, attempts)
    return Attempt("refunded")


async def _failed(database: Database, refund_id: int, error: str) -> Attempt:
    log.warning("refund #%s failed: %s", refund_id, error)
    async with database.session() as db:
        await db.execute(
            sa.update(Refund).where(Refund.id == refund_id, Refund.status.in_(DECIDED)).values(last_error=error[:200])
        )
    return Attempt("failed", error)


async def drive_due(database: Database, gateway: AlipayGateway, limit: int = 20) -> int:
    """The reconciler's round: one attempt at every refund whose next attempt is due; returns how many confirmed."""
    async with database.session() as db:
        due = list(
            await db.scalars(
                sa.select(Refund.id)
                .where(
                    Refund.status.in_(DECIDED),
                    sa.or_(Refund.next_attempt_at.is_(None), Refund.next_attempt_at <= utcnow()),
                )
                .order_by(Refund.next_attempt_at, Refund.id)
                .limit(limit)
            )
        )
    confirmed = 0
    for refund_id in due:
        confirmed += (await drive(database, gateway, refund_id)).outcome == "refunded"
    return confirmed


async def drive_late_refund(database: Database, gateway: AlipayGateway, order_no: str) -> Attempt:
    """After a late payment's settlement commits: the first attempt at giving the money back."""
    async with database.session() as db:
        refund_id = await db.scalar(
            sa.select(Refund.id).where(
                Refund.out_request_no == f"{order_no}-LATE", Refund.status != RefundStatus.REFUNDED
            )
        )
    if refund_id is None:
        return Attempt("skipped")
    return await drive(database, gateway, refund_id)
