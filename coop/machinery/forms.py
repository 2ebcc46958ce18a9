"""The machinery pages' forms as typed structs (see caoyuan.web.forms): bounded like the API's bodies.

A refusal names its field, so the page shows the message at the input and keeps what was typed.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Annotated

from msgspec import Meta, Struct

from caoyuan import clock
from caoyuan.bounds import Id, check_day
from caoyuan.errors import BadInput
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
