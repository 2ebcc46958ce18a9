"""Factories for tests (ours and other domains'): a cooperative with member households in one call."""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from caoyuan.identity import id_check_char
from coop.models import Cooperative, CoopKind, Member, MemberStatusChange


def fake_id_number(seq: int, birth: str = "19800101", region: str = "150426") -> str:
    """A checksummed, made-up resident ID number."""
    first17 = f"{region}{birth}{seq % 1000:03d}"
    return first17 + id_check_char(first17)


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
        Member(
            cooperative_id=coop.id,
            member_no=n,
            name=f"社员{n}",
            id_number=fake_id_number(n),  # type: ignore[arg-type]
            phone=f"135{n:08d}",
            village="白音套海嘎查",
            group_name="一组",
            status_since=joined,
            user_id=(user_ids or {}).get(n),
        )
        for n in range(1, members + 1)
    ]
    db.add_all(people)
    await db.flush()
    db.add_all(
        [
            MemberStatusChange(member_id=m.id, status="admitted", effective_on=joined, reason="入社")  # type: ignore[arg-type]
            for m in people
        ]
    )
    await db.flush()
    return coop, people
