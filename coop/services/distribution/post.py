"""Post an approved distribution (close the year into 本年盈余, distribute it, credit member accounts),
or undo a posted one with a reversing distribution."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, insert, literal, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from caoyuan.db import UTCDateTime, utcnow
from caoyuan.db.transition import transition
from caoyuan.errors import Conflict
from coop.models import AccountItem, Allocation, Distribution, DistributionState, MemberAccountItem
from coop.rules import chart as c
from coop.rules.journal import Line, credit, debit, drop_zero
from coop.rules.states import DISTRIBUTION
from coop.services.distribution.common import ALLOCATION_COLUMNS, POOL_FIGURES, load, reversed_by, year_figures
from coop.services.distribution.inputs import stale_inputs
from coop.services.ledger import ensure_year_ended, reverse_entry, write_entry

ITEM_COLUMNS = {
    AccountItem.PATRONAGE_REFUND: Allocation.patronage_fen,
    AccountItem.REMAINDER_DIVIDEND: Allocation.remainder_fen,
    AccountItem.RESERVE_SHARE: Allocation.reserve_share_fen,
}
ITEM_INSERT = ["cooperative_id", "member_id", "year", "item", "amount_fen", "distribution_id", "note", "created_at"]
# A reversing allocation copies the original row with its money negated, under the reversal's id and with no
# paid_channel; capital_counted and member_days (how the original was computed) stay at their default 0.
NEGATED = frozenset({"patronage_fen", "remainder_fen", "reserve_share_fen", "total_fen"})
REVERSAL_COPIES = tuple(
    name
    for name in ALLOCATION_COLUMNS
    if name not in {"distribution_id", "capital_counted", "member_days", "paid_channel"}
)


def closing_lines(sums: dict[str, tuple[int, int]], surplus: int) -> list[Line]:
    """Move the year's income and expense balances into 本年盈余 (结转)."""
    lines = []
    for code in sorted(sums):
        acc, (d, cr) = c.account(code), sums[code]
        if acc.kind in (c.AccountKind.INCOME, c.AccountKind.EXPENSE) and d != cr:
            lines.append(debit(code, cr - d) if cr > d else credit(code, d - cr))
    lines.append(credit(c.CURRENT_SURPLUS, surplus) if surplus >= 0 else debit(c.CURRENT_SURPLUS, -surplus))
    return drop_zero(lines)


def distribution_lines(d: Distribution) -> list[Line]:
    if d.surplus_fen < 0:  # a loss is carried forward in 未分配盈余
        return [debit(c.UNDISTRIBUTED, -d.surplus_fen, memo="本年亏损结转"), credit(c.CURRENT_SURPLUS, -d.surplus_fen)]
    return drop_zero(
        [
            debit(c.CURRENT_SURPLUS, d.surplus_fen),
            credit(c.UNDISTRIBUTED, d.loss_cover_fen, memo="弥补以前年度亏损"),
            credit(c.SURPLUS_RESERVE, d.reserve_fen, memo="提取公积金" if d.policy == "farmer" else "提取公积公益金"),
            credit(c.SURPLUS_RESERVE, d.pool_development_fen, fund="development", memo="农机收入六四开：滚动发展"),
            credit(c.WELFARE_FUND, d.pool_assistance_fen, fund="assistance", memo="农机收入六四开：帮扶村民"),
            credit(c.PATRONAGE_PAYABLE, d.patronage_fen, memo="按交易量返还"),
            credit(c.REMAINDER_PAYABLE, d.remainder_fen, memo="按出资额（按股）分配"),
            credit(c.COLLECTIVE_SHARE, d.collective_fen, memo="集体股分红留归集体"),  # where the kind's chart keeps it
        ]
    )


async def post_distribution(db: AsyncSession, distribution_id: int, by_user_id: int | None = None) -> Distribution:
    dist = await load(db, distribution_id, lock=True)
    if dist.state in (DistributionState.POSTED, DistributionState.PAID):
        raise Conflict("这个分配方案已经入账，不能重复入账", field="state")
    if not DISTRIBUTION.allowed("post", dist.state):
        raise Conflict("分配方案须先经成员大会审议通过，才能入账", field="state")
    ensure_year_ended(dist.year)
    if what := await stale_inputs(db, dist.cooperative_id, dist.year, dist.inputs_fingerprint):
        raise Conflict(
            f"方案通过之后{'、'.join(what)}有变动，方案已过时，不能入账；请重新计算草案，再提交成员大会审议",
            field="state",
        )
    surplus, _, _, sums = await year_figures(db, dist.cooperative_id, dist.year)
    dist.closing_entry_id = await _year_end_entry(
        db, dist, closing_lines(sums, surplus), "closing", f"{dist.year} 年损益结转本年盈余", by_user_id
    )
    dist.entry_id = await _year_end_entry(
        db, dist, distribution_lines(dist), "distribution", f"{dist.year} 年盈余分配", by_user_id
    )
    await _credit_member_accounts(db, dist)
    await transition(db, Distribution, dist.id, "post", DISTRIBUTION, posted_at=utcnow())  # type: ignore[arg-type]
    await db.flush()
    return dist


async def _year_end_entry(
    db: AsyncSession, dist: Distribution, lines: list[Line], kind: str, description: str, by_user_id: int | None
) -> int | None:
    """Write a journal entry dated the year's last day; None when there is nothing to move (under 2 lines)."""
    if len(lines) < 2:
        return None
    entry = await write_entry(
        db,
        dist.cooperative_id,
        lines,
        kind=kind,
        entry_date=date(dist.year, 12, 31),
        description=description,
        user_id=by_user_id,
    )
    return entry.id


async def _credit_member_accounts(db: AsyncSession, dist: Distribution) -> None:
    for item, column in ITEM_COLUMNS.items():
        rows = select(
            literal(dist.cooperative_id),
            Allocation.member_id,
            literal(dist.year),
            literal(str(item)),
            column,
            Allocation.distribution_id,
            literal(f"{dist.year} 年盈余分配"),
            literal(utcnow(), UTCDateTime()),
        )
        await db.execute(
            insert(MemberAccountItem).from_select(
                ITEM_INSERT,
                rows.where(Allocation.distribution_id == dist.id, column != 0),
            )
        )


async def reverse_distribution(
    db: AsyncSession, distribution_id: int, reason: str, by_user_id: int | None = None
) -> Distribution:
    """A reversing distribution: negated figures, reversing journal entries, negative member-account lines.
    Refused once any member has been paid (pay-backs are a matter for the assembly, not a button)."""
    dist = await load(db, distribution_id, lock=True)
    if dist.reverses_distribution_id is not None:
        raise Conflict("冲销方案本身不能再冲销", field="state")
    if dist.state not in (DistributionState.POSTED, DistributionState.PAID):
        raise Conflict("只有已入账的方案需要冲销；草案可以直接重新计算", field="state")
    if await reversed_by(db, distribution_id):
        raise Conflict("这个方案已经冲销过了", field="state")
    paid = await db.scalar(
        select(func.count())
        .select_from(Allocation)
        .where(Allocation.distribution_id == distribution_id, Allocation.paid_on.is_not(None))
    )
    if paid:
        raise Conflict(f"已有 {paid} 户领取或转股，不能冲销", field="state")
    if not reason.strip():
        raise Conflict("请写明冲销原因", field="reason")
    figures = {f"{n}_fen": -getattr(dist, f"{n}_fen") for n in POOL_FIGURES}
    rev = Distribution(
        cooperative_id=dist.cooperative_id,
        year=dist.year,
        state=DistributionState.POSTED,
        policy=dist.policy,
        charter_id=dist.charter_id,
        members_count=dist.members_count,
        volume_total_fen=dist.volume_total_fen,
        weight_total_fen=dist.weight_total_fen,
        reverses_distribution_id=dist.id,
        posted_at=utcnow(),
        note=f"冲销：{reason.strip()}"[:500],
        approved_by_user_id=by_user_id,
        **figures,
    )
    db.add(rev)
    await db.flush()
    year_end = date(dist.year, 12, 31)
    if dist.entry_id:
        rev.entry_id = (
            await reverse_entry(db, dist.entry_id, reason=reason, user_id=by_user_id, on=year_end, kind="distribution")
        ).id
    if dist.closing_entry_id:
        rev.closing_entry_id = (
            await reverse_entry(
                db, dist.closing_entry_id, reason=reason, user_id=by_user_id, on=year_end, kind="closing"
            )
        ).id
    copied = [getattr(Allocation, name) for name in REVERSAL_COPIES]
    await db.execute(
        insert(Allocation).from_select(
            ["distribution_id", *REVERSAL_COPIES, "paid_channel"],
            select(
                literal(rev.id),
                *(-column if column.key in NEGATED else column for column in copied),
                literal(""),
            ).where(col(Allocation.distribution_id) == dist.id),
        )
    )
    await db.execute(
        insert(MemberAccountItem).from_select(
            ITEM_INSERT,
            select(
                MemberAccountItem.cooperative_id,
                MemberAccountItem.member_id,
                MemberAccountItem.year,
                MemberAccountItem.item,
                -MemberAccountItem.amount_fen,
                literal(rev.id),
                literal("冲销"),
                literal(utcnow(), UTCDateTime()),
            ).where(MemberAccountItem.distribution_id == dist.id),
        )
    )
    await db.flush()
    return rev
