"""The buyer side's transition tables, in one place: an order's life after intake (intake and settlement
move rows by their own guarded statements, see services/place_order.py and settle_payment.py)."""

from __future__ import annotations

from caoyuan.states import Transitions

ORDER = Transitions.of(
    "status",
    expire=(("pending_payment",), "expired"),  # not paid in time: the stock goes back once
    cancel=(("pending_payment",), "cancelled"),
    pack=(("paid",), "packed"),
    ship=(("paid", "packed"), "shipped"),
    complete=(("shipped",), "completed"),
)
