"""The posting interface: the ONLY way other modules put money into the cooperative's books.

    from coop.posting import post, LiveSalePaid
    result = await post(db, LiveSalePaid(cooperative_id=1, reference="shop-order:123:paid", ...))

``post`` writes one balanced journal entry inside the caller's transaction (it never commits),
records the member's transaction volume, applies the charter in force on the event's day
(live-sale commission, machinery 六四开) and is idempotent on ``reference``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from caoyuan.errors import BadInput, Conflict, NotFound
from coop.models import Member, MemberStatus, MemberStatusChange, MemberVolume, Posting, VolumeSource
from coop.rules import postings as rules
from coop.rules.chart import MONEY_ACCOUNTS, Chart, chart_for
from coop.services.charter import terms_in_force
from coop.services.ledger import ensure_year_open, local_date, require_cooperative, write_entry

__all__ = ["LiveSalePaid", "LiveSaleRefunded", "MachineryServicePaid", "OperatorWageAccrued", "PostingResult", "post"]


@dataclass(frozen=True)
class LiveSalePaid:
    """A paid live-sale order."""

    cooperative_id: int
    reference: str  # unique idempotency key, e.g. "shop-order:123:paid"
    occurred_at: datetime  # aware UTC
    supplier_member_id: int | None  # whose animals were sold (member business); None = the collective's own
    goods_fen: int
    shipping_fen: int
    channel: str = "alipay"  # "alipay" | "cash" | "bank"
    description: str = ""


@dataclass(frozen=True)
class LiveSaleRefunded:
    """(Part of) a paid order refunded."""

    cooperative_id: int
    reference: str  # e.g. "shop-order:123:refund:1"
    original_reference: str  # the LiveSalePaid reference
    occurred_at: datetime
    goods_fen: int
    shipping_fen: int
    channel: str = "alipay"
    description: str = ""


@dataclass(frozen=True)
class MachineryServicePaid:
    """A completed harvest job paid by the farmer."""

    cooperative_id: int
    reference: str  # e.g. "machinery-booking:45:paid"
    occurred_at: datetime
    farmer_member_id: int | None  # None = non-member business (art. 41)
    amount_fen: int  # what the farmer paid (measured mu x price)
    relief_fen: int = 0  # hardship relief on this job: the collective's assistance expense
    channel: str = "cash"  # "cash" | "alipay"
    description: str = ""


@dataclass(frozen=True)
class OperatorWageAccrued:
    """An operator's wage for a job."""

    cooperative_id: int
    reference: str
    occurred_at: datetime
    operator_user_id: int
    amount_fen: int
    description: str = ""


@dataclass(frozen=True)
class PostingResult:
    entry_id: int  # the journal entry written (or found)
    created: bool  # False when the reference had already been posted
    splits: dict[str, int] = field(default_factory=dict)  # machinery 六四开, {} if none


Event = LiveSalePaid | LiveSaleRefunded | MachineryServicePaid | OperatorWageAccrued
KINDS = {
    LiveSalePaid: "live_sale",
    LiveSaleRefunded: "live_refund",
    MachineryServicePaid: "machinery",
    OperatorWageAccrued: "wage",
}


async def post(db: AsyncSession, event: Event) -> PostingResult:
    """Write one balanced journal entry for the event (see the module docstring). Raises BadInput for
    amounts <= 0 or a refund above what was paid, Conflict for a reused reference with other amounts."""
    kind = KINDS.get(type(event))
    if kind is None:
        raise BadInput(f"不认识的记账事件：{type(event).__name__}")
    _check_shape(event)
    fingerprint = _fingerprint(kind, event)
    existing = await db.scalar(select(Posting).where(Posting.reference == event.reference))
    if existing is not None:
        return _replay(existing, fingerprint)
    await require_cooperative(db, event.cooperative_id)
    # 年结: refused before anything is looked up or written (write_entry checks again for every other source)
    await ensure_year_open(db, event.cooperative_id, local_date(event.occurred_at))
    try:
        async with db.begin_nested():  # a concurrent twin loses on the unique reference, not half-written
            return await _post_new(db, kind, event, fingerprint)
    except IntegrityError:
        existing = await db.scalar(select(Posting).where(Posting.reference == event.reference))
        if existing is None:
            raise
        return _replay(existing, fingerprint)


def _replay(existing: Posting, fingerprint: str) -> PostingResult:
    if existing.fingerprint != fingerprint:
        raise Conflict(f"凭证号「{existing.reference}」已用于另一笔金额不同的业务", field="reference")
    return PostingResult(existing.entry_id, False, dict(existing.splits or {}))


def _fingerprint(kind: str, e: Event) -> str:
    parts = [kind, str(e.cooperative_id)]
    for name in (
        "supplier_member_id",
        "farmer_member_id",
        "operator_user_id",
        "original_reference",
        "goods_fen",
        "shipping_fen",
        "amount_fen",
        "relief_fen",
        "channel",
    ):
        if hasattr(e, name):
            parts.append(f"{name}={getattr(e, name)}")
    return "|".join(parts)[:300]


def _check_shape(e: Event) -> None:
    if not e.reference or len(e.reference) > 120:
        raise BadInput("凭证号（reference）不能为空，且不超过 120 个字符", field="reference")
    if e.occurred_at.tzinfo is None:
        raise BadInput("时间必须带时区（UTC）", field="occurred_at")
    if hasattr(e, "channel") and e.channel not in MONEY_ACCOUNTS:
        raise BadInput(f"不支持的收付方式「{e.channel}」", field="channel")
    amounts = {n: getattr(e, n) for n in ("goods_fen", "shipping_fen", "amount_fen", "relief_fen") if hasattr(e, n)}
    for name, value in amounts.items():
        if not isinstance(value, int) or isinstance(value, bool):
            raise BadInput("金额必须是整数（分）", field=name)
        if value < 0:
            raise BadInput("金额不能为负数", field=name)
    if isinstance(e, LiveSalePaid | LiveSaleRefunded):
        if e.goods_fen <= 0:
            raise BadInput("货款必须大于零", field="goods_fen")
    elif isinstance(e, MachineryServicePaid):
        if e.amount_fen + e.relief_fen <= 0:  # a fully relieved job (amount 0) still books its relief
            raise BadInput("作业收费必须大于零", field="amount_fen")
    elif e.amount_fen <= 0:
        raise BadInput("工资必须大于零", field="amount_fen")


async def _member_of(db: AsyncSession, cooperative_id: int, member_id: int | None, field_name: str, day: date) -> None:
    """The member belongs to the cooperative and had joined by the day of the business: a member's account
    records only business done as a member (art. 43); before joining it was not member business."""
    if member_id is None:
        return
    member = await db.get(Member, member_id)
    if member is None or member.cooperative_id != cooperative_id:
        raise NotFound("这位社员不属于该合作社", field=field_name)
    joined = await db.scalar(
        select(func.min(MemberStatusChange.effective_on)).where(
            MemberStatusChange.member_id == member_id, MemberStatusChange.status == MemberStatus.ADMITTED
        )
    )
    joined = joined or member.status_since
    if day < joined:
        raise BadInput(f"这笔业务发生在 {day}，早于这位社员的入社日期 {joined}，不能记为成员交易量", field=field_name)


async def _post_new(db: AsyncSession, kind: str, e: Event, fingerprint: str) -> PostingResult:
    day = local_date(e.occurred_at)
    _, terms = await terms_in_force(db, e.cooperative_id, day)
    chart = chart_for((await require_cooperative(db, e.cooperative_id)).kind)  # the kind's own accounts
    record = Posting(
        reference=e.reference, cooperative_id=e.cooperative_id, kind=kind, fingerprint=fingerprint, entry_id=0
    )
    volume: tuple[int, str, int] | None = None  # member, source, signed amount
    if isinstance(e, LiveSalePaid):
        await _member_of(db, e.cooperative_id, e.supplier_member_id, "supplier_member_id", day)
        built = rules.live_sale_paid(terms, e.channel, e.supplier_member_id, e.goods_fen, e.shipping_fen, chart)
        record.member_id, record.goods_fen, record.shipping_fen = e.supplier_member_id, e.goods_fen, e.shipping_fen
        if e.supplier_member_id is not None:
            volume = (e.supplier_member_id, VolumeSource.LIVE_SALE, e.goods_fen)
    elif isinstance(e, LiveSaleRefunded):
        built, record = await _refund(db, e, record, chart)
        if record.member_id is not None:
            volume = (record.member_id, VolumeSource.LIVE_SALE, -e.goods_fen)
    elif isinstance(e, MachineryServicePaid):
        await _member_of(db, e.cooperative_id, e.farmer_member_id, "farmer_member_id", day)
        built = rules.machinery_paid(terms, e.channel, e.farmer_member_id, e.amount_fen, e.relief_fen, chart)
        record.member_id, record.amount_fen, record.relief_fen = e.farmer_member_id, e.amount_fen, e.relief_fen
        if e.farmer_member_id is not None and e.amount_fen:
            volume = (e.farmer_member_id, VolumeSource.MACHINERY, e.amount_fen)
    else:
        built = rules.wage_accrued(e.amount_fen, f"农机手工资（用户 #{e.operator_user_id}）", chart)
        record.user_id, record.amount_fen = e.operator_user_id, e.amount_fen
    entry = await write_entry(
        db,
        e.cooperative_id,
        built.lines,
        kind=kind,
        occurred_at=e.occurred_at,
        description=e.description or e.reference,
    )
    record.entry_id, record.commission_fen, record.splits = entry.id, built.commission_fen, built.splits or {}
    db.add(record)
    if volume is not None:
        await db.execute(
            insert(MemberVolume).values(
                cooperative_id=e.cooperative_id,
                member_id=volume[0],
                year=day.year,
                occurred_on=day,
                source=str(volume[1]),
                amount_fen=volume[2],
                reference=e.reference,
            )
        )
    await db.flush()
    return PostingResult(entry.id, True, dict(built.splits or {}))  # type: ignore[arg-type]


async def _refund(db: AsyncSession, e: LiveSaleRefunded, record: Posting, chart: Chart) -> tuple[rules.Built, Posting]:
    paid = await db.scalar(
        select(Posting).where(Posting.reference == e.original_reference, Posting.kind == "live_sale").with_for_update()
    )
    if paid is None or paid.cooperative_id != e.cooperative_id:
        raise NotFound(f"找不到原订单的入账记录「{e.original_reference}」", field="original_reference")
    goods_before, shipping_before, commission_before = (
        await db.execute(
            select(
                func.coalesce(func.sum(Posting.goods_fen), 0),
                func.coalesce(func.sum(Posting.shipping_fen), 0),
                func.coalesce(func.sum(Posting.commission_fen), 0),
            ).where(Posting.original_reference == e.original_reference, Posting.kind == "live_refund")
        )
    ).one()
    goods_before, shipping_before, commission_before = int(goods_before), int(shipping_before), int(commission_before)
    if goods_before + e.goods_fen > paid.goods_fen:
        raise BadInput("退款货款超过了原订单实付货款", field="goods_fen")
    if shipping_before + e.shipping_fen > paid.shipping_fen:
        raise BadInput("退还运费超过了原订单实付运费", field="shipping_fen")
    back = rules.refund_commission(paid.goods_fen, paid.commission_fen, goods_before, commission_before, e.goods_fen)
    built = rules.live_sale_refunded(e.channel, paid.member_id, e.goods_fen, e.shipping_fen, back, chart)
    record.original_reference, record.member_id = e.original_reference, paid.member_id
    record.goods_fen, record.shipping_fen = e.goods_fen, e.shipping_fen
    return built, record
