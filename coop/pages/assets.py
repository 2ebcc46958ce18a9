"""三资台账: the register of fixed assets, resources and funds, and registering a fixed asset from the page.

A machine must be in the register with its insurance before the fleet may send it out (machinery's capacity
asks coop's register), so a village that starts here registers its harvesters on this page first.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from litestar import Controller, Request, get, post
from litestar.params import URLEncodedBody
from litestar.response import Redirect, Template
from msgspec import Meta, Struct

from caoyuan import clock
from caoyuan.auth import Role
from caoyuan.auth.current import requires
from caoyuan.bounds import IdParam, check_day
from caoyuan.deps import Db
from caoyuan.errors import AppError, BadInput
from caoyuan.money import MoneyError, parse_fen
from caoyuan.web.forms import parse_form, refused_form
from coop.access import coop_scope
from coop.pages.admin import back
from coop.params import DoneParam
from coop.services.assets import FUNDING_CREDIT, FUNDING_LABELS, FixedAssetIn, acquire, register_view
from coop.services.ledger import require_cooperative

CATEGORY_LABELS = {"machine": "农机", "building": "房屋建筑", "equipment": "设备", "other": "其他"}
Short = Annotated[str, Meta(max_length=60)]


class AssetForm(Struct):
    """The page's fields, bounded like the columns; amounts in 元 (to_input turns them into fen)."""

    name: Annotated[str, Meta(min_length=1, max_length=100)]
    cost: Annotated[str, Meta(max_length=20)]
    purchased_on: date
    category: Annotated[str, Meta(pattern="^(machine|building|equipment|other)$")] = "machine"
    funding_source: Annotated[str, Meta(pattern="^(special_fund|own)$")] = "special_fund"
    funding_note: Annotated[str, Meta(max_length=200)] = ""
    asset_no: Annotated[str, Meta(max_length=30)] = ""
    insurance_policy: Short = ""
    insurance_expires_on: date | None = None
    useful_life_months: Annotated[int, Meta(ge=1, le=1200)] = 120

    def __post_init__(self) -> None:
        check_day(self.purchased_on, "purchased_on", "购置日期")
        check_day(self.insurance_expires_on, "insurance_expires_on", "保险到期日")

    def to_input(self) -> FixedAssetIn:
        try:
            cost = parse_fen(self.cost)
        except MoneyError:
            raise BadInput("原值请填写金额（元），最多两位小数", field="cost") from None
        if self.insurance_policy and self.insurance_expires_on is None:
            raise BadInput("有保单就请填写保险到期日", field="insurance_expires_on")
        return FixedAssetIn(
            name=self.name,
            category=self.category,
            cost_fen=cost,
            funding_source=self.funding_source,
            purchased_on=self.purchased_on,
            funding_note=self.funding_note,
            asset_no=self.asset_no,
            insurance_policy=self.insurance_policy,
            insurance_expires_on=self.insurance_expires_on,
            useful_life_months=self.useful_life_months,
        )


async def assets_context(db: Db, cooperative_id: int, done: str = "") -> dict:
    coop = await require_cooperative(db, cooperative_id)
    view = await register_view(db, cooperative_id, clock.today())
    return {
        "coop": coop,
        **view,
        "funding": FUNDING_LABELS,
        "fundable": {k: FUNDING_LABELS[k] for k in FUNDING_CREDIT},
        "categories": CATEGORY_LABELS,
        "today": clock.today(),
        "done": done,
        "form": {},
        "errors": {},
        "error": None,
    }


class AssetPages(Controller):
    path = "/coop"
    include_in_schema = False
    guards = [requires(Role.ADMIN), coop_scope]

    @get("/{cooperative_id:int}/assets")
    async def assets(self, cooperative_id: IdParam, db: Db, done: DoneParam = "") -> Template:
        return Template("coop/assets.html", context=await assets_context(db, cooperative_id, done))

    @post("/{cooperative_id:int}/assets")
    async def register(
        self, cooperative_id: IdParam, request: Request, db: Db, data: URLEncodedBody[dict[str, str]]
    ) -> Template | Redirect:
        try:
            asset = await acquire(db, cooperative_id, parse_form(data, AssetForm).to_input(), request.user.id)
        except AppError as exc:
            return await refused_form(db, exc, "coop/assets.html", data, lambda: assets_context(db, cooperative_id))
        return back(f"/coop/{cooperative_id}/assets", f"已登记资产：{asset.name}，并记入账簿")
