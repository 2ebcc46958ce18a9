"""The sandbox's trade book: open (on scan), pay, query, refund, close — each a guarded statement."""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from caoyuan.money import MoneyError
from caoyuan.payments.amounts import alipay_time, fen_from_text, yuan_text
from caoyuan.payments.sandbox.models import SandboxRefund, SandboxTrade
from caoyuan.payments.sandbox.protocol import (
    SANDBOX_BUYER_ID,
    SANDBOX_BUYER_LOGON,
    PayTicket,
    business,
    invalid,
    missing,
    new_trade_no,
)

WAITING, PAID, CLOSED = "WAIT_BUYER_PAY", "TRADE_SUCCESS", "TRADE_CLOSED"
MAX_FEN = 100_000_000_00  # Alipay's single-trade ceiling: 1 亿元
_OUT_NO = re.compile(r"^[A-Za-z0-9_\-]{1,64}$")


# ---------------------------------------------------------------- checking business content


def out_trade_no_of(biz: dict[str, Any]) -> str:
    value = biz.get("out_trade_no")
    if not value:
        raise missing("out_trade_no")
    if not isinstance(value, str) or not _OUT_NO.match(value):
        raise invalid("isv.invalid-parameter", "out_trade_no 只能是 64 位以内的字母、数字、下划线或短横线")
    return value


def amount_of(biz: dict[str, Any], field: str) -> int:
    value = biz.get(field)
    if not value:
        raise missing(field)
    try:
        fen = fen_from_text(str(value))
    except MoneyError:
        raise invalid("isv.invalid-parameter", f"{field} 应为元，最多两位小数") from None
    if not 1 <= fen <= MAX_FEN:
        raise invalid("isv.invalid-parameter", f"{field} 应在 0.01 到 100000000 之间")
    return fen


def subject_of(biz: dict[str, Any]) -> str:
    value = biz.get("subject")
    if not value or not isinstance(value, str):
        raise missing("subject")
    if len(value) > 256:
        raise invalid("isv.invalid-parameter", "subject 不能超过 256 个字符")
    return value


# ---------------------------------------------------------------- reading


async def find(db: AsyncSession, app_id: str, out_trade_no: str) -> SandboxTrade | None:
    return await db.scalar(
        sa.select(SandboxTrade)
        .where(SandboxTrade.app_id == app_id, SandboxTrade.out_trade_no == out_trade_no)
        .execution_options(populate_existing=True)
    )


async def find_for(db: AsyncSession, app_id: str, biz: dict[str, Any], now: datetime) -> SandboxTrade:
    """The trade named by out_trade_no (or Alipay's trade_no), closed first if its time ran out."""
    if biz.get("out_trade_no"):
        out_trade_no = out_trade_no_of(biz)
    elif biz.get("trade_no"):
        out_trade_no = (
            await db.scalar(
                sa.select(SandboxTrade.out_trade_no).where(
                    SandboxTrade.app_id == app_id, SandboxTrade.trade_no == str(biz["trade_no"])
                )
            )
            or ""
        )
    else:
        raise missing("out_trade_no")
    await close_if_expired(db, app_id, out_trade_no, now)
    trade = await find(db, app_id, out_trade_no) if out_trade_no else None
    if trade is None:
        raise business("ACQ.TRADE_NOT_EXIST", "交易不存在")
    return trade


def _timed_out(trade: SandboxTrade, now: datetime) -> bool:
    return trade.status == WAITING and trade.expires_at is not None and trade.expires_at <= now


async def close_if_expired(db: AsyncSession, app_id: str, out_trade_no: str, now: datetime) -> None:
    """Alipay closes an unpaid trade when its time runs out; here that happens when it is next touched.

    It reads first and writes only when there is something to close: on SQLite a write takes the
    database lock, and the caller of the gateway may be holding it.
    """
    trade = await find(db, app_id, out_trade_no)
    if trade is not None and _timed_out(trade, now):
        await db.execute(
            sa.update(SandboxTrade)
            .where(SandboxTrade.id == trade.id, SandboxTrade.status == WAITING)
            .values(status=CLOSED, closed_at=now)
        )


async def check_can_create(db: AsyncSession, app_id: str, out_trade_no: str, total_fen: int, now: datetime) -> None:
    """A precreate or WAP link for a trade that already exists must agree with it and still be payable.

    Read-only: creating a payment writes nothing (the trade is made when the buyer opens the code).
    """
    trade = await find(db, app_id, out_trade_no)
    if trade is None:
        return
    if trade.status == PAID:
        raise business("ACQ.TRADE_HAS_SUCCESS", "交易已被支付")
    if trade.status == CLOSED or _timed_out(trade, now):
        raise business("ACQ.TRADE_HAS_CLOSE", "交易已经关闭")
    if trade.total_fen != total_fen:
        raise business("ACQ.CONTEXT_INCONSISTENT", "交易信息被篡改：同一商户订单号的金额不同")


# ---------------------------------------------------------------- the buyer's side


async def open_from_ticket(db: AsyncSession, ticket: PayTicket, now: datetime) -> SandboxTrade | None:
    """The trade a scanned QR / opened link stands for, created on first sight (None: expired unseen)."""
    await close_if_expired(db, ticket.a, ticket.o, now)
    trade = await find(db, ticket.a, ticket.o)
    if trade is not None:
        return trade
    expires_at = datetime.fromtimestamp(ticket.x, UTC)
    if expires_at <= now:
        return None
    insert = pg_insert if db.bind.dialect.name == "postgresql" else sqlite_insert
    await db.execute(
        insert(SandboxTrade)
        .values(
            trade_no=new_trade_no(now),
            app_id=ticket.a,
            out_trade_no=ticket.o,
            product=ticket.p,
            subject=ticket.s,
            total_fen=fen_from_text(ticket.t),
            status=WAITING,
            refunded_fen=0,
            notify_url=ticket.n,
            return_url=ticket.r,
            buyer_id="",
            notify_id="",
            notify_status="none",
            notify_attempts=0,
            notify_error="",
            created_at=now,
            expires_at=expires_at,
        )
        .on_conflict_do_nothing()
    )  # two tabs opening the same code at once make one trade
    return await find(db, ticket.a, ticket.o)


async def pay(db: AsyncSession, trade: SandboxTrade, now: datetime) -> bool:
    """Mark it paid if (and only if) it is still waiting and in time; False when it was not."""
    result = await db.execute(
        sa.update(SandboxTrade)
        .where(
            SandboxTrade.id == trade.id,
            SandboxTrade.status == WAITING,
            sa.or_(SandboxTrade.expires_at.is_(None), SandboxTrade.expires_at > now),
        )
        .values(
            status=PAID,
            paid_at=now,
            buyer_id=SANDBOX_BUYER_ID,
            notify_id=secrets.token_hex(16),
            notify_status="pending" if trade.notify_url else "none",
        )
    )
    return result.rowcount == 1


# ---------------------------------------------------------------- the merchant's side


async def query(db: AsyncSession, app_id: str, biz: dict[str, Any], now: datetime) -> dict[str, str]:
    trade = await find_for(db, app_id, biz, now)
    body = {
        "code": "10000",
        "msg": "Success",
        "trade_no": trade.trade_no,
        "out_trade_no": trade.out_trade_no,
        "trade_status": trade.status,
    }
    if trade.product:  # a trade closed before anyone scanned it has no amount
        body["total_amount"] = yuan_text(trade.total_fen)
    if trade.paid_at is not None:
        body.update(
            buyer_logon_id=SANDBOX_BUYER_LOGON,
            buyer_user_id=trade.buyer_id,
            buyer_pay_amount=yuan_text(trade.total_fen),
            receipt_amount=yuan_text(trade.total_fen),
            send_pay_date=alipay_time(trade.paid_at),
        )
    return body


async def close(db: AsyncSession, app_id: str, biz: dict[str, Any], now: datetime) -> dict[str, str]:
    out_trade_no = out_trade_no_of(biz) if biz.get("out_trade_no") or not biz.get("trade_no") else None
    if out_trade_no is not None and await find(db, app_id, out_trade_no) is None:
        # Closed before anyone scanned: remember it, so the old QR code cannot be paid later.
        insert = pg_insert if db.bind.dialect.name == "postgresql" else sqlite_insert
        await db.execute(
            insert(SandboxTrade)
            .values(
                trade_no=new_trade_no(now),
                app_id=app_id,
                out_trade_no=out_trade_no,
                product="",
                subject="",
                total_fen=0,
                status=CLOSED,
                refunded_fen=0,
                notify_url="",
                return_url="",
                buyer_id="",
                notify_id="",
                notify_status="none",
                notify_attempts=0,
                notify_error="",
                created_at=now,
                closed_at=now,
            )
            .on_conflict_do_nothing()
        )
    trade = await find_for(db, app_id, biz, now)
    await db.execute(
        sa.update(SandboxTrade)
        .where(SandboxTrade.id == trade.id, SandboxTrade.status == WAITING)
        .values(status=CLOSED, closed_at=now)
    )
    trade = await find(db, app_id, trade.out_trade_no)
    assert trade is not None
    if trade.status != CLOSED:
        raise business("ACQ.TRADE_STATUS_ERROR", "交易已支付，不能关闭")
    return {"code": "10000", "msg": "Success", "trade_no": trade.trade_no, "out_trade_no": trade.out_trade_no}


async def refund(db: AsyncSession, app_id: str, biz: dict[str, Any], now: datetime) -> dict[str, str]:
    """Refund once per out_request_no; the running total never passes what was paid."""
    trade = await find_for(db, app_id, biz, now)
    trade_id, out_trade_no = trade.id, trade.out_trade_no  # plain values: a rolled-back savepoint expires objects
    assert trade_id is not None
    refund_fen = amount_of(biz, "refund_amount")
    request_no = str(biz.get("out_request_no") or out_trade_no)  # Alipay's default: one full refund
    earlier = await _refund(db, trade_id, request_no)
    fund_change = "N"
    if earlier is None:
        if trade.status != PAID:
            raise business("ACQ.TRADE_STATUS_ERROR", "交易状态不合法：只有已支付的交易可以退款")
        try:
            async with db.begin_nested():
                await _take_refund(db, trade_id, refund_fen, now)
                db.add(
                    SandboxRefund(
                        trade_id=trade_id,
                        out_request_no=request_no,
                        refund_fen=refund_fen,
                        reason=str(biz.get("refund_reason") or "")[:256],
                        created_at=now,
                    )
                )
                await db.flush()
            fund_change = "Y"
        except IntegrityError:  # the same request number won a race with us: answer as a repeat
            earlier = await _refund(db, trade_id, request_no)
    if earlier is not None and earlier.refund_fen != refund_fen:
        raise business("ACQ.DISCORDANT_REPEAT_REQUEST", "同一退款请求号的退款金额不一致")
    trade = await find(db, app_id, out_trade_no)
    assert trade is not None
    return {
        "code": "10000",
        "msg": "Success",
        "trade_no": trade.trade_no,
        "out_trade_no": trade.out_trade_no,
        "buyer_logon_id": SANDBOX_BUYER_LOGON,
        "buyer_user_id": trade.buyer_id,
        "fund_change": fund_change,
        "refund_fee": yuan_text(trade.refunded_fen),
        "gmt_refund_pay": alipay_time(now),
    }


async def _refund(db: AsyncSession, trade_id: int, request_no: str) -> SandboxRefund | None:
    return await db.scalar(
        sa.select(SandboxRefund).where(SandboxRefund.trade_id == trade_id, SandboxRefund.out_request_no == request_no)
    )


async def _take_refund(db: AsyncSession, trade_id: int, refund_fen: int, now: datetime) -> None:
    taken = await db.execute(
        sa.update(SandboxTrade)
        .where(
            SandboxTrade.id == trade_id,
            SandboxTrade.status == PAID,
            SandboxTrade.refunded_fen + refund_fen <= SandboxTrade.total_fen,
        )
        .values(refunded_fen=SandboxTrade.refunded_fen + refund_fen)
    )
    if taken.rowcount != 1:
        raise business("ACQ.REFUND_AMT_NOT_EQUAL_TOTAL", "退款金额超限：累计退款不能超过实付金额")
    # A fully refunded trade is closed, as Alipay does.
    await db.execute(
        sa.update(SandboxTrade)
        .where(
            SandboxTrade.id == trade_id,
            SandboxTrade.refunded_fen == SandboxTrade.total_fen,
        )
        .values(status=CLOSED, closed_at=now)
    )
