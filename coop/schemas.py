"""Request and response bodies (msgspec). Money is int fen, areas int hundredths of a mu, rates int bp."""

from __future__ import annotations

from datetime import date

import msgspec


class MemberPublic(msgspec.Struct):
    """A member as shown to the member themself or the accountant: the ID number is masked."""

    id: int
    member_no: int
    name: str
    id_number_masked: str
    phone_masked: str
    village: str
    group_name: str
    household_size: int
    hardship: bool
    status: str


class MemberIn(msgspec.Struct):
    name: str
    id_number: str
    village: str
    member_no: int | None = None
    phone: str = ""
    group_name: str = ""
    household_size: int = 1
    hardship: bool = False
    joined_on: date | None = None
    user_id: int | None = None


class StatusIn(msgspec.Struct):
    status: str  # admitted | suspended | withdrawn | deceased
    effective_on: date
    reason: str
    heir_member_id: int | None = None


class ContributionBody(msgspec.Struct):
    member_id: int
    kind: str  # land | cash | asset | labour
    contributed_on: date
    amount_fen: int | None = None
    area_hundredths: int | None = None
    plot: str = ""
    term_from: date | None = None
    term_to: date | None = None
    labour_days: int | None = None
    asset_name: str = ""
    asset_category: str = "equipment"
    appraiser: str = ""
    channel: str = "cash"
    note: str = ""


class ContributionOut(msgspec.Struct):
    id: int
    member_id: int
    kind: str
    value_fen: int
    shares: int
    share_value_fen: int
    capital_reserve_fen: int
    entry_id: int


class TransferIn(msgspec.Struct):
    from_member_id: int
    to_member_id: int
    shares: int
    effective_on: date
    reason: str = "转让"


class RedeemIn(msgspec.Struct):
    member_id: int
    shares: int
    effective_on: date
    channel: str = "cash"
    reason: str = "退股"


class OperationOut(msgspec.Struct):
    number: int


class CharterIn(msgspec.Struct):
    effective_on: date
    share_price_fen: int
    land_value_per_mu_fen: int
    labour_value_per_day_fen: int
    reserve_rate_bp: int
    policy: str
    patronage_rate_bp: int
    live_sale_commission_bp: int
    machinery_development_bp: int = 6000
    member_share_bp: int = 10000
    collective_share_bp: int = 0
    redemption_allowed: bool = True
    redemption_lock_months: int = 12
    split_machinery_pool: bool = False
    note: str = ""


class CharterOut(msgspec.Struct):
    id: int
    effective_on: date
    policy: str
    patronage_rate_bp: int


class LineIn(msgspec.Struct):
    account_code: str
    debit_fen: int = 0
    credit_fen: int = 0
    member_id: int | None = None
    fund: str = ""  # "machinery" marks a cost of the machinery business (the 六四开 pool is net of it)
    memo: str = ""


class EntryIn(msgspec.Struct):
    entry_date: date
    description: str
    lines: list[LineIn]


class EntryOut(msgspec.Struct):
    id: int
    entry_date: date
    kind: str


class ReportRow(msgspec.Struct):
    code: str
    name: str
    amount_fen: int


class TrialRowOut(msgspec.Struct):
    code: str
    name: str
    opening_fen: int
    debit_fen: int
    credit_fen: int
    closing_fen: int


class IncomeStatementOut(msgspec.Struct):
    income: list[ReportRow]
    expenses: list[ReportRow]
    income_fen: int
    expenses_fen: int
    surplus_fen: int
    member_income_fen: int
    non_member_income_fen: int


class BalanceSheetOut(msgspec.Struct):
    assets: list[ReportRow]
    liabilities: list[ReportRow]
    equity: list[ReportRow]
    assets_fen: int
    liabilities_fen: int
    equity_fen: int
    balanced: bool


class DistributionIn(msgspec.Struct):
    year: int


class ApproveIn(msgspec.Struct):
    assembly_on: date
    members_total: int
    attendance: int
    votes_for: int
    votes_against: int
    votes_abstain: int = 0


class ReverseIn(msgspec.Struct):
    reason: str


class PayIn(msgspec.Struct):
    member_id: int
    channel: str
    paid_on: date


class StepOut(msgspec.Struct):
    code: str
    label: str
    base_fen: int
    rate_bp: int | None
    amount_fen: int
    explanation: str


class DistributionOut(msgspec.Struct):
    id: int
    cooperative_id: int
    year: int
    state: str
    policy: str
    surplus_fen: int
    reserve_fen: int
    distributable_fen: int
    patronage_fen: int
    remainder_fen: int
    collective_fen: int
    members_count: int
    published: bool
    reverses_distribution_id: int | None
    steps: list[StepOut]


class StatementOut(msgspec.Struct):
    distribution_id: int
    year: int
    member_id: int
    member_no: int
    name: str
    volume_fen: int
    patronage_fen: int
    remainder_fen: int
    reserve_share_fen: int
    total_fen: int
    paid_on: date | None
    lines: list[str]


class AccountOut(msgspec.Struct):
    member_id: int
    shares: int
    capital_fen: int
    reserve_share_fen: int
    subsidy_share_fen: int
    volume_by_year: dict[int, dict[str, int]]
    dividends_by_year: dict[int, dict[str, int]]
