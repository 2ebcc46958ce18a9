"""Request and response bodies (msgspec). Money is int fen, areas int hundredths of a mu, rates int bp."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import msgspec
from msgspec import Meta

from caoyuan.bounds import FEN_MAX, Count, Fen, Id, Year, require_day_in_range
from coop.rules.charter import CHARTER_FEN_MAX, LOCK_MONTHS_MAX, REPRESENTATIVES_MAX
from coop.rules.distribution import Step
from coop.rules.members import HOUSEHOLD_MAX, HOUSEHOLD_MIN

# text as long as the column it lands in
Text16 = Annotated[str, Meta(max_length=16)]
Text20 = Annotated[str, Meta(max_length=20)]
Text50 = Annotated[str, Meta(max_length=50)]
Text100 = Annotated[str, Meta(max_length=100)]
Text200 = Annotated[str, Meta(max_length=200)]
CharterFen = Annotated[int, Meta(ge=0, le=CHARTER_FEN_MAX)]
# signed where the service has a Chinese word for the wrong sign ("金额必须大于零")
SignedFen = Annotated[int, Meta(ge=-FEN_MAX, le=FEN_MAX)]
Bp = Annotated[int, Meta(ge=0, le=10_000)]  # basis points, 0–100 %
Area = Annotated[int, Meta(ge=-100_000_000, le=100_000_000)]  # hundredths of a mu: up to a million mu
MemberNo = Annotated[int, Meta(ge=1, le=999_999)]
HouseholdSize = Annotated[int, Meta(ge=HOUSEHOLD_MIN, le=HOUSEHOLD_MAX)]


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
    name: Text50
    id_number: Annotated[str, Meta(max_length=30)]  # normalised (spaces, lower-case x) to 18 characters
    village: Text50
    member_no: MemberNo | None = None
    phone: Annotated[str, Meta(max_length=20)] = ""
    group_name: Text50 = ""
    household_size: HouseholdSize = 1
    hardship: bool = False
    joined_on: date | None = None
    user_id: Id | None = None

    def __post_init__(self) -> None:
        require_day_in_range(self.joined_on, "入社日期")


class StatusIn(msgspec.Struct):
    status: Text16  # admitted | suspended | withdrawn | deceased
    effective_on: date
    reason: Text200
    heir_member_id: Id | None = None

    def __post_init__(self) -> None:
        require_day_in_range(self.effective_on, "生效日期")


class ContributionIn(msgspec.Struct):
    """A contribution as the API receives it and the service records it (the demo builds them too)."""

    member_id: Id
    kind: Text16  # land | cash | asset | labour
    contributed_on: date
    amount_fen: SignedFen | None = None
    area_hundredths: Area | None = None
    plot: Text100 = ""
    term_from: date | None = None
    term_to: date | None = None
    labour_days: Annotated[int, Meta(ge=-36_600, le=36_600)] | None = None
    asset_name: Text100 = ""
    asset_category: Text20 = "equipment"
    appraiser: Text100 = ""
    channel: Text16 = "cash"
    note: Text200 = ""

    def __post_init__(self) -> None:
        require_day_in_range(self.contributed_on, "入股日期")
        require_day_in_range(self.term_from, "经营期起")
        require_day_in_range(self.term_to, "经营期止")


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
    from_member_id: Id
    to_member_id: Id
    shares: Count
    effective_on: date
    reason: Text200 = "转让"

    def __post_init__(self) -> None:
        require_day_in_range(self.effective_on, "生效日期")


class RedeemIn(msgspec.Struct):
    member_id: Id
    shares: Count
    effective_on: date
    channel: Text16 = "cash"
    reason: Text200 = "退股"

    def __post_init__(self) -> None:
        require_day_in_range(self.effective_on, "生效日期")


class OperationOut(msgspec.Struct):
    number: int


class CharterIn(msgspec.Struct):
    effective_on: date
    share_price_fen: CharterFen
    land_value_per_mu_fen: CharterFen
    labour_value_per_day_fen: CharterFen
    reserve_rate_bp: Bp
    policy: Text16
    patronage_rate_bp: Bp
    live_sale_commission_bp: Bp
    machinery_development_bp: Bp = 6000
    member_share_bp: Bp = 10000
    collective_share_bp: Bp = 0
    redemption_allowed: bool = True
    redemption_lock_months: Annotated[int, Meta(ge=0, le=LOCK_MONTHS_MAX)] = 12
    split_machinery_pool: bool = False
    capital_basis: Text16 = "record_date"  # or "days_held": coop.rules.capital
    representatives: Annotated[int, Meta(ge=0, le=REPRESENTATIVES_MAX)] = 0  # 0: 成员大会 approves
    reserve_before_pool: bool = False  # the 六四开 pool leaves the surplus before the reserve unless set
    note: Annotated[str, Meta(max_length=500)] = ""

    def __post_init__(self) -> None:
        require_day_in_range(self.effective_on, "生效日期")


class CharterOut(msgspec.Struct):
    id: int
    effective_on: date
    policy: str
    patronage_rate_bp: int


class LineIn(msgspec.Struct):
    account_code: Annotated[str, Meta(max_length=8)]
    debit_fen: Fen = 0
    credit_fen: Fen = 0
    member_id: Id | None = None
    fund: Text16 = ""  # "machinery" marks a cost of the machinery business (the 六四开 pool is net of it)
    memo: Text200 = ""


class EntryIn(msgspec.Struct):
    entry_date: date
    description: Annotated[str, Meta(max_length=300)]
    lines: Annotated[list[LineIn], Meta(max_length=500)]

    def __post_init__(self) -> None:
        require_day_in_range(self.entry_date, "凭证日期")


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


class StatementLineOut(msgspec.Struct):
    label: str
    amount_fen: int
    total: bool


class CollectiveReportOut(msgspec.Struct):
    """A 股份经济合作社's 收益及收益分配表 (财会〔2023〕14号)."""

    title: str
    lines: list[StatementLineOut]


class BalanceSheetOut(msgspec.Struct):
    assets: list[ReportRow]
    liabilities: list[ReportRow]
    equity: list[ReportRow]
    assets_fen: int
    liabilities_fen: int
    equity_fen: int
    balanced: bool


class DistributionIn(msgspec.Struct):
    year: Year


Ballots = Annotated[list[MemberNo], Meta(max_length=100_000)]


class ApproveIn(msgspec.Struct):
    """The assembly's vote by member number; the number entitled to vote comes from the register that day."""

    assembly_on: date
    votes_for: Ballots
    votes_against: Ballots = msgspec.field(default_factory=list)
    votes_abstain: Ballots = msgspec.field(default_factory=list)

    def __post_init__(self) -> None:
        require_day_in_range(self.assembly_on, "成员大会日期")


class ReverseIn(msgspec.Struct):
    reason: Text200


class PayIn(msgspec.Struct):
    member_id: Id
    channel: Text16
    paid_on: date | None = None  # None: today, on Beijing's calendar

    def __post_init__(self) -> None:
        require_day_in_range(self.paid_on, "发放日期")


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
    steps: list[Step]  # the rules' own step record


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


class FoundingIn(msgspec.Struct, forbid_unknown_fields=True):
    """A new cooperative as its business licence reads, and its first charter (coop.services.founding)."""

    name: Text100
    kind: Text16  # "farmer" (农民专业合作社) or "shareholding" (股份经济合作社)
    banner: Text50
    village: Text50
    credit_code: Annotated[str, Meta(max_length=40)]  # 18 characters once spaces are dropped
    registered_on: date
    legal_representative: Text50
    charter: CharterIn  # its effective_on is the day the first charter takes force
    town: Text50 = ""

    def __post_init__(self) -> None:
        require_day_in_range(self.registered_on, "登记日期")


class CooperativeOut(msgspec.Struct):
    id: int
    name: str
    kind: str
    credit_code: str
    charter_id: int
