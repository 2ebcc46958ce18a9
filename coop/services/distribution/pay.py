"""Pay members their distribution (cash or transfer, with the date), or turn it into shares."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, insert, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from caoyuan.db import UTCDateTime, utcnow
from caoyuan.db.transition import transition
from caoyuan.errors import BadInput, Conflict, NotFound
from coop.models import AccountItem, Allocation, Distribution, MemberAccountItem, ShareOp
from coop.rules import chart as c
from coop.rules.journal import credit, debit, drop_zero
from coop.rules.states import DISTRIBUTION
from coop.services.charter import terms_in_force
from coop.services.distribution.common import load, reversed_by
from coop.services.ledger import write_entry
from coop.services.shares import lock_register, record

PAY_CHANNELS = {"cash": "现金", "bank": "银行转账", "alipay": "支付宝"}


async def _payable(db: AsyncSession, distribution_id: int) -> Distribution:
    dist = await load(db, distribution_id, lock=True)
    if dist.reverses_distribution_id is not None or not DISTRIBUTION.allowed("pay", dist.state):
        raise Conflict("方案入账后才能发放", field="state")
    if await reversed_by(db, distribution_id):
        raise Conflict("这个方案已冲销，不能再发放", field="state")
    return dist


async def _allocation(db: AsyncSession, distribution_id: int, member_id: int) -> Allocation:
    alloc = await db.scalar(
        select(Allocation)
        .where(Allocation.distribution_id == distribution_id, Allocation.member_id == member_id)
        .with_for_update()
    )
    if alloc is None:
        raise NotFound("这位社员不在本次分配名单中", field="member_id")
    if alloc.paid_on is not None:
        raise Conflict(f"已于 {alloc.paid_on} 发放过了", field="member_id")
    if alloc.total_fen <= 0:
        raise BadInput("这位社员本次没有可发放的金额", field="member_id")
    return alloc


async def _settle_state(db: AsyncSession, dist: Distribution) -> None:
    unpaid = await db.scalar(
        select(func.count())
        .select_from(Allocation)
        .where(Allocation.distribution_id == dist.id, Allocation.paid_on.is_(None), Allocation.total_fen > 0)
    )
    if not unpaid:
        await transition(db, Distribution, dist.id, "settle", DISTRIBUTION)  # type: ignore[arg-type]
    await db.flush()


def _payout_lines(patronage: int, remainder: int, member_id: int | None, memo: str) -> list:
    return [
        debit(c.PATRONAGE_PAYABLE, patronage, member_id=member_id, memo=memo),
        debit(c.REMAINDER_PAYABLE, remainder, member_id=member_id, memo=memo),
    ]


async def pay(
    db: AsyncSession, distribution_id: int, member_id: int, channel: str, paid_on: date, by_user_id: int | None = None
) -> Allocation:
    if channel not in PAY_CHANNELS:
        raise BadInput("发放方式只能是现金、银行转账或支付宝", field="channel")
    dist = await _payable(db, distribution_id)
    alloc = await _allocation(db, distribution_id, member_id)
    memo = f"{dist.year} 年盈余分配发放（社员号 {alloc.member_no}）"
    entry = await write_entry(
        db,
        dist.cooperative_id,
        drop_zero(
            [
                *_payout_lines(alloc.patronage_fen, alloc.remainder_fen, member_id, memo),
                credit(c.money_account(channel), alloc.total_fen, memo=memo),
            ]
        ),
        kind="dividend_paid",
        description=memo,
        entry_date=paid_on,
        user_id=by_user_id,
    )
    alloc.paid_on, alloc.paid_channel, alloc.payment_entry_id = paid_on, channel, entry.id
    db.add(_account_line(dist, member_id, AccountItem.PAID, alloc.total_fen, f"{PAY_CHANNELS[channel]}发放"))
    await _settle_state(db, dist)
    return alloc


async def pay_all(
    db: AsyncSession, distribution_id: int, channel: str, paid_on: date, by_user_id: int | None = None
) -> int:
    """Everyone not yet paid, in one journal entry (e.g. a bank batch transfer). Returns how many."""
    if channel not in PAY_CHANNELS:
        raise BadInput("发放方式只能是现金、银行转账或支付宝", field="channel")
    dist = await _payable(db, distribution_id)
    unpaid = (Allocation.distribution_id == distribution_id) & Allocation.paid_on.is_(None) & (Allocation.total_fen > 0)
    count, patronage, remainder = (
        await db.execute(
            select(
                func.count(),
                func.coalesce(func.sum(Allocation.patronage_fen), 0),
                func.coalesce(func.sum(Allocation.remainder_fen), 0),
            ).where(unpaid)
        )
    ).one()
    if not count:
        raise Conflict("所有社员都已发放", field="state")
    memo = f"{dist.year} 年盈余分配批量发放 {count} 户"
    entry = await write_entry(
        db,
        dist.cooperative_id,
        drop_zero(
            [
                *_payout_lines(int(patronage), int(remainder), None, memo),
                credit(c.money_account(channel), int(patronage) + int(remainder), memo=memo),
            ]
        ),
        kind="dividend_paid",
        description=memo,
        entry_date=paid_on,
        user_id=by_user_id,
    )
    await db.execute(
        insert(MemberAccountItem).from_select(
            ["cooperative_id", "member_id", "year", "item", "amount_fen", "distribution_id", "note", "created_at"],
            select(
                literal(dist.cooperative_id),
                Allocation.member_id,
                literal(dist.year),
                literal(str(AccountItem.PAID)),
                Allocation.total_fen,
                Allocation.distribution_id,
                literal(f"{PAY_CHANNELS[channel]}发放"),
                literal(utcnow(), UTCDateTime()),
            ).where(unpaid),
        )
    )
    await db.execute(
        update(Allocation).where(unpaid).values(paid_on=paid_on, paid_channel=channel, payment_entry_id=entry.id)
    )
    await _settle_state(db, dist)
    return int(count)


async def convert_to_capital(
    db: AsyncSession, distribution_id: int, member_id: int, on: date, by_user_id: int | None = None
) -> int:
    """盈余转股金: whole shares at the charter's price; the odd amount under one share is paid in cash.
    Returns the shares added."""
    dist = await _payable(db, distribution_id)
    alloc = await _allocation(db, distribution_id, member_id)
    _, terms = await terms_in_force(db, dist.cooperative_id, on)
    shares = alloc.total_fen // terms.share_price_fen
    if shares == 0:
        raise BadInput("本次分配不足一股，不能转为股金", field="member_id")
    number = await lock_register(db, dist.cooperative_id)
    converted, cash = shares * terms.share_price_fen, alloc.total_fen % terms.share_price_fen
    memo = f"{dist.year} 年盈余转增股金 {shares} 股（社员号 {alloc.member_no}）"
    entry = await write_entry(
        db,
        dist.cooperative_id,
        drop_zero(
            [
                *_payout_lines(alloc.patronage_fen, alloc.remainder_fen, member_id, memo),
                credit(c.SHARE_CAPITAL, converted, member_id=member_id, memo=memo),
                credit(c.CASH, cash, memo="不足一股部分付现金"),
            ]
        ),
        kind="dividend_converted",
        description=memo,
        entry_date=on,
        user_id=by_user_id,
    )
    await record(
        db,
        number,
        dist.cooperative_id,
        [
            {
                "op": ShareOp.CONVERT,
                "member_id": member_id,
                "shares": shares,
                "amount_fen": converted,
                "effective_on": on,
                "distribution_id": dist.id,
                "entry_id": entry.id,
                "reason": memo,
                "created_by_user_id": by_user_id,
            }
        ],
    )
    alloc.paid_on, alloc.paid_channel, alloc.payment_entry_id = on, "capital", entry.id
    db.add(_account_line(dist, member_id, AccountItem.CONVERTED, converted, memo))
    if cash:
        db.add(_account_line(dist, member_id, AccountItem.PAID, cash, "不足一股部分付现金"))
    await _settle_state(db, dist)
    return shares


def _account_line(
    dist: Distribution, member_id: int, item: AccountItem, amount_fen: int, note: str
) -> MemberAccountItem:
    """A line of this distribution on the member's account (what was paid out or turned into shares)."""
    return MemberAccountItem(
        cooperative_id=dist.cooperative_id,
        member_id=member_id,
        year=dist.year,
        item=item,
        amount_fen=amount_fen,
        distribution_id=dist.id,
        note=note,
    )
