"""The machinery domain's error codes (shown with their meanings at /schema)."""

from __future__ import annotations

from caoyuan.errors import ErrorCode


class MachineryCode(ErrorCode):
    BAD_STATE = "bad_state", "预约当前的状态不允许这个操作"
    DAY_FULL = "day_full", "这一天已约满"
    MACHINE_UNAVAILABLE = "machine_unavailable", "这台农机当天不能作业（停用或检修）"
    OPERATOR_UNAVAILABLE = "operator_unavailable", "这位农机手当天不能作业"
    NEEDS_CONFIRMATION = "needs_confirmation", "实测面积明显大于申报面积，需农户确认后才能收款"
    ALREADY_CONFIRMED = "already_confirmed", "面积已经确认过了"
    ALREADY_PAID = "already_paid", "这项作业已经收过款了"
    ALREADY_RATED = "already_rated", "这项作业已经评价过了"
    AMOUNT_MISMATCH = "amount_mismatch", "支付金额与应付金额不一致"
    UNKNOWN_BOOKING = "unknown_booking", "支付通知对应的预约不存在"
