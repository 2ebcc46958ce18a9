"""The cooperative approves a refund and Alipay is asked at once (or asked again: "retry now").

The approval is committed first; Alipay is called after the commit, never inside the write transaction. A
failed call leaves the refund ``refunding`` with its error; the reconciler asks again.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from caoyuan.db import Database, after_commit, commit
from caoyuan.errors import Conflict, NotFound
from caoyuan.payments.client import AlipayGateway
from storefront.errors import ShopCode
from storefront.models import Order, Refund, RefundStatus
from storefront.services import refund, refund_drive


async def approve_and_pay(
    db: AsyncSession,
    database: Database,
    gateway: AlipayGateway,
    refund_id: int,
    admin_id: int,
    *,
    retry_only: bool = False,
) -> tuple[Refund, str]:
    """Approve (unless ``retry_only``), commit, ask Alipay; returns the refund as it now stands and its order's
    public number. A refund already refunding is simply asked again."""
    existing = await db.get(Refund, refund_id)
    if existing is None:
        raise NotFound("没有这笔退款申请")
    if existing.status == RefundStatus.REQUESTED and not retry_only:
        await refund.approve_refund(db, refund_id, admin_id)
    elif existing.status not in refund.DECIDED:
        raise Conflict(
            "这笔退款已经处理过了" if existing.status != RefundStatus.REQUESTED else "请先同意这笔退款",
            code=ShopCode.ALREADY_DECIDED if existing.status != RefundStatus.REQUESTED else ShopCode.NOT_APPROVED,
        )
    after_commit(db, lambda: refund_drive.drive(database, gateway, refund_id, now_due=True))
    await commit(db)
    row = (
        await db.execute(
            sa.select(Refund, Order.public_no)  # type: ignore[call-overload]
            .join(Order, Order.id == Refund.order_id)
            .where(Refund.id == refund_id)
            .execution_options(populate_existing=True)
        )
    ).one()
    return row[0], row[1]
