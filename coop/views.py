"""How the cooperative's rows are shown to the API: one mapper per answer, by field name, never by position.

A struct whose fields are all attributes of one object is read with ``msgspec.convert(..., from_attributes=True)``;
one that adds a figure or masks a value takes the object's attributes by the struct's own field names and the
rest as keywords (``_shape``), so a field added to the struct cannot silently take its neighbour's value.
"""

from __future__ import annotations

from typing import Any, TypeVar

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from caoyuan.identity import mask_id_number, mask_phone
from coop import schemas as sc
from coop import schemas_books as sb
from coop.models import Member
from coop.rules.chart import CHART
from coop.rules.distribution import Step
from coop.rules.journal import source_label
from coop.services.ledger import EntryPage
from coop.services.statements import statement, steps_of

S = TypeVar("S", bound=msgspec.Struct)


def _shape(struct: type[S], row: Any, **given: Any) -> S:
    """``struct`` from ``row``'s attributes of the same names, except the fields ``given`` here."""
    names = [f.name for f in msgspec.structs.fields(struct)]
    return struct(**{name: given[name] if name in given else getattr(row, name) for name in names})


def member_public(m: Member) -> sc.MemberPublic:
    return _shape(
        sc.MemberPublic,
        m,
        id_number_masked=mask_id_number(m.id_number),
        phone_masked=mask_phone(m.phone) if m.phone else "",
    )


async def distribution_out(db: AsyncSession, d: Any) -> sc.DistributionOut:
    steps = msgspec.convert(await steps_of(db, d.id), list[Step], from_attributes=True)
    return _shape(sc.DistributionOut, d, published=d.published_at is not None, steps=steps)


async def statement_out(db: AsyncSession, distribution_id: int, member_id: int) -> sc.StatementOut:
    st = await statement(db, distribution_id, member_id)
    return _shape(
        sc.StatementOut,
        st.allocation,
        distribution_id=distribution_id,
        year=st.distribution.year,
        member_id=member_id,
        name=st.member.name,
        lines=st.lines,
    )


def page_out(result: EntryPage) -> sb.EntryPageOut:
    """One page of the journal, each entry with its lines and the account names of the chart."""
    entries = [
        _shape(
            sb.JournalEntryOut,
            e,
            source=e.kind,
            source_label=source_label(e.kind),
            total_fen=result.totals.get(e.id, 0),  # type: ignore[arg-type]
            reversed_by_entry_id=result.reversed_by.get(e.id),  # type: ignore[arg-type]
            lines=[
                _shape(
                    sb.JournalLineOut,
                    ln,
                    account_name=CHART[ln.account_code].name if ln.account_code in CHART else ln.account_code,
                )
                for ln in result.lines.get(e.id, [])  # type: ignore[arg-type]
            ],
        )
        for e in result.entries
    ]
    return _shape(sb.EntryPageOut, result, entries=entries)
