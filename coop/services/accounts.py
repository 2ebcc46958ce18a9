"""Member accounts (成员账户, art. 43): capital, quantified reserve and subsidies, volume, dividends."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from caoyuan.errors import BadInput
from coop.models import AccountItem, Member, MemberAccountItem, MemberStatus, MemberVolume
from coop.rules.allocation import split
from coop.services.ledger import require_cooperative
from coop.services.shares import holdings


@dataclass
class MemberAccount:
    shares: int = 0
    capital_fen: int = 0
    reserve_share_fen: int = 0
    subsidy_share_fen: int = 0
    volume_by_year: dict[int, dict[str, int]] = field(default_factory=dict)  # year → source → fen
    items_by_year: dict[int, dict[str, int]] = field(default_factory=dict)  # year → item → fen

    def volume(self, year: int) -> int:
        return sum(self.volume_by_year.get(year, {}).values())

    @property
    def dividends_fen(self) -> int:
        return sum(
            v.get(AccountItem.PATRONAGE_REFUND, 0) + v.get(AccountItem.REMAINDER_DIVIDEND, 0)
            for v in self.items_by_year.values()
        )


async def member_account(db: AsyncSession, member: Member) -> MemberAccount:
    acct = MemberAccount()
    acct.shares, acct.capital_fen = (await holdings(db, member.cooperative_id)).get(member.id, (0, 0))  # type: ignore[arg-type]
    for year, source, amount in (
        await db.execute(
            select(MemberVolume.year, MemberVolume.source, func.sum(MemberVolume.amount_fen))
            .where(MemberVolume.member_id == member.id)
            .group_by(MemberVolume.year, MemberVolume.source)
        )
    ).all():
        acct.volume_by_year.setdefault(year, {})[source] = int(amount)
    for year, item, amount in (
        await db.execute(
            select(MemberAccountItem.year, MemberAccountItem.item, func.sum(MemberAccountItem.amount_fen))
            .where(MemberAccountItem.member_id == member.id)
            .group_by(MemberAccountItem.year, MemberAccountItem.item)
        )
    ).all():
        acct.items_by_year.setdefault(year, {})[item] = int(amount)
        if item == AccountItem.RESERVE_SHARE:
            acct.reserve_share_fen += int(amount)
        elif item == AccountItem.SUBSIDY_SHARE:
            acct.subsidy_share_fen += int(amount)
    return acct


async def quantify_subsidy(
    db: AsyncSession, cooperative_id: int, year: int, amount_fen: int, basis: str, note: str
) -> dict[int, int]:
    """Quantify a state subsidy or donation to the admitted members' accounts, equally per household
    or by shares (the member account then carries it into the remainder distribution, art. 44)."""
    await require_cooperative(db, cooperative_id)
    if amount_fen <= 0:
        raise BadInput("量化金额必须大于零", field="amount_fen")
    members = (
        await db.execute(
            select(Member.id, Member.member_no).where(
                Member.cooperative_id == cooperative_id, Member.status == MemberStatus.ADMITTED
            )
        )
    ).all()
    if basis == "equal":
        weights = [(no, 1) for _, no in members]
    elif basis == "shares":
        held = await holdings(db, cooperative_id)
        weights = [(no, held.get(mid, (0, 0))[0]) for mid, no in members]
    else:
        raise BadInput("量化方式只能是按户平均（equal）或按股份（shares）", field="basis")
    if not weights or not any(w for _, w in weights):
        raise BadInput("没有可量化的在册社员（或社员都还没有股份）", field="basis")
    by_no = {no: mid for mid, no in members}
    parts = {by_no[k]: v for k, v in split(amount_fen, weights).amounts.items() if v}
    await db.execute(
        insert(MemberAccountItem),
        [
            {
                "cooperative_id": cooperative_id,
                "member_id": mid,
                "year": year,
                "item": AccountItem.SUBSIDY_SHARE,
                "amount_fen": amount,
                "note": note[:200],
            }
            for mid, amount in parts.items()
        ],
    )
    return parts
