"""The live show's error codes (shown with their meanings at /schema)."""

from __future__ import annotations

from caoyuan.errors import ErrorCode


class LiveCode(ErrorCode):
    BAD_SESSION_STATE = "bad_session_state", "直播场次当前的状态不允许这个操作"
    SESSION_NOT_LIVE = "session_not_live", "直播还没开始或已经结束，不能下单"
    NOT_ON_SHELF = "not_on_shelf", "这场直播的货架上没有这件商品"
    NOT_ON_SALE = "not_on_sale", "商品已下架或直播已结束，不能下单"
    ALREADY_ON_SHELF = "already_on_shelf", "这件商品已经在本场货架上"
    SOLD_OUT = "sold_out", "已售罄（可以登记候补）"
    FLASH_SALE_RUNNING = "flash_sale_running", "这件商品正在秒杀，请等它结束"
    FLASH_SALE_CLOSED = "flash_sale_closed", "秒杀已经结束"
    NOT_OPEN_YET = "not_open_yet", "秒杀还在倒计时，还没开抢"
