"""Everything a year's distribution is computed from, read once, and a fingerprint of it per kind of input.

A draft stores the fingerprint it was computed from; approving or posting it recomputes the fingerprint
and refuses if anything changed since (a share transfer, an entry in the year, a member's status, the
charter…), naming what changed, so the assembly never approves — and the books never post — figures that
no longer follow from the register and the ledger (issue 10 item 7)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import astuple, dataclass
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from caoyuan.errors import BadInput
from coop.rules import chart as c
from coop.rules.charter import Terms
from coop.rules.distribution import Members
from coop.services.charter import charter_in_force, terms_of

FLOW_KINDS = (c.AccountKind.INCOME, c.AccountKind.EXPENSE)
# component → what a person calls it, in the order a message lists them
COMPONENTS = {
    "charter": "章程",
    "ledger": "本年账目（凭证）",
    "shares": "股份（出资）登记",
    "members": "成员身份（入社、退社、去世等）",
    "volume": "成员交易量",
    "accounts": "成员账户中的公积金、补助量化",
}


@dataclass
class Inputs:
    charter_id: int
    terms: Terms
    surplus: int
    prior_loss: int
    machinery: int
    sums: dict[str, tuple[int, int]]
    members: Members

    def fingerprint(self) -> dict[str, str]:
        m = self.members
        # the year's income and expense accounts (what the surplus and the closing entry are made of); a
        # transfer between balance-sheet accounts changes neither
        flows = sorted((code, v) for code, v in self.sums.items() if c.account(code).kind in FLOW_KINDS)
        full_year = max(m.member_days, default=0)

        def per_member(*columns: list[int]) -> list:
            """(member id, values) of the members with any non-zero value: one household's change is
            its component's change only."""
            return [(i, *vals) for i, *vals in zip(m.ids, *columns, strict=True) if any(vals)]

        parts = {
            "charter": (self.charter_id, astuple(self.terms)),
            "ledger": (self.surplus, self.prior_loss, self.machinery, flows),
            "shares": per_member(
                m.capital, m.shares, m.capital_counted or [0] * len(m), m.shares_counted or [0] * len(m)
            ),
            "members": [(i, d) for i, d in zip(m.ids, m.member_days, strict=True) if d != full_year],
            "volume": per_member(m.volume),
            "accounts": per_member(m.reserve_base, m.subsidy),
        }
        return {name: _digest(value) for name, value in parts.items()}


def _digest(value: object) -> str:
    text = json.dumps(value, default=str, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def encode(fingerprint: dict[str, str]) -> str:
    return json.dumps(fingerprint, sort_keys=True, separators=(",", ":"))


def changed(stored: str, now: dict[str, str]) -> list[str]:
    """The names (in Chinese) of the inputs that differ; every one when the draft has no fingerprint."""
    try:
        old = json.loads(stored) if stored else {}
    except ValueError:
        old = {}
    return [label for name, label in COMPONENTS.items() if old.get(name) != now.get(name)]


async def gather(db: AsyncSession, cooperative_id: int, year: int) -> Inputs:
    # imported here: compute imports this module, and member_weights lives there
    from coop.services.distribution.common import year_figures
    from coop.services.distribution.compute import member_weights

    charter = await charter_in_force(db, cooperative_id, date(year, 12, 31))
    if charter is None:
        raise BadInput(f"{year} 年末没有生效的章程，请先登记章程（股金、提取比例、分配方式）", field="year")
    terms = terms_of(charter)
    surplus, prior_loss, machinery, sums = await year_figures(db, cooperative_id, year)
    members = await member_weights(db, cooperative_id, year, terms.capital_basis, terms.policy)
    return Inputs(charter.id, terms, surplus, prior_loss, machinery, sums, members)  # type: ignore[arg-type]


async def stale_inputs(db: AsyncSession, cooperative_id: int, year: int, stored: str) -> list[str]:
    """What changed since the draft was computed (empty: nothing)."""
    return changed(stored, (await gather(db, cooperative_id, year)).fingerprint())
