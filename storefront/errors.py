"""The buyer side's error codes (shown with their meanings at /schema)."""

from __future__ import annotations

from caoyuan.errors import ErrorCode


class ShopCode(ErrorCode):
    BAD_STATE = "bad_state", "订单当前的状态不允许这个操作"
    SOLD_OUT = "sold_out", "已售罄（可以登记候补）"
    NOT_ENOUGH_STOCK = "not_enough_stock", "库存不够这个数量"
    PER_BUYER_CAP = "per_buyer_cap", "超过每人限购数量"
    NOT_ON_SHELF = "not_on_shelf", "货架上没有这件商品"
    NOT_ON_SALE = "not_on_sale", "商品已下架或直播已结束，不能下单"
    NOT_OPEN_YET = "not_open_yet", "还没有开卖"
    SALE_CLOSED = "sale_closed", "已经停止销售"
    PRICE_CHANGED = "price_changed", "价格已变动，请确认新价格后再下单"
    HOLD_GONE = "hold_gone", "候补保留的名额已过期"
    IN_STOCK = "in_stock", "还有库存，不需要候补，直接下单即可"
    IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused", "同一个 Idempotency-Key 用于了不同的订单内容"
    NOT_PAYABLE = "not_payable", "订单已不能付款（已付款、已关闭或已过期）"
    AMOUNT_MISMATCH = "amount_mismatch", "支付金额与订单金额不一致"
    UNKNOWN_ORDER = "unknown_order", "支付通知对应的订单不存在"
    ALREADY_DECIDED = "already_decided", "这笔退款已经处理过了"
    NOT_APPROVED = "not_approved", "请先同意这笔退款"
    UNKNOWN_COOPERATIVE = "unknown_cooperative", "没有这个合作社"
    UNKNOWN_MEMBER = "unknown_member", "本社没有这户社员"
    MEMBER_OF_OTHER_COOPERATIVE = "member_of_other_cooperative", "这户社员属于另一个合作社"
