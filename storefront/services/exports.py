"""Spreadsheets for the packing room: the packing list and the tracking sheet of one ship date.

Buyers type their own names and addresses, so every text cell goes through ``caoyuan.exports.safe_row``
before it is written: a buyer named ``=HYPERLINK(…)`` must not become a live formula on the packer's
computer. Quantities and amounts are written as plain numbers (yuan with two decimals), never as text.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any

from caoyuan.exports import safe_row
from storefront.models import Order
from storefront.services.fulfil import PackingLine

BOM = "\ufeff"  # Excel and WPS read UTF-8 Chinese correctly only with it
TRACKING_HEADER = ("order_no", "courier", "tracking_no")  # what import_tracking_csv reads back


def yuan(fen: int) -> Decimal:
    """A number a spreadsheet sums: 26800 fen → 268.00."""
    return Decimal(fen).scaleb(-2)


def _csv(rows: Iterable[list[Any]]) -> str:
    out = io.StringIO()
    out.write(BOM)
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue()


def _region(order: Order) -> str:
    return f"{order.province}{order.city}{order.county}"


def packing_csv(day: date, lines: list[PackingLine], orders: list[Order]) -> str:
    """Totals by SKU, then the orders one by one (what the packing page prints)."""
    rows: list[list[Any]] = [[f"打包单 {day.isoformat()} 发货"], ["商品", "规格", "件数", "订单数"]]
    rows += [[*safe_row([line.product, line.sku]), line.quantity, line.orders] for line in lines]
    rows += [[], ["订单号", "件数", "实付（元）", "收货人", "电话", "省市县", "详细地址"]]
    for order in orders:
        rows.append(
            [
                *safe_row([order.public_no]),
                order.quantity,
                yuan(order.total_fen),
                *safe_row([order.buyer_name, order.buyer_phone, _region(order), order.address_detail]),
            ]
        )
    return _csv(rows)


def tracking_csv(orders: list[Order]) -> str:
    """The sheet a packer fills in (courier, tracking number) and uploads back to the tracking import."""
    rows: list[list[Any]] = [[*TRACKING_HEADER, "buyer", "phone", "region", "address", "quantity"]]
    for order in orders:
        rows.append(
            [
                *safe_row(
                    [
                        order.public_no,
                        order.courier,
                        order.tracking_no,
                        order.buyer_name,
                        order.buyer_phone,
                        _region(order),
                        order.address_detail,
                    ]
                ),
                order.quantity,
            ]
        )
    return _csv(rows)
