"""Request and response bodies (msgspec). Areas travel as text in 亩 ("3.5"), money as int fen.

Every request field is bounded where it enters (ids to INTEGER, text to its column, days to 2000–2100), so
PostgreSQL never sees a value it would refuse with a 500.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import msgspec
from msgspec import Meta, Struct

from caoyuan.bounds import ID_MAX, Id, Year, check_day

Area = Annotated[str, Meta(max_length=20)]  # 亩 as text, "12.5"
Reason = Annotated[str, Meta(max_length=200)]
Percent = Annotated[int, Meta(ge=0, le=1_000_000)]  # basis points; the service says what is sensible
WageFen = Annotated[int, Meta(ge=0, le=ID_MAX)]  # an INTEGER column
Score = Annotated[int, Meta(ge=-1_000, le=1_000)]  # the service refuses outside 1–5, in words


def _moment_in_range(value: datetime | None, field: str) -> None:
    if value is not None:
        check_day(value.date(), field, "时间")


class PlotIn(Struct):
    village: Annotated[str, Meta(max_length=50)]
    area: Area  # 亩, up to two decimals
    slope: bool = False
    note: Annotated[str, Meta(max_length=100)] = ""


class BookingIn(Struct):
    service_type_id: Id
    plots: Annotated[list[PlotIn], Meta(max_length=100)]  # the service allows 20 and says so
    earliest_on: date
    latest_on: date
    member_id: Id | None = None  # an agent booking for a member household
    farmer_name: Annotated[str, Meta(max_length=50)] = ""  # a non-member farmer (agent only)
    farmer_phone: Annotated[str, Meta(max_length=20)] = ""
    cooperative_id: Id | None = None
    day: date | None = None  # take a slot on this day now (first come), instead of joining the queue
    operator_id: Id | None = None  # agents may name the crew for ``day``
    machine_id: Id | None = None

    def __post_init__(self) -> None:
        check_day(self.earliest_on, "earliest_on")
        check_day(self.latest_on, "latest_on")
        check_day(self.day, "day")


class ScheduleIn(Struct):
    day: date
    operator_id: Id
    machine_id: Id

    def __post_init__(self) -> None:
        check_day(self.day, "day")


class CancelIn(Struct):
    reason: Reason


class CompleteIn(Struct):
    measured_area: Area  # 亩
    started_at: datetime | None = None
    ended_at: datetime | None = None
    fuel_litres: Annotated[str, Meta(max_length=20)] = ""

    def __post_init__(self) -> None:
        _moment_in_range(self.started_at, "started_at")
        _moment_in_range(self.ended_at, "ended_at")


class PayIn(Struct):
    channel: Annotated[str, Meta(max_length=8)] = "cash"


class RatingIn(Struct):
    score: Score
    comment: Annotated[str, Meta(max_length=300)] = ""


class RescheduleIn(Struct):
    reason: Annotated[str, Meta(max_length=100)]  # e.g. 降雨
    cause: Annotated[str, Meta(max_length=16)] = "rain"  # "rain": the whole fleet stands still; "breakdown": one
    machine_id: Id | None = None
    cooperative_id: Id | None = None


class ProposalConfirmIn(Struct):
    day: date
    cooperative_id: Id | None = None

    def __post_init__(self) -> None:
        check_day(self.day, "day")


class MachineIn(Struct):
    kind: Annotated[str, Meta(max_length=30)]
    model: Annotated[str, Meta(max_length=60)]
    plate: Annotated[str, Meta(max_length=40)]
    daily_capacity: Area  # 亩 on flat land per day
    slope_factor_bp: Percent = 15000
    asset_id: Id | None = None
    cooperative_id: Id | None = None


class MaintenanceIn(Struct):
    starts_on: date
    ends_on: date
    note: Annotated[str, Meta(max_length=200)] = ""

    def __post_init__(self) -> None:
        check_day(self.starts_on, "starts_on")
        check_day(self.ends_on, "ends_on")


class OperatorIn(Struct):
    user_id: Id
    daily_capacity: Area  # 亩 per day
    wage_basis: Annotated[str, Meta(max_length=8)]  # "mu" | "day"
    wage_rate_fen: WageFen
    machine_id: Id | None = None
    cooperative_id: Id | None = None


class PriceOut(msgspec.Struct):
    market_fen: int
    list_fen: int
    price_fen: int
    relief_fen: int
    saving_fen: int


class QuoteOut(msgspec.Struct):
    service: str
    member: bool
    hardship: bool
    per_mu: PriceOut
    area: str
    amount_fen: int
    saving_fen: int
    relief_fen: int
    market_amount_fen: int
    earliest_days: list[date]


class PlotOut(msgspec.Struct):
    village: str
    note: str
    area: str
    slope: bool


class BookingOut(msgspec.Struct):
    id: int
    status: str
    status_label: str
    service: str
    farmer_name: str
    farmer_phone_masked: str
    member_id: int | None
    hardship: bool
    plots: list[PlotOut]
    area: str
    earliest_on: date
    latest_on: date
    price_per_mu_fen: int
    market_per_mu_fen: int
    scheduled_on: date | None = None
    operator: str | None = None
    machine: str | None = None
    measured_area: str | None = None
    needs_confirmation: bool = False
    confirmed: bool = False
    amount_fen: int | None = None
    relief_fen: int | None = None
    saving_fen: int | None = None
    payment_channel: str = ""
    entry_id: int | None = None
    splits: dict[str, int] | None = None
    cancel_reason: str = ""
    rating: int | None = None
    notices: list[str] = []
    created_at: datetime | None = None


class SlotOut(msgspec.Struct):
    booking_id: int
    day: date
    operator_id: int
    machine_id: int
    load: str


class ProposalOut(msgspec.Struct):
    day: date
    slots: list[SlotOut]
    unplaced: list[int]


class DashboardOut(msgspec.Struct):
    season: int
    bookings_by_status: dict[str, int]
    saving_fen: int
    saving_goal_fen: int
    income_fen: int
    income_goal_fen: int
    corn_mechanised_bp: int
    corn_area: str
    satisfied_bp: int | None
    ratings: int
    satisfaction_goal_bp: int
    machines: list[dict[str, object]]


# ---------------------------------------------------------------------- set-up (admin): services, prices, rules

Name = Annotated[str, Meta(max_length=30)]
PriceFen = Annotated[int, Meta(ge=-ID_MAX, le=ID_MAX)]  # the service refuses below zero, in words, at the field


class ServiceIn(Struct):
    name: Name
    machine_kind: Name
    is_corn_harvest: bool = False


class ServiceRenameIn(Struct):
    name: Name
    machine_kind: Name | None = None


class ServiceOut(msgspec.Struct):
    id: int
    name: str
    machine_kind: str
    is_corn_harvest: bool
    active: bool


class PriceIn(Struct):
    service_type_id: Id
    season: Year
    market_fen: PriceFen
    member_fen: PriceFen | None = None  # None: market − the charter's member discount
    non_member_fen: PriceFen | None = None


class PriceRowOut(msgspec.Struct):
    service_type_id: int
    service: str
    active: bool
    season: int
    market_fen: int | None
    member_fen: int | None
    non_member_fen: int | None


class PolicyIn(Struct):
    member_discount_fen: PriceFen
    non_member_discount_fen: PriceFen
    hardship_mode: Annotated[str, Meta(max_length=8)]  # "reduce" | "waive"
    hardship_reduction_fen: PriceFen
    max_area: Area  # 亩 per booking
    season_starts_on: date | None = None  # the harvest's first day; None leaves it as it is

    def __post_init__(self) -> None:
        check_day(self.season_starts_on, "season_starts_on")


class PolicyOut(msgspec.Struct):
    member_discount_fen: int
    non_member_discount_fen: int
    hardship_mode: str
    hardship_reduction_fen: int
    max_area: str
    season_starts_on: date | None = None


class OperatorNewIn(Struct):
    """A new operator: either an existing operator login (user_id) or a new one (phone, name, password)."""

    daily_capacity: Area
    wage_basis: Annotated[str, Meta(max_length=8)]
    wage_rate_fen: PriceFen
    user_id: Id | None = None
    phone: Annotated[str, Meta(max_length=20)] = ""
    name: Annotated[str, Meta(max_length=50)] = ""
    password: Annotated[str, Meta(max_length=128)] = ""
    machine_id: Id | None = None
    cooperative_id: Id | None = None  # only the caller's own (a fleet manager's is fixed)


class OperatorEditIn(Struct):
    daily_capacity: Area
    wage_basis: Annotated[str, Meta(max_length=8)]
    wage_rate_fen: PriceFen
    machine_id: Id | None = None
    name: Annotated[str, Meta(max_length=50)] | None = None


class OperatorOut(msgspec.Struct):
    id: int
    user_id: int
    name: str
    phone_masked: str
    machine_id: int | None
    daily_capacity: str
    wage_basis: str
    wage_rate_fen: int
    active: bool


class MachineEditIn(Struct):
    kind: Annotated[str, Meta(max_length=30)]
    model: Annotated[str, Meta(max_length=60)]
    plate: Annotated[str, Meta(max_length=40)]
    daily_capacity: Area
    slope_factor_bp: Percent = 15000
    asset_id: Id | None = None


class MachineOut(msgspec.Struct):
    id: int
    kind: str
    model: str
    plate: str
    daily_capacity: str
    slope_factor_bp: int
    asset_id: int | None
    active: bool


class ActiveIn(Struct):
    active: bool
