"""Shaping orders for the API and the pages."""

from __future__ import annotations

from caoyuan.money import format_fen
from caoyuan.settings import Settings
from storefront import links
from storefront.models import STATUS_LABELS, Order
from storefront.schemas import OrderOut


def order_out(settings: Settings, order: Order) -> OrderOut:
    token = links.status_token(settings, order.public_no)
    return OrderOut(
        order_no=order.public_no,
        status=order.status,
        status_label=STATUS_LABELS.get(order.status, order.status),
        sku_id=order.sku_id,
        quantity=order.quantity,
        unit_price_fen=order.unit_price_fen,
        goods_fen=order.goods_fen,
        shipping_fen=order.shipping_fen,
        total_fen=order.total_fen,
        total=format_fen(order.total_fen),
        expires_at=order.expires_at.isoformat(),
        live_session_id=order.live_session_id,
        ship_by=order.ship_by.isoformat() if order.ship_by else None,
        courier=order.courier,
        tracking_no=order.tracking_no,
        status_url=links.status_url(settings, order.public_no, token),
        pay_url=links.pay_url(settings, order.public_no, token),
    )
