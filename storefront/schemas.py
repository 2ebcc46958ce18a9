from __future__ import annotations

import msgspec


class SkuPublic(msgspec.Struct):
    id: int
    name: str
    price_fen: int
    price: str
    weight_g: int
    in_stock: bool


class ProductPublic(msgspec.Struct):
    id: int
    name: str
    description: str
    skus: list[SkuPublic]
