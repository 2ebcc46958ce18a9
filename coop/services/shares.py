"""The share register: subscribe, transfer, redeem, inherit. Append-only; holdings are sums."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from caoyuan.errors import BadInput, Conflict
from coop.models import Cooperative, Member, MemberStatus, ShareOp, ShareTransaction
from coop.rules import chart as c
from coop.rules.journal import credit, debit
from coop.rules.shares import ShareRuleError, check_redemption
from coop.services.charter import terms_in_force
from coop.services.ledger import write_entry
from coop.services.members import get_member


async def lock_register(db: AsyncSession, cooperative_id: int) -> int:
    """Serialise share operations of one cooperative (row lock on PostgreSQL; SQLite has one writer)
    and hand out the next operation number."""
    await db.execute(select(Cooperative.id).where(Cooperative.id == cooperative_id).with_for_update())
    last = await db.scalar(
        select(func.coalesce(func.max(ShareTransaction.number), 0)).where(
            ShareTransaction.cooperative_id == cooperative_id
        )
    )
    return int(last) + 1


async def holding(db: AsyncSession, member_id: int, on: date | None = None) -> int:
    query = select(func.coalesce(func.sum(ShareTransaction.shares), 0)).where(ShareTransaction.member_id == member_id)
    if on is not None:
        query = query.where(ShareTransaction.effective_on <= on)
    return int(await db.scalar(query))


async def holdings(db: AsyncSession, cooperative_id: int, on: date | None = None) -> dict[int, tuple[int, int]]:
    """member id → (shares, capital in fen) from the register, as of a day."""
    query = (
        select(ShareTransaction.member_id, func.sum(ShareTransaction.shares), func.sum(ShareTransaction.amount_fen))
        .where(ShareTransaction.cooperative_id == cooperative_id)
        .group_by(ShareTransaction.member_id)
    )
    if on is not None:
        query = query.where(ShareTransaction.effective_on <= on)
    return {m: (int(s), int(a)) for m, s, a in (await db.execute(query)).all()}


async def _capital_of(db: AsyncSession, member_id: int) -> tuple[int, int]:
    shares, amount = (
        await db.execute(
            select(
                func.coalesce(func.sum(ShareTransaction.shares), 0),
                func.coalesce(func.sum(ShareTransaction.amount_fen), 0),
            ).where(ShareTransaction.member_id == member_id)
        )
    ).one()
    return int(shares), int(amount)


def _value_of(shares: int, held: int, capital: int) -> int:
    """Book value of part of a holding (its average paid-in capital), exact when the whole is taken."""
    return capital if shares == held else capital * shares // held


async def record(db: AsyncSession, number: int, cooperative_id: int, rows: list[dict]) -> None:
    await db.execute(
        insert(ShareTransaction), [{"cooperative_id": cooperative_id, "number": number, **r} for r in rows]
    )


async def transfer(
    db: AsyncSession,
    cooperative_id: int,
    from_member_id: int,
    to_member_id: int,
    shares: int,
    on: date,
    reason: str,
    *,
    by_user_id: int | None = None,
    op_reason: str = "转让",
) -> int:
    """Move shares between members; both sides' history is kept. Returns the operation number."""
    if shares <= 0:
        raise BadInput("转让股数必须大于零", field="shares")
    if from_member_id == to_member_id:
        raise BadInput("不能转让给自己", field="to_member_id")
    giver = await get_member(db, from_member_id, cooperative_id)
    taker = await get_member(db, to_member_id, cooperative_id)
    if taker.status != MemberStatus.ADMITTED:
        raise BadInput("受让人须为本社在册社员", field="to_member_id")
    number = await lock_register(db, cooperative_id)
    held, capital = await _capital_of(db, giver.id)  # type: ignore[arg-type]
    held_then = await holding(db, giver.id, on)  # type: ignore[arg-type]
    if shares > min(held, held_then):
        raise BadInput(f"{giver.name} 持有 {min(held, held_then)} 股，不能转出 {shares} 股", field="shares")
    value = _value_of(shares, held, capital)
    memo = f"{op_reason}：{giver.name} → {taker.name} {shares} 股"
    entry = await write_entry(
        db,
        cooperative_id,
        [
            debit(c.SHARE_CAPITAL, value, member_id=giver.id, memo=memo),
            credit(c.SHARE_CAPITAL, value, member_id=taker.id, memo=memo),
        ],
        kind="share_transfer",
        description=memo,
        entry_date=on,
        user_id=by_user_id,
    )
    common = {"effective_on": on, "entry_id": entry.id, "reason": reason[:200], "created_by_user_id": by_user_id}
    await record(
        db,
        number,
        cooperative_id,
        [
            {
                "op": ShareOp.TRANSFER_OUT,
                "member_id": giver.id,
                "shares": -shares,
                "amount_fen": -value,
                "counterpart_member_id": taker.id,
                **common,
            },
            {
                "op": ShareOp.TRANSFER_IN,
                "member_id": taker.id,
                "shares": shares,
                "amount_fen": value,
                "counterpart_member_id": giver.id,
                **common,
            },
        ],
    )
    return number


async def pass_to_heir(db: AsyncSession, member: Member, heir: Member, on: date, by_user_id: int | None) -> None:
    held, _ = await _capital_of(db, member.id)  # type: ignore[arg-type]
    if held > 0:
        await transfer(
            db,
            member.cooperative_id,
            member.id,
            heir.id,
            held,
            on,  # type: ignore[arg-type]
            f"继承：{member.name} 去世，由 {heir.name} 承继",
            by_user_id=by_user_id,
            op_reason="继承",
        )


async def redeem(
    db: AsyncSession,
    cooperative_id: int,
    member_id: int,
    shares: int,
    on: date,
    channel: str,
    reason: str,
    *,
    by_user_id: int | None = None,
) -> int:
    """退股 by the charter: only if allowed, only shares held past the lock period, paid out at book value."""
    member = await get_member(db, member_id, cooperative_id)
    money = c.MONEY_ACCOUNTS.get(channel)
    if money is None:
        raise BadInput("退股款的支付方式只能是现金、银行或支付宝", field="channel")
    number = await lock_register(db, cooperative_id)
    _, terms = await terms_in_force(db, cooperative_id, on)
    held, capital = await _capital_of(db, member_id)
    acquisitions = [
        (d, int(n))
        for d, n in (
            await db.execute(
                select(ShareTransaction.effective_on, ShareTransaction.shares).where(
                    ShareTransaction.member_id == member_id, ShareTransaction.shares > 0
                )
            )
        ).all()
    ]
    try:
        check_redemption(terms, held, acquisitions, on, shares)
    except ShareRuleError as exc:
        raise Conflict(str(exc), field=exc.field) from None
    value = _value_of(shares, held, capital)
    memo = f"退股：{member.name} {shares} 股"
    entry = await write_entry(
        db,
        cooperative_id,
        [debit(c.SHARE_CAPITAL, value, member_id=member_id, memo=memo), credit(money, value, memo=memo)],
        kind="share_redeem",
        description=memo,
        entry_date=on,
        user_id=by_user_id,
    )
    await record(
        db,
        number,
        cooperative_id,
        [
            {
                "op": ShareOp.REDEEM,
                "member_id": member_id,
                "shares": -shares,
                "amount_fen": -value,
                "effective_on": on,
                "entry_id": entry.id,
                "reason": reason[:200],
                "created_by_user_id": by_user_id,
            }
        ],
    )
    return number


async def register(db: AsyncSession, cooperative_id: int, member_id: int | None = None) -> list[ShareTransaction]:
    query = select(ShareTransaction).where(ShareTransaction.cooperative_id == cooperative_id)
    if member_id is not None:
        query = query.where(ShareTransaction.member_id == member_id)
    return list((await db.scalars(query.order_by(ShareTransaction.number, ShareTransaction.shares))).all())
