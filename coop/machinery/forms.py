"""The machinery pages' forms as typed structs (see caoyuan.web.forms): bounded like the API's bodies.

A refusal names its field, so the page shows the message at the input and keeps what was typed.
"""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Annotated

from msgspec import Meta, Struct

from caoyuan import clock
from caoyuan.area import AreaError, parse_mu
from caoyuan.bounds import Id, Year, check_day
from caoyuan.errors import BadInput
from caoyuan.money import MoneyError, parse_fen
from coop.machinery.schemas import BookingIn, PlotIn

Area = Annotated[str, Meta(max_length=20)]
Village = Annotated[str, Meta(max_length=50)]
Note = Annotated[str, Meta(max_length=100)]
Flag = Annotated[str, Meta(max_length=8)]
Back = Annotated[str, Meta(max_length=300)]
Clock = Annotated[str, Meta(max_length=8)]
DEFAULT_VILLAGE = "八道岭村"


class BookingForm(Struct):
    """/machinery/book and /machinery/quote: up to three plots (area0…area2) and the window."""

    service_type_id: Id
    area0: Area = ""
    village0: Village = ""
    note0: Note = ""
    slope0: Flag = ""
    area1: Area = ""
    village1: Village = ""
    note1: Note = ""
    slope1: Flag = ""
    area2: Area = ""
    village2: Village = ""
    note2: Note = ""
    slope2: Flag = ""
    earliest_on: date | None = None
    latest_on: date | None = None
    member_id: Id | None = None
    farmer_name: Annotated[str, Meta(max_length=50)] = ""
    farmer_phone: Annotated[str, Meta(max_length=20)] = ""
    day: date | None = None

    def __post_init__(self) -> None:
        for name in ("earliest_on", "latest_on", "day"):
            check_day(getattr(self, name), name)

    def plots(self) -> list[PlotIn]:
        rows = [
            (
                getattr(self, f"area{n}"),
                getattr(self, f"village{n}"),
                getattr(self, f"note{n}"),
                getattr(self, f"slope{n}"),
            )
            for n in range(3)
        ]
        return [
            PlotIn(village or DEFAULT_VILLAGE, area, slope in ("1", "on", "true"), note)
            for area, village, note, slope in rows
            if area
        ]

    def booking(self) -> BookingIn:
        plots = self.plots()
        if not plots:
            raise BadInput("请至少填写一块地的面积", field="area0")
        today = clock.today()
        return BookingIn(
            service_type_id=self.service_type_id,
            plots=plots,
            earliest_on=self.earliest_on or today,
            latest_on=self.latest_on or today,
            member_id=self.member_id,
            farmer_name=self.farmer_name,
            farmer_phone=self.farmer_phone,
            day=self.day,
        )


class CancelForm(Struct):
    reason: Annotated[str, Meta(max_length=200)] = ""
    back: Back = ""


class BackForm(Struct):
    back: Back = ""


class RateForm(Struct):
    score: Annotated[int, Meta(ge=1, le=5)]
    comment: Annotated[str, Meta(max_length=300)] = ""
    back: Back = ""


class PayForm(Struct):
    channel: Annotated[str, Meta(max_length=8)] = "cash"
    back: Back = ""


class ScheduleForm(Struct):
    day: date
    operator_id: Id
    machine_id: Id
    back: Back = ""

    def __post_init__(self) -> None:
        check_day(self.day, "day")


class CompleteForm(Struct):
    measured_area: Area
    start: Clock = ""
    end: Clock = ""
    fuel_litres: Annotated[str, Meta(max_length=20)] = ""
    back: Back = ""

    def moment(self, day: date | None, field: str) -> datetime | None:
        """A "08:30" on the job's day, Beijing time."""
        text = self.start if field == "start" else self.end
        if not text:
            return None
        try:
            hour = time.fromisoformat(text)
        except ValueError:
            raise BadInput("时间格式应为 时:分，例如 08:30", field=field) from None
        return datetime.combine(day or clock.today(), hour, clock.BEIJING)


class DayForm(Struct):
    day: date | None = None

    def __post_init__(self) -> None:
        check_day(self.day, "day")


class RescheduleForm(Struct):
    day: date | None = None
    reason: Annotated[str, Meta(max_length=100)] = ""
    cause: Annotated[str, Meta(max_length=16)] = "rain"
    machine_id: Id | None = None

    def __post_init__(self) -> None:
        check_day(self.day, "day")


class MaintenanceForm(Struct):
    machine_id: Id
    starts_on: date | None = None
    ends_on: date | None = None
    note: Annotated[str, Meta(max_length=200)] = ""

    def __post_init__(self) -> None:
        check_day(self.starts_on, "starts_on")
        check_day(self.ends_on, "ends_on")


def back_to(target: str, default: str) -> str:
    """Only back to a machinery page of this site (no open redirect)."""
    return target if target.startswith("/machinery/") and "\\" not in target else default


# ---------------------------------------------------------------------- /machinery/setup (money in 元, areas in 亩)

Money = Annotated[str, Meta(max_length=20)]  # 元, "80" or "79.50"
Short = Annotated[str, Meta(max_length=30)]


def fen_of(text: str, field: str, *, blank: int | None = None) -> int | None:
    """元 as typed → fen; blank gives ``blank`` (None: follow the rule). The service checks the range."""
    if not text:
        return blank
    try:
        return parse_fen(text)
    except MoneyError:
        raise BadInput("请填写金额（元），最多两位小数，例如 80 或 79.50", field=field) from None


def mu_of(text: str, field: str) -> int:
    try:
        return parse_mu(text)
    except AreaError as exc:
        raise BadInput(str(exc), field=field) from None


def _ticked(flag: str) -> bool:
    return flag in ("1", "on", "true")


class ServiceForm(Struct):
    name: Short = ""
    machine_kind: Short = ""
    is_corn_harvest: Flag = ""

    @property
    def corn(self) -> bool:
        return _ticked(self.is_corn_harvest)


class ActiveForm(Struct):
    active: Flag = ""

    @property
    def on(self) -> bool:
        return _ticked(self.active)


class PriceForm(Struct):
    service_type_id: Id
    season: Year
    market_fen: Money = ""
    member_fen: Money = ""
    non_member_fen: Money = ""

    def amounts(self) -> dict[str, int | None]:
        if not self.market_fen:
            raise BadInput("请填写市场价（元/亩）", field="market_fen")
        return {name: fen_of(getattr(self, name), name) for name in ("market_fen", "member_fen", "non_member_fen")}


class SeasonForm(Struct):
    season: Year


class PolicyForm(Struct):
    member_discount_fen: Money = "0"
    non_member_discount_fen: Money = "0"
    hardship_mode: Flag = "reduce"
    hardship_reduction_fen: Money = "0"
    max_area: Area = ""
    season_starts_on: date | None = None

    def __post_init__(self) -> None:
        check_day(self.season_starts_on, "season_starts_on")

    def change(self):  # type: ignore[no-untyped-def]
        from coop.machinery.services.setup import PolicyChange

        return PolicyChange(
            *(fen_of(getattr(self, n), n, blank=0) for n in ("member_discount_fen", "non_member_discount_fen")),  # type: ignore[misc]
            self.hardship_mode,
            fen_of(self.hardship_reduction_fen, "hardship_reduction_fen", blank=0),  # type: ignore[arg-type]
            mu_of(self.max_area, "max_area"),
            self.season_starts_on,
        )


class OperatorForm(Struct):
    daily_capacity: Area = ""
    wage_basis: Flag = "mu"
    wage_rate_fen: Money = ""
    machine_id: Id | None = None
    name: Annotated[str, Meta(max_length=50)] = ""
    phone: Annotated[str, Meta(max_length=20)] = ""
    password: Annotated[str, Meta(max_length=128)] = ""
    user_id: Id | None = None

    def terms(self) -> dict:
        if not self.wage_rate_fen:
            raise BadInput("请填写工资（元）", field="wage_rate_fen")
        return {
            "daily_capacity": mu_of(self.daily_capacity, "daily_capacity"),
            "wage_basis": self.wage_basis,
            "wage_rate_fen": fen_of(self.wage_rate_fen, "wage_rate_fen"),
            "machine_id": self.machine_id,
        }


class MachineForm(Struct):
    kind: Short = ""
    model: Annotated[str, Meta(max_length=60)] = ""
    plate: Annotated[str, Meta(max_length=40)] = ""
    daily_capacity: Area = ""
    slope_factor: Annotated[str, Meta(max_length=8)] = "1.5"
    asset_id: Id | None = None

    def fields(self) -> dict:
        try:
            factor = Decimal(self.slope_factor or "1.5")
        except InvalidOperation:
            raise BadInput("坡地系数填一个数，例如 1.5", field="slope_factor") from None
        if not factor.is_finite() or not 1 <= factor <= 5:
            raise BadInput("坡地系数须在 1 至 5 之间", field="slope_factor")
        return {
            "kind": self.kind,
            "model": self.model,
            "plate": self.plate,
            "daily_capacity": mu_of(self.daily_capacity, "daily_capacity"),
            "slope_factor_bp": int(factor * 10000),
            "asset_id": self.asset_id,
        }
