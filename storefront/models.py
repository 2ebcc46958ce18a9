"""Catalogue: products and their SKUs. Prices are integer fen."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from caoyuan.db import UTCDateTime, utcnow


class Product(SQLModel, table=True):
    __tablename__ = "shop_product"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100)
    description: str = Field(default="", max_length=1000)
    active: bool = Field(default=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Sku(SQLModel, table=True):
    __tablename__ = "shop_sku"

    id: int | None = Field(default=None, primary_key=True)
    product_id: int = Field(foreign_key="shop_product.id", index=True)
    name: str = Field(max_length=100)  # 后腿 2.5kg
    price_fen: int
    weight_g: int
    stock: int = Field(default=0)
    active: bool = Field(default=True)
