"""Pure live-sale rules: what a host may do when, and the flash-sale limits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from caoyuan.clock import BEIJING
from caoyuan.states import Transitions

COUNTDOWN_SECONDS = (10, 300)
WINDOW_MINUTES = (1, 20)


class RuleError(ValueError):
    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class FlashWindow:
    opens_at: datetime
    closes_at: datetime


def flash_window(now: datetime, countdown_s: int, window_min: int) -> FlashWindow:
    low, high = COUNTDOWN_SECONDS
    if not low <= countdown_s <= high:
        raise RuleError(f"倒计时应为 {low}–{high} 秒", "countdown_s")
    low, high = WINDOW_MINUTES
    if not low <= window_min <= high:
        raise RuleError(f"秒杀时长应为 {low}–{high} 分钟", "window_min")
    opens = now + timedelta(seconds=countdown_s)
    return FlashWindow(opens, opens + timedelta(minutes=window_min))


def flash_state(closed: bool, opens_at: datetime, closes_at: datetime, now: datetime) -> str:
    """countdown → open → closed, as buyers and hosts see a flash sale."""
    if closed or now >= closes_at:
        return "closed"
    return "open" if now >= opens_at else "countdown"


def check_flash_caps(
    deal_price_fen: int, shelf_price_fen: int, total_cap: int, per_buyer_cap: int, shelf_remaining: int
) -> None:
    if not 0 < deal_price_fen <= shelf_price_fen:
        raise RuleError("秒杀价必须大于 0 且不高于直播价", "deal_price")
    if total_cap <= 0:
        raise RuleError("秒杀总量至少为 1 件", "total_cap")
    if total_cap > shelf_remaining:
        raise RuleError(f"秒杀总量不能超过货架剩余库存（{shelf_remaining} 件）", "total_cap")
    if not 1 <= per_buyer_cap <= total_cap:
        raise RuleError("每人限购应在 1 件到秒杀总量之间", "per_buyer_cap")


SESSION = Transitions.of(  # a live session: scheduled → live → ended, and what each state allows
    "state",
    start=(("scheduled",), "live"),
    end=(("live",), "ended"),
    edit_shelf=(("scheduled", "live"), None),
    checklist=(("scheduled", "live"), None),
    pin=(("live",), None),
    flash_sale=(("live",), None),
    order=(("live",), None),
    packing_list=(("ended",), None),
)


def can(state: str, action: str) -> bool:
    return SESSION.allowed(action, state)


def order_refusal(state: str) -> str:
    """Why a session in this state takes no orders, in the buyer's words."""
    return "直播已结束，不能再下单" if state == "ended" else "直播还没开始，请开播后再下单"


def local_hour(moment: datetime) -> str:
    """Bucket for the sales-over-time chart, in Beijing time."""
    return moment.astimezone(BEIJING).strftime("%m-%d %H:00")
