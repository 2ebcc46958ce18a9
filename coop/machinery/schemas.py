"""Request and response bodies (msgspec). Areas travel as text in 亩 ("3.5"), money as int fen."""

from __future__ import annotations

from datetime import date, datetime

import msgspec


class PlotIn(msgspec.Struct):
    village: str
    area: str  # 亩, up to two decimals
    slope: bool = False
    note: str = ""


class BookingIn(msgspec.Struct):
    service_type_id: int
    plots: list[PlotIn]
    earliest_on: date
    latest_on: date
    member_id: int | None = None  # an agent booking for a member household
    farmer_name: str = ""  # a non-member farmer (agent only)
    farmer_phone: str = ""
    cooperative_id: int | None = None
    day: date | None = None  # take a slot on this day now (first come), instead of joining the queue
    operator_id: int | None = None  # agents may name the crew for ``day``
    machine_id: int | None = None


class ScheduleIn(msgspec.Struct):
    day: date
    operator_id: int
    machine_id: int


class CancelIn(msgspec.Struct):
    reason: str


class CompleteIn(msgspec.Struct):
    measured_area: str  # 亩
    started_at: datetime | None = None
    ended_at: datetime | None = None
    fuel_litres: str = ""


class PayIn(msgspec.Struct):
    channel: str = "cash"


class RatingIn(msgspec.Struct):
    score: int
    comment: str = ""


class RescheduleIn(msgspec.Struct):
    reason: str  # e.g. 降雨
    cause: str = "rain"  # "rain": the whole fleet stands still; "breakdown": one machine
    machine_id: int | None = None
    cooperative_id: int | None = None


class ProposalConfirmIn(msgspec.Struct):
    day: date
    cooperative_id: int | None = None


class MachineIn(msgspec.Struct):
    kind: str
    model: str
    plate: str
    daily_capacity: str  # 亩 on flat land per day
    slope_factor_bp: int = 15000
    asset_id: int | None = None
    cooperative_id: int | None = None


class MaintenanceIn(msgspec.Struct):
    starts_on: date
    ends_on: date
    note: str = ""


class OperatorIn(msgspec.Struct):
    user_id: int
    daily_capacity: str  # 亩 per day
    wage_basis: str  # "mu" | "day"
    wage_rate_fen: int
    machine_id: int | None = None
    cooperative_id: int | None = None


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
