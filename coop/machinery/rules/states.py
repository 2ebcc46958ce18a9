"""The booking's life (requested → scheduled → in progress → completed → paid), as one transition table."""

from __future__ import annotations

from caoyuan.states import Transitions

OPEN = ("requested", "waitlisted", "scheduled")

BOOKING = Transitions.of(
    "status",
    schedule=(OPEN, "scheduled"),  # by hand: a scheduled job may be moved to another day or crew
    take_slot=(("requested", "waitlisted"), "scheduled"),  # the day's proposal: only jobs still waiting
    cancel=(OPEN, "cancelled"),
    start=(("scheduled",), "in_progress"),
    complete=(("scheduled", "in_progress"), "completed"),
    confirm=(("completed",), None),  # the farmer agrees with the measured area; still to be paid
    pay=(("completed",), "paid"),
    rate=(("completed", "paid"), None),
)

ACTION_LABELS = {
    "schedule": "排班",
    "take_slot": "按建议排班",
    "cancel": "取消",
    "start": "开始作业",
    "complete": "完工登记",
    "confirm": "确认面积",
    "pay": "收款",
    "rate": "评价",
}


def allowed(action: str, status: str) -> bool:
    return BOOKING.allowed(action, status)
