"""A cooperative with member households in one call; the households are admitted through ``members.admit``."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from caoyuan.db import Database
from caoyuan.identity import example_id_number
from coop.models import Cooperative, CoopKind, Member
from coop.posting import MachineryServicePaid, post
from coop.rules.charter import Terms
from coop.rules.credit_code import check_character
from coop.rules.members import MemberDraft
from coop.services import distribution as dist_service
from coop.services.charter import record_charter
from coop.services.contributions import ContributionIn, contribute
from coop.services.distribution.approve import AssemblyVote
from coop.services.members import admit

CODE = "93150426MA0N0X0K1" + check_character("93150426MA0N0X0K1")  # a made-up 农民专业合作社 credit code
OTHER = "93150426MA0N0X0K2" + check_character("93150426MA0N0X0K2")  # a second one, for duplicates

# the founding form (/coop/setup/) as an accountant fills it in: 白音套海嘎查's cooperative and its charter
FORM = {
    "name": "白音套海嘎查农牧业专业合作社",
    "kind": "farmer",
    "credit_code": CODE,
    "legal_representative": "包金山",
    "registered_on": "2019-03-12",
    "banner": "翁牛特旗",
    "town": "乌丹镇",
    "village": "白音套海嘎查",
    "share_price": "100",
    "land_value_per_mu": "1000",
    "labour_value_per_day": "150",
    "reserve_rate": "10",
    "patronage_rate": "60",
    "commission": "3",
    "machinery_development": "60",
    "collective_share": "0",
    "redemption_allowed": "on",
    "capital_basis": "record_date",
    "redemption_lock_months": "12",
    "representatives": "0",
}


async def make_cooperative(
    db: AsyncSession,
    *,
    members: int = 3,
    kind: str = CoopKind.FARMER,
    name: str | None = None,
    user_ids: dict[int, int] | None = None,
    joined: date = date(2020, 1, 1),
) -> tuple[Cooperative, list[Member]]:
    """A cooperative and ``members`` admitted households numbered 1..n (``user_ids``: member_no → login)."""
    coop = Cooperative(
        name=name or f"测试合作社{id(db) % 100000}",
        kind=kind,
        banner="翁牛特旗",
        town="乌丹镇",
        village="白音套海嘎查",
        founded_on=joined,
    )
    db.add(coop)
    await db.flush()
    people = [
        await admit(db, coop.id, household(n, joined), user_id=(user_ids or {}).get(n)) for n in range(1, members + 1)
    ]
    await db.flush()
    return coop, people


def household(n: int, joined: date | None = None, **overrides: object) -> MemberDraft:
    """Household no. ``n`` of the test village (社员n, a valid made-up ID number, phone 135000000nn)."""
    fields: dict[str, object] = {
        "member_no": n,
        "name": f"社员{n}",
        "id_number": example_id_number(n),
        "phone": f"135{n:08d}",
        "village": "白音套海嘎查",
        "group_name": "一组",
        "household_size": 1,
        "hardship": False,
        "joined_on": joined,
    }
    fields.update(overrides)
    return MemberDraft(**fields)  # type: ignore[arg-type]


# the 2026 assembly that approves 2025's distribution: members 1 and 2 for, 3 against
VOTE_2025 = AssemblyVote(date(2026, 1, 10), frozenset({1, 2}), frozenset({3}), frozenset())


async def trading_year_2025(db: Database) -> tuple[int, list[int]]:
    """Three households, a charter, member 2's ¥3,000 share and member 1's ¥5,000 of machinery work in 2025."""
    async with db.session() as s:
        coop, people = await make_cooperative(s, members=3)
        await record_charter(s, coop.id, date(2020, 1, 1), Terms())
        await contribute(s, coop.id, ContributionIn(people[1].id, "cash", date(2024, 4, 1), amount_fen=3_000_00))
        await post(s, MachineryServicePaid(coop.id, "yc:1", datetime(2025, 6, 1, tzinfo=UTC), people[0].id, 5_000_00))
        return coop.id, [m.id for m in people]  # type: ignore[misc]


async def posted_2025(db: Database, coop_id: int) -> int:
    """2025's distribution computed, approved by ``VOTE_2025`` and posted (the year is closed); its id."""
    async with db.session() as s:
        draft = await dist_service.compute_draft(s, coop_id, 2025)
        await dist_service.approve(s, draft.id, VOTE_2025, None)
        await dist_service.post_distribution(s, draft.id)
        return draft.id  # type: ignore[return-value]
