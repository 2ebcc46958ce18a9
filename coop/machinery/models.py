"""Machinery tables (prefix ``machinery_``): fleet, prices, bookings, day capacity, ratings.

Areas are int hundredths of a mu, money int fen, rates int basis points, times aware UTC,
working days plain local dates (Asia/Shanghai).
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from caoyuan.db import UTCDateTime, utcnow


class BookingStatus(StrEnum):
    REQUESTED = "requested"
    WAITLISTED = "waitlisted"
    SCHEDULED = "scheduled"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    PAID = "paid"
    CANCELLED = "cancelled"


STATUS_LABELS = {
    "requested": "已申请",
    "waitlisted": "候补中",
    "scheduled": "已排班",
    "in_progress": "作业中",
    "completed": "已完工",
    "paid": "已付款",
    "cancelled": "已取消",
}
OPEN_STATUSES = ("requested", "waitlisted")  # waiting for a slot
HOLDING_STATUSES = ("scheduled", "in_progress")  # hold capacity on an operator-day and a machine-day


class Machine(SQLModel, table=True):
    """A machine of the collective's fleet; its cost, funding and insurance live in the 三资 register."""

    __tablename__ = "machinery_machine"
    __table_args__ = (sa.UniqueConstraint("cooperative_id", "plate"),)

    id: int | None = Field(default=None, primary_key=True)
    cooperative_id: int = Field(foreign_key="coop_cooperative.id", index=True)
    kind: str = Field(max_length=30)  # 玉米收割机 / 拖拉机
    model: str = Field(max_length=60)
    plate: str = Field(max_length=40)  # number plate or serial number
    daily_capacity: int  # hundredths of a mu on flat land per day
    slope_factor_bp: int = Field(default=15000)  # a slope mu weighs 1.5 flat mu by default
    asset_id: int | None = Field(
        default=None, foreign_key="coop_fixed_asset.id", index=True
    )  # cost, funding, insurance
    active: bool = Field(default=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Maintenance(SQLModel, table=True):
    """A machine out of service from starts_on to ends_on (both included)."""

    __tablename__ = "machinery_maintenance"

    id: int | None = Field(default=None, primary_key=True)
    machine_id: int = Field(foreign_key="machinery_machine.id", index=True)
    starts_on: date
    ends_on: date
    note: str = Field(default="", max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Operator(SQLModel, table=True):
    """A villager employed to drive (login role operator), paid per mu or per day."""

    __tablename__ = "machinery_operator"

    id: int | None = Field(default=None, primary_key=True)
    cooperative_id: int = Field(foreign_key="coop_cooperative.id", index=True)
    user_id: int = Field(foreign_key="user_account.id", unique=True)
    name: str = Field(max_length=50)
    machine_id: int | None = Field(default=None, foreign_key="machinery_machine.id")  # usual machine
    daily_capacity: int  # hundredths of a mu the operator cuts in a day
    wage_basis: str = Field(default="mu", max_length=8)  # "mu" | "day"
    wage_rate_fen: int  # per mu, or per working day
    active: bool = Field(default=True)


class ServiceType(SQLModel, table=True):
    __tablename__ = "machinery_service_type"
    __table_args__ = (sa.UniqueConstraint("cooperative_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    cooperative_id: int = Field(foreign_key="coop_cooperative.id", index=True)
    name: str = Field(max_length=30)  # 玉米收割 / 深翻 / 播种
    machine_kind: str = Field(max_length=30)  # which machines do it
    is_corn_harvest: bool = Field(default=False)  # counts towards the mechanised corn share
    active: bool = Field(default=True)  # retired services stay for the bookings that name them


class Manager(SQLModel, table=True):
    """An admin login that keeps one cooperative's fleet: set-up pages and API act on that cooperative only.

    An admin with no row here is the install's own admin (one cooperative per install, the usual case).
    """

    __tablename__ = "machinery_manager"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", unique=True)
    cooperative_id: int = Field(foreign_key="coop_cooperative.id", index=True)


class SeasonPrice(SQLModel, table=True):
    """The market price per mu of a service in one season, and optional fixed prices overriding the rule."""

    __tablename__ = "machinery_season_price"
    __table_args__ = (sa.UniqueConstraint("service_type_id", "season"),)

    id: int | None = Field(default=None, primary_key=True)
    service_type_id: int = Field(foreign_key="machinery_service_type.id", index=True)
    season: int  # year
    market_fen: int
    member_fen: int | None = None  # None: market − the policy's member discount
    non_member_fen: int | None = None


class PricingPolicy(SQLModel, table=True):
    """The charter's machinery rules for one cooperative (defaults: 八道岭村)."""

    __tablename__ = "machinery_policy"

    id: int | None = Field(default=None, primary_key=True)
    cooperative_id: int = Field(foreign_key="coop_cooperative.id", unique=True)
    member_discount_fen: int = Field(default=3000)  # market − 30 元/mu
    non_member_discount_fen: int = Field(default=1000)
    hardship_mode: str = Field(default="reduce", max_length=8)  # "reduce" | "waive"
    hardship_reduction_fen: int = Field(default=2000)
    max_area: int = Field(default=50000)  # hundredths of a mu per booking
    confirm_above_bp: int = Field(default=1000)  # measured > plot by more than this needs the farmer's word
    agent_roles: str = Field(default="admin", max_length=60)  # comma list of roles that book for farmers
    season_starts_on: date | None = None  # start of harvest
    slope_first_days: int = Field(default=7)
    corn_area: int = Field(default=500000)  # the village's corn area, hundredths of a mu
    saving_goal_fen: int = Field(default=10_000_000)
    income_goal_fen: int = Field(default=2_000_000)
    satisfaction_goal_bp: int = Field(default=9500)


class Booking(SQLModel, table=True):
    __tablename__ = "machinery_booking"

    id: int | None = Field(default=None, primary_key=True)
    cooperative_id: int = Field(foreign_key="coop_cooperative.id", index=True)
    service_type_id: int = Field(foreign_key="machinery_service_type.id")
    member_id: int | None = Field(default=None, foreign_key="coop_member.id", index=True)
    farmer_name: str = Field(max_length=50)
    farmer_phone: str = Field(default="", max_length=11)
    hardship: bool = Field(default=False)
    booked_by_user_id: int | None = Field(default=None, foreign_key="user_account.id")
    earliest_on: date
    latest_on: date
    status: str = Field(default=BookingStatus.REQUESTED, max_length=16, index=True)
    flat_area: int  # hundredths of a mu requested
    slope_area: int
    # prices per mu fixed when the request is made
    market_fen: int
    list_fen: int  # member / non-member price before hardship relief
    price_fen: int  # what the farmer pays per mu
    # the slot
    scheduled_on: date | None = Field(default=None, index=True)
    machine_id: int | None = Field(default=None, foreign_key="machinery_machine.id")
    operator_id: int | None = Field(default=None, foreign_key="machinery_operator.id")
    load: int = Field(default=0)  # weighted mu held on the operator-day and machine-day
    # the work
    measured_area: int | None = None
    needs_confirmation: bool = Field(default=False)
    confirmed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    confirmed_by_user_id: int | None = Field(default=None, foreign_key="user_account.id")
    started_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    fuel_centilitres: int | None = None
    # the bill
    amount_fen: int | None = None
    relief_fen: int | None = None
    saving_fen: int | None = None
    paid_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    payment_channel: str = Field(default="", max_length=8)
    entry_id: int | None = None  # the cooperative's journal entry
    splits: dict | None = Field(default=None, sa_type=sa.JSON)  # 六四开 as returned by the posting
    cancel_reason: str = Field(default="", max_length=200)
    cancelled_by: str = Field(default="", max_length=16)  # "farmer" | "collective"
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)


class Plot(SQLModel, table=True):
    __tablename__ = "machinery_plot"

    id: int | None = Field(default=None, primary_key=True)
    booking_id: int = Field(foreign_key="machinery_booking.id", index=True)
    village: str = Field(max_length=50)
    note: str = Field(default="", max_length=100)  # a name or where it is
    area: int  # hundredths of a mu
    slope: bool = Field(default=False)


class OperatorDay(SQLModel, table=True):
    """What one operator can cut on one day, and what is booked. booked ≤ capacity is kept by the database."""

    __tablename__ = "machinery_operator_day"
    __table_args__ = (
        sa.UniqueConstraint("operator_id", "day"),
        sa.CheckConstraint("booked >= 0 AND booked <= capacity", name="within_capacity"),
    )

    id: int | None = Field(default=None, primary_key=True)
    operator_id: int = Field(foreign_key="machinery_operator.id")
    day: date
    capacity: int
    booked: int = Field(default=0)


class MachineDay(SQLModel, table=True):
    __tablename__ = "machinery_machine_day"
    __table_args__ = (
        sa.UniqueConstraint("machine_id", "day"),
        sa.CheckConstraint("booked >= 0 AND booked <= capacity", name="within_capacity"),
    )

    id: int | None = Field(default=None, primary_key=True)
    machine_id: int = Field(foreign_key="machinery_machine.id")
    day: date
    capacity: int
    booked: int = Field(default=0)


class ClosedDay(SQLModel, table=True):
    """A day the whole fleet stands still (rain)."""

    __tablename__ = "machinery_closed_day"
    __table_args__ = (sa.UniqueConstraint("cooperative_id", "day"),)

    id: int | None = Field(default=None, primary_key=True)
    cooperative_id: int = Field(foreign_key="coop_cooperative.id")
    day: date
    reason: str = Field(max_length=100)


class Notice(SQLModel, table=True):
    """A message the farmer sees on their bookings page (rescheduled, cancelled, scheduled)."""

    __tablename__ = "machinery_notice"

    id: int | None = Field(default=None, primary_key=True)
    booking_id: int = Field(foreign_key="machinery_booking.id", index=True)
    text: str = Field(max_length=300)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Wage(SQLModel, table=True):
    """An operator's wage accrued (per job, or once per working day), as posted to the books."""

    __tablename__ = "machinery_wage"

    id: int | None = Field(default=None, primary_key=True)
    operator_id: int = Field(foreign_key="machinery_operator.id", index=True)
    reference: str = Field(max_length=80, unique=True)
    day: date
    amount_fen: int
    booking_id: int | None = Field(default=None, foreign_key="machinery_booking.id")
    entry_id: int | None = None
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Rating(SQLModel, table=True):
    __tablename__ = "machinery_rating"

    id: int | None = Field(default=None, primary_key=True)
    booking_id: int = Field(foreign_key="machinery_booking.id", unique=True)
    score: int
    comment: str = Field(default="", max_length=300)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
