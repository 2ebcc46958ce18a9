"""今天拍明天发: packing lists per ship date, packing, shipping with tracking numbers, completion."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from caoyuan.db import utcnow
from caoyuan.db.transition import transition
from caoyuan.errors import BadInput, Conflict, NotFound
from storefront.errors import ShopCode
from storefront.links import is_order_no
from storefront.models import Order, OrderStatus, Product, Sku, StockPool
from storefront.services.desk_scope import Kept, order_clause, reaches
from storefront.services.events import order_event, sku_label
from storefront.states import ORDER

COURIERS = ("顺丰速运", "京东物流", "中通快递", "圆通速递", "韵达快递", "申通快递", "邮政EMS", "极兔速递")
_TRACKING = re.compile(r"^[A-Za-z0-9]{8,30}$")


@dataclass(frozen=True)
class PackingLine:
    sku_id: int
    product: str
    sku: str
    quantity: int
    orders: int


async def packing_list(db: AsyncSession, ship_by: date, kept: Kept = None) -> tuple[list[PackingLine], list[Order]]:
    """What to cut and pack for one ship date: totals by SKU, and the orders one by one."""
    due = (Order.ship_by == ship_by, Order.status.in_([OrderStatus.PAID, OrderStatus.PACKED]), order_clause(kept))
    base = sa.select(Order).where(*due)
    orders = list(await db.scalars(base.order_by(Order.paid_at, Order.id)))
    totals = await db.execute(
        sa.select(Sku.id, Product.name, Sku.name, sa.func.sum(Order.quantity), sa.func.count(Order.id))
        .join(Sku, Sku.id == Order.sku_id)
        .join(Product, Product.id == Sku.product_id)
        .where(*due)
        .group_by(Sku.id, Product.name, Sku.name)
        .order_by(Product.name, Sku.name)
    )
    return [PackingLine(*row) for row in totals], orders


async def _locked(db: AsyncSession, order_no: str, kept: Kept = None) -> Order:
    if not is_order_no(order_no):
        raise NotFound(f"没有订单 {order_no[:24]}")
    order = await db.scalar(sa.select(Order).where(Order.public_no == order_no).with_for_update())
    if order is None or not reaches(order, kept):  # another village's order answers as if it did not exist
        raise NotFound(f"没有订单 {order_no}")
    return order


async def mark_packed(db: AsyncSession, order_no: str, kept: Kept = None) -> Order:
    order = await _locked(db, order_no, kept)
    if not await transition(db, Order, order.id, "pack", ORDER, packed_at=utcnow()):  # type: ignore[arg-type]
        raise Conflict(f"订单 {order_no} 当前状态不能打包", code=ShopCode.BAD_STATE)
    await _event(db, order, "order_packed")
    return order


def check_tracking(courier: str, tracking_no: str) -> tuple[str, str]:
    courier, tracking_no = courier.strip(), tracking_no.strip().replace(" ", "")
    if courier not in COURIERS:
        raise BadInput(f"请选择快递公司（{'、'.join(COURIERS)}）", field="courier")
    if not _TRACKING.match(tracking_no):
        raise BadInput("快递单号应为 8–30 位字母或数字", field="tracking_no")
    return courier, tracking_no


async def mark_shipped(db: AsyncSession, order_no: str, courier: str, tracking_no: str, kept: Kept = None) -> Order:
    courier, tracking_no = check_tracking(courier, tracking_no)
    order = await _locked(db, order_no, kept)
    now = utcnow()
    shipped = await transition(
        db,
        Order,
        order.id,  # type: ignore[arg-type]
        "ship",
        ORDER,
        courier=courier,
        tracking_no=tracking_no,
        shipped_at=now,
        packed_at=order.packed_at or now,
    )
    if not shipped:
        raise Conflict(f"订单 {order_no} 当前状态不能发货", code=ShopCode.BAD_STATE)
    await _event(db, order, "order_shipped", courier=courier)
    return order


async def mark_completed(db: AsyncSession, order_no: str, kept: Kept = None) -> Order:
    order = await _locked(db, order_no, kept)
    if not await transition(db, Order, order.id, "complete", ORDER, completed_at=utcnow()):  # type: ignore[arg-type]
        raise Conflict(f"订单 {order_no} 还没有发货", code=ShopCode.BAD_STATE)
    return order


@dataclass(frozen=True)
class ImportResult:
    shipped: list[str]
    problems: list[tuple[int, str]]  # (line number, reason)


async def import_tracking_csv(db: AsyncSession, text: str, kept: Kept = None) -> ImportResult:
    """CSV with columns order_no, courier, tracking_no. All rows are checked first; any bad row → nothing written."""
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    needed = {"order_no", "courier", "tracking_no"}
    if not rows or not needed <= set(rows[0]):
        raise BadInput("CSV 需要表头：order_no,courier,tracking_no", field="file")
    problems: list[tuple[int, str]] = []
    for number, row in enumerate(rows, start=2):
        try:
            check_tracking(row["courier"] or "", row["tracking_no"] or "")
        except BadInput as exc:
            problems.append((number, exc.message))
            continue
        order_no = (row["order_no"] or "").strip()
        order = await db.scalar(sa.select(Order).where(Order.public_no == order_no)) if is_order_no(order_no) else None
        if order is None or not reaches(order, kept):
            problems.append((number, f"没有订单 {order_no[:24]}"))
        elif not ORDER.allowed("ship", order.status):
            problems.append((number, f"订单 {order.public_no} 当前状态不能发货"))
    if problems:
        return ImportResult([], problems)
    shipped = []
    for row in rows:
        order = await mark_shipped(db, row["order_no"].strip(), row["courier"], row["tracking_no"], kept)
        shipped.append(order.public_no)
    return ImportResult(shipped, [])


async def _event(db: AsyncSession, order: Order, kind: str, **extra: object) -> None:
    pool = await db.get(StockPool, order.pool_id) if order.pool_id else None
    if pool is not None:
        await order_event(db, pool.feed_stream, kind, order, await sku_label(db, order.sku_id), **extra)
