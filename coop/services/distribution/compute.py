"""Compute (or recompute) the draft distribution of a year: aggregate in SQL, split in Python,
bulk-write the allocation rows (COPY on PostgreSQL)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from caoyuan.db import utcnow
from caoyuan.errors import BadInput, Conflict
from coop.models import (
    AccountItem,
    Allocation,
    Distribution,
    DistributionState,
    DistributionStep,
    Member,
    MemberAccountItem,
    MemberVolume,
    ShareTransaction,
)
from coop.rules.distribution import DistributionError, Members, Plan, plan
from coop.services.charter import charter_in_force, terms_of
from coop.services.distribution.common import reversed_by, year_figures
from coop.services.ledger import require_cooperative

ALLOCATION_COLUMNS = ("distribution_id", "member_id", "member_no", "volume_fen", "capital_fen", "reserve_base_fen",
                      "subsidy_fen", "shares", "patronage_fen", "patronage_adj", "remainder_fen", "remainder_adj",
                      "reserve_share_fen", "reserve_adj", "total_fen", "paid_channel")


async def compute_draft(db: AsyncSession, cooperative_id: int, year: int) -> Distribution:
    await require_cooperative(db, cooperative_id)
    if not 2000 <= year <= 2100:
        raise BadInput("年度不正确", field="year")
    draft = await _open_distribution(db, cooperative_id, year)
    charter = await charter_in_force(db, cooperative_id, date(year, 12, 31))
    if charter is None:
        raise BadInput(f"{year} 年末没有生效的章程，请先登记章程（股金、提取比例、分配方式）", field="year")
    terms = terms_of(charter)
    surplus, prior_loss, machinery, _ = await year_figures(db, cooperative_id, year)
    members = await member_weights(db, cooperative_id, year)
    try:
        result = plan(terms, surplus, prior_loss, machinery, members)
    except DistributionError as exc:
        raise BadInput(str(exc), field=exc.field) from None
    if draft is None:
        draft = Distribution(cooperative_id=cooperative_id, year=year, policy=terms.policy)
        db.add(draft)
    else:
        await db.execute(delete(Allocation).where(Allocation.distribution_id == draft.id))
        await db.execute(delete(DistributionStep).where(DistributionStep.distribution_id == draft.id))
    _copy_figures(draft, result, charter.id, len(members))  # type: ignore[arg-type]
    await db.flush()
    await db.execute(insert(DistributionStep), [
        {"distribution_id": draft.id, "seq": i, "code": s.code, "label": s.label, "base_fen": s.base_fen,
         "rate_bp": s.rate_bp, "amount_fen": s.amount_fen, "explanation": s.explanation[:300]}
        for i, s in enumerate(result.steps, start=1)])
    await write_allocations(db, allocation_records(draft.id, members, result))  # type: ignore[arg-type]
    return draft


async def _open_distribution(db: AsyncSession, cooperative_id: int, year: int) -> Distribution | None:
    """The year's draft to recompute, or None; refuses while an approved or posted one stands."""
    rows = (await db.scalars(select(Distribution).where(
        Distribution.cooperative_id == cooperative_id, Distribution.year == year,
        Distribution.reverses_distribution_id.is_(None)).order_by(Distribution.id))).all()
    draft = None
    for dist in rows:
        if dist.state == DistributionState.DRAFT:
            draft = dist
        elif await reversed_by(db, dist.id) is None:  # type: ignore[arg-type]
            raise Conflict(f"{year} 年的分配方案已{'入账' if dist.state != 'approved' else '经成员大会通过'}，"
                           "不能重新计算；如确有错误，请先冲销", field="year")
    return draft


def _copy_figures(d: Distribution, p: Plan, charter_id: int, count: int) -> None:
    d.policy, d.charter_id, d.state, d.computed_at = p.policy, charter_id, DistributionState.DRAFT, utcnow()
    for name in ("surplus", "loss_cover", "reserve", "pool_development", "pool_assistance", "distributable",
                 "patronage", "remainder", "collective", "volume_total", "weight_total"):
        setattr(d, f"{name}_fen", getattr(p, name))
    d.members_count = count


async def member_weights(db: AsyncSession, cooperative_id: int, year: int) -> Members:
    """Each member's volume, capital, quantified reserve and subsidy shares — summed by the database."""
    year_end = date(year, 12, 31)
    volume = dict((await db.execute(
        select(MemberVolume.member_id, func.sum(MemberVolume.amount_fen))
        .where(MemberVolume.cooperative_id == cooperative_id, MemberVolume.year == year)
        .group_by(MemberVolume.member_id))).all())
    capital = {m: (s, a) for m, s, a in (await db.execute(
        select(ShareTransaction.member_id, func.sum(ShareTransaction.shares), func.sum(ShareTransaction.amount_fen))
        .where(ShareTransaction.cooperative_id == cooperative_id, ShareTransaction.effective_on <= year_end)
        .group_by(ShareTransaction.member_id))).all()}
    items = (await db.execute(
        select(MemberAccountItem.member_id, MemberAccountItem.item, func.sum(MemberAccountItem.amount_fen))
        .where(MemberAccountItem.cooperative_id == cooperative_id,
               ((MemberAccountItem.item == AccountItem.RESERVE_SHARE) & (MemberAccountItem.year < year))
               | ((MemberAccountItem.item == AccountItem.SUBSIDY_SHARE) & (MemberAccountItem.year <= year)))
        .group_by(MemberAccountItem.member_id, MemberAccountItem.item))).all()
    reserve = {m: int(a) for m, i, a in items if i == AccountItem.RESERVE_SHARE}
    subsidy = {m: int(a) for m, i, a in items if i == AccountItem.SUBSIDY_SHARE}
    out = Members()
    for member_id, member_no in (await db.execute(select(Member.id, Member.member_no).where(
            Member.cooperative_id == cooperative_id).order_by(Member.member_no))).all():
        v = max(0, int(volume.get(member_id) or 0))  # refunds may cross a year end; never a negative weight
        shares, cap = capital.get(member_id, (0, 0))
        r, s = max(0, reserve.get(member_id, 0)), max(0, subsidy.get(member_id, 0))
        if v or shares or r or s:
            out.ids.append(member_id)
            out.nos.append(member_no)
            out.volume.append(v)
            out.capital.append(max(0, int(cap)))
            out.reserve_base.append(r)
            out.subsidy.append(s)
            out.shares.append(max(0, int(shares)))
    return out


def allocation_records(distribution_id: int, m: Members, p: Plan) -> list[tuple]:
    return [
        (distribution_id, m.ids[i], m.nos[i], m.volume[i], m.capital[i], m.reserve_base[i], m.subsidy[i],
         m.shares[i], p.patronage_parts[i], p.patronage_adj[i], p.remainder_parts[i], p.remainder_adj[i],
         p.reserve_parts[i], p.reserve_adj[i], p.patronage_parts[i] + p.remainder_parts[i], "")
        for i in range(len(m))]


async def write_allocations(db: AsyncSession, records: list[tuple]) -> None:
    """COPY on PostgreSQL (one round trip for 100,000 rows); multi-row INSERT elsewhere."""
    if not records:
        return
    if db.bind.dialect.name == "postgresql":
        conn = await db.connection()
        raw = (await conn.get_raw_connection()).driver_connection
        await raw.copy_records_to_table(Allocation.__tablename__, records=records, columns=ALLOCATION_COLUMNS)
        return
    rows = [dict(zip(ALLOCATION_COLUMNS, r, strict=True)) for r in records]
    for start in range(0, len(rows), 5_000):
        await db.execute(insert(Allocation), rows[start:start + 5_000])
