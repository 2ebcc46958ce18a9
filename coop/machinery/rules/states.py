"""Which booking actions each state allows (requested → scheduled → in progress → completed → paid)."""

from __future__ import annotations

ALLOWED = {
    "schedule": {"requested", "waitlisted", "scheduled"},
    "cancel": {"requested", "waitlisted", "scheduled"},
    "start": {"scheduled"},
    "complete": {"scheduled", "in_progress"},
    "confirm": {"completed"},
    "pay": {"completed"},
    "rate": {"completed", "paid"},
}

ACTION_LABELS = {
    "schedule": "排班",
    "cancel": "取消",
    "start": "开始作业",
    "complete": "完工登记",
    "confirm": "确认面积",
    "pay": "收款",
    "rate": "评价",
}


def allowed(action: str, status: str) -> bool:
    return status in ALLOWED[action]
