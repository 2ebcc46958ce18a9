"""The yearly distribution as a pipeline of charter-configured steps (pure; columns, not objects, so
100,000 members stay fast). Every split sums exactly to its pool; ties go to the lower member number.

农民专业合作社 (art. 44): surplus → cover losses → [六四开 pool] → 公积金 → distributable →
    ≥ 60 % by transaction volume, the rest by capital + quantified reserve + quantified subsidies.
股份经济合作社: surplus → cover losses → [六四开 pool] → 公积公益金 → 集体股 (if any) → the rest by shares.

Order of the 六四开 pool and the reserve (charter term ``reserve_before_pool``): by default the machinery
net earnings leave the surplus first (八道岭村's rule: machinery earnings go 60 % to development and 40 % to
assistance, none of it to dividends), and the reserve is drawn on what remains — otherwise the members'
dividends would pay the reserve on machinery earnings they never receive (八道岭村 2025: ¥6,391.50). A
charter that wants the reserve drawn on the whole surplus first sets ``reserve_before_pool``; the steps
(and so the statement) show the order applied. No article found by search fixes this order; it follows
the GUIDE's reading (the 六四开 is a charter rule on that income pool) and the charter.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from caoyuan.money import BP_WHOLE, allocate, apply_bp, format_bp
from coop.rules.allocation import split_columns
from coop.rules.capital import BASES
from coop.rules.charter import MIN_PATRONAGE_BP, Terms


class DistributionError(ValueError):
    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass
class Members:
    """One entry per member, in member-number order (the tie-break)."""

    ids: list[int] = field(default_factory=list)
    nos: list[int] = field(default_factory=list)
    volume: list[int] = field(default_factory=list)  # this year's transaction volume (fen, ≥ 0)
    capital: list[int] = field(default_factory=list)  # paid-in capital (fen)
    reserve_base: list[int] = field(default_factory=list)  # reserve quantified in earlier years
    subsidy: list[int] = field(default_factory=list)  # quantified subsidies and donations
    shares: list[int] = field(default_factory=list)
    # capital and shares as the charter's capital_basis counts them (coop.rules.capital); empty = as held
    capital_counted: list[int] = field(default_factory=list)
    shares_counted: list[int] = field(default_factory=list)
    member_days: list[int] = field(default_factory=list)  # days of the year each household was a member
    scale: int = 1  # reserve and subsidy × scale share the counted capital's units (days of the year, or 1)

    def __len__(self) -> int:
        return len(self.ids)

    def remainder_weights(self) -> list[int]:
        capital = self.capital_counted or self.capital
        k = self.scale
        return [a + (b + c) * k for a, b, c in zip(capital, self.reserve_base, self.subsidy, strict=True)]

    def share_weights(self) -> list[int]:
        return self.shares_counted or self.shares


@dataclass(frozen=True, slots=True)
class Step:
    code: str
    label: str
    base_fen: int
    rate_bp: int | None
    amount_fen: int
    explanation: str


@dataclass
class Plan:
    policy: str
    surplus: int = 0
    loss_cover: int = 0
    reserve: int = 0
    pool_development: int = 0
    pool_assistance: int = 0
    distributable: int = 0
    patronage: int = 0
    remainder: int = 0
    collective: int = 0
    volume_total: int = 0
    weight_total: int = 0
    steps: list[Step] = field(default_factory=list)
    patronage_parts: list[int] = field(default_factory=list)
    patronage_adj: list[int] = field(default_factory=list)
    remainder_parts: list[int] = field(default_factory=list)
    remainder_adj: list[int] = field(default_factory=list)
    reserve_parts: list[int] = field(default_factory=list)
    reserve_adj: list[int] = field(default_factory=list)

    @property
    def paid_out(self) -> int:
        return self.patronage + self.remainder


def _fen(x: int) -> str:
    sign = "-" if x < 0 else ""
    return f"{sign}¥{abs(x) // 100:,}.{abs(x) % 100:02d}"


def check_policy(terms: Terms) -> None:
    if terms.policy == "farmer" and terms.patronage_rate_bp < MIN_PATRONAGE_BP:
        raise DistributionError(
            "按交易量返还不得低于可分配盈余的 60%（农民专业合作社法第四十四条），"
            f"章程中为 {format_bp(terms.patronage_rate_bp)}",
            "patronage_rate_bp",
        )
    if terms.policy not in ("farmer", "shareholding"):
        raise DistributionError("章程的分配方式不明", "policy")


def _split_column(pool: int, nos: list[int], weights: list[int]) -> tuple[list[int], list[int]]:
    n = len(nos)
    if pool == 0 or n == 0:
        return [0] * n, [0] * n
    result = split_columns(pool, nos, weights)
    return result.parts, result.adjustments


def plan(terms: Terms, surplus: int, prior_loss: int, machinery_income: int, members: Members) -> Plan:
    """Run the pipeline. ``prior_loss`` ≥ 0 is the deficit carried from earlier years; ``machinery_income``
    is the year's machinery net earnings (the pool split 六四开 when the charter says so)."""
    check_policy(terms)
    p = Plan(terms.policy, surplus=surplus)
    n = len(members)
    zero = [0] * n
    p.patronage_parts, p.patronage_adj, p.remainder_parts, p.remainder_adj = zero, zero, zero, zero
    p.reserve_parts, p.reserve_adj = zero, zero
    p.volume_total = sum(members.volume)
    p.weight_total = (
        sum(members.share_weights()) if terms.policy == "shareholding" else sum(members.remainder_weights())
    )
    p.steps.append(
        Step(
            "surplus",
            "本年盈余",
            surplus,
            None,
            surplus,
            f"本年收入减支出，盈余 {_fen(surplus)}" if surplus >= 0 else f"本年亏损 {_fen(-surplus)}，结转下年弥补",
        )
    )
    if surplus <= 0:
        return p
    left = surplus
    p.loss_cover = min(left, max(prior_loss, 0))
    left -= p.loss_cover
    p.steps.append(
        Step(
            "loss_cover",
            "弥补以前年度亏损",
            surplus,
            None,
            p.loss_cover,
            f"以前年度亏损 {_fen(prior_loss)}，本年弥补 {_fen(p.loss_cover)}",
        )
    )
    if terms.reserve_before_pool:
        left = _draw_reserve(p, terms, left)
        left = _split_pool(p, terms, machinery_income, left)
    else:
        left = _split_pool(p, terms, machinery_income, left)
        left = _draw_reserve(p, terms, left)
    p.distributable = left
    p.steps.append(Step("distributable", "可分配盈余", left, None, left, f"可分配给成员的盈余 {_fen(left)}"))
    if terms.policy == "farmer":
        _farmer(p, terms, members)
    else:
        _shareholding(p, terms, members)
    _quantify_reserve(p, terms, members)
    return p


def _draw_reserve(p: Plan, terms: Terms, left: int) -> int:
    p.reserve = apply_bp(left, terms.reserve_rate_bp)
    reserve_name = "提取公积公益金" if terms.policy == "shareholding" else "提取公积金"
    whole = "（含农机收入，章程规定先提取）" if terms.split_machinery_pool and terms.reserve_before_pool else ""
    after = "（已扣除单列的农机收入）" if terms.split_machinery_pool and not terms.reserve_before_pool else ""
    p.steps.append(
        Step(
            "reserve",
            reserve_name,
            left,
            terms.reserve_rate_bp,
            p.reserve,
            f"按章程从 {_fen(left)}{whole or after} 中提取 {format_bp(terms.reserve_rate_bp)}",
        )
    )
    return left - p.reserve


def _split_pool(p: Plan, terms: Terms, machinery_income: int, left: int) -> int:
    if not (terms.split_machinery_pool and machinery_income > 0):
        return left
    pool = min(machinery_income, left)
    parts = allocate(pool, {"development": terms.machinery_development_bp, "assistance": terms.machinery_assistance_bp})
    p.pool_development, p.pool_assistance = parts["development"], parts["assistance"]
    order = "，已按章程先提取公积金" if terms.reserve_before_pool else "，先于提取公积金单列，不负担公积金"
    p.steps.append(
        Step(
            "pool_split",
            "农机收入“六四开”",
            pool,
            terms.machinery_development_bp,
            pool,
            f"农机作业净收益 {_fen(pool)}：{format_bp(terms.machinery_development_bp)} 滚动发展 "
            f"{_fen(p.pool_development)}，{format_bp(terms.machinery_assistance_bp)} 帮扶村民 "
            f"{_fen(p.pool_assistance)}，均不参与分红{order}",
        )
    )
    return left - pool


def _farmer(p: Plan, terms: Terms, members: Members) -> None:
    # The rounding fen goes to the volume side, so it is never below the charter's (legal) share.
    p.remainder = apply_bp(p.distributable, BP_WHOLE - terms.patronage_rate_bp)
    p.patronage = p.distributable - p.remainder
    if p.patronage and p.volume_total <= 0:
        raise DistributionError("本年度没有社员交易量，无法按交易量返还；请先核实交易记录", "year")
    weights = members.remainder_weights()
    if p.remainder and p.weight_total <= 0:
        raise DistributionError("社员没有出资、公积金量化或补助量化，剩余盈余无法按出资分配", "year")
    p.patronage_parts, p.patronage_adj = _split_column(p.patronage, members.nos, members.volume)
    p.remainder_parts, p.remainder_adj = _split_column(p.remainder, members.nos, weights)
    p.steps.append(
        Step(
            "patronage",
            "按交易量返还",
            p.distributable,
            terms.patronage_rate_bp,
            p.patronage,
            f"可分配盈余的 {format_bp(terms.patronage_rate_bp)} 按各户交易额占全社 {_fen(p.volume_total)} "
            "的比例返还（不低于 60%）",
        )
    )
    p.steps.append(
        Step(
            "remainder",
            "按出资额等分配",
            p.distributable,
            BP_WHOLE - terms.patronage_rate_bp,
            p.remainder,
            f"其余按各户出资额、公积金量化份额与补助量化份额之和占全社 {_fen(p.weight_total // members.scale)}"
            f"{'（折合全年）' if members.scale > 1 else ''} 的比例分配；出资{BASES[terms.capital_basis]}",
        )
    )


def _shareholding(p: Plan, terms: Terms, members: Members) -> None:
    parts = allocate(p.distributable, {"collective": terms.collective_share_bp, "members": terms.member_share_bp})
    p.collective, p.remainder = parts["collective"], parts["members"]
    if p.remainder and p.weight_total <= 0:
        raise DistributionError("社员名下没有股份，无法按股分红", "year")
    p.remainder_parts, p.remainder_adj = _split_column(p.remainder, members.nos, members.share_weights())
    if p.collective:
        p.steps.append(
            Step(
                "collective",
                "集体股分红",
                p.distributable,
                terms.collective_share_bp,
                p.collective,
                f"集体股占 {format_bp(terms.collective_share_bp)}，留归村集体",
            )
        )
    p.steps.append(
        Step(
            "by_shares",
            "按股分红",
            p.distributable,
            terms.member_share_bp,
            p.remainder,
            f"成员股分红按各户股数占全社 {p.weight_total // members.scale:,} 股"
            f"{'（折合全年）' if members.scale > 1 else ''}的比例分配；股份{BASES[terms.capital_basis]}",
        )
    )


def _quantify_reserve(p: Plan, terms: Terms, members: Members) -> None:
    """Art. 42: the year's 公积金 is quantified to the members, here in proportion to what each receives."""
    if terms.policy != "farmer" or not p.reserve:
        return
    received = [a + b for a, b in zip(p.patronage_parts, p.remainder_parts, strict=True)]
    if not any(received):
        return
    p.reserve_parts, p.reserve_adj = _split_column(p.reserve, members.nos, received)
    p.steps.append(
        Step(
            "reserve_quantified",
            "公积金量化到成员账户",
            p.reserve,
            None,
            p.reserve,
            "本年提取的公积金按各户本年分配额的比例记入成员账户（不发放现金）",
        )
    )
