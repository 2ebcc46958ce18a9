"""/coop/setup: found a cooperative from a page — its business licence, then its first charter.

The first admin of an empty install lands here (coop.pages.admin overview sends them). The form calls the
same service as POST /api/coop (coop.services.founding); a refusal shows the page again with the message
at the field and the input kept, and nothing written (refused_form rolls the transaction back).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from litestar import Controller, Request, get, post
from litestar.params import URLEncodedBody
from litestar.response import Redirect, Template

from caoyuan import clock
from caoyuan.auth import Role
from caoyuan.auth.current import requires
from caoyuan.deps import Db
from caoyuan.errors import AppError
from caoyuan.web.forms import refused_form
from coop.models import KIND_LABELS
from coop.pages import forms as f
from coop.pages.admin import CHARTER_FORM_NAMES
from coop.rules.capital import BASES
from coop.rules.charter import LIMIT_NOTES, POLICIES
from coop.services import founding

TEMPLATE = "coop/setup.html"


async def setup_context(db: Db) -> dict[str, Any]:
    return {
        "first": not await founding.cooperatives_exist(db),
        "kinds": KIND_LABELS,
        "policies": POLICIES,
        "limits": LIMIT_NOTES,
        "bases": BASES,
        "coop": None,
        "cur": None,
        "today": clock.today().isoformat(),
    }


def founding_from(data: dict[str, str]) -> tuple[founding.Founding, Any, Any]:
    """(the licence's facts, the charter's terms, the day the charter takes force) from the form."""
    kind = f.text(data, "kind")
    registered_on = f.day(data, "registered_on", "登记日期")
    facts = founding.Founding(
        name=f.text(data, "name", limit=100),
        kind=kind,
        banner=f.text(data, "banner", limit=50),
        village=f.text(data, "village", limit=50),
        credit_code=f.text(data, "credit_code", limit=40),
        registered_on=registered_on,
        legal_representative=f.text(data, "legal_representative", limit=50),
        town=f.text(data, "town", limit=50),
    )
    founding.checked(facts)  # the licence's fields are refused before the charter's
    return facts, f.charter_terms(data, policy=kind), f.day(data, "effective_on", "章程生效日期", registered_on)


class SetupPages(Controller):
    path = "/coop/setup"
    include_in_schema = False
    guards = [requires(Role.ADMIN)]

    @get("/")
    async def setup_page(self, db: Db) -> Template:
        return Template(TEMPLATE, context=await setup_context(db))

    @post("/")
    async def found(self, request: Request, db: Db, data: URLEncodedBody[dict[str, str]]) -> Template | Redirect:
        try:
            facts, terms, charter_from = founding_from(data)
            coop, _ = await founding.found(
                db, facts, terms, charter_from, f.text(data, "note"), by_user_id=request.user.id
            )
        except AppError as exc:
            exc.field = CHARTER_FORM_NAMES.get(exc.field or "", exc.field)  # the page's input, not the term
            return await refused_form(db, exc, TEMPLATE, data, lambda: setup_context(db))
        done = quote(f"{coop.name}已建立，第一版章程已登记。下一步：登记社员")
        return Redirect(f"/coop/{coop.id}/members?done={done}", status_code=303)
