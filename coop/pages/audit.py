"""/coop/{id}/audit and GET /api/coop/{id}/audit: the cooperative's audit log, newest first, by action.

The log is the kernel's (caoyuan.audit); services write it in the transaction of each change. These pages
only read one cooperative's scope.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, get
from litestar.params import Parameter
from litestar.response import Template

from caoyuan import audit
from caoyuan.auth import Role
from caoyuan.auth.current import requires
from caoyuan.bounds import IdParam, OptionalIdParam
from caoyuan.deps import Db
from coop.access import coop_scope
from coop.rules.audit_words import readable
from coop.services.charter import scope_of
from coop.services.ledger import require_cooperative

ActionParam = Annotated[str, Parameter(max_length=40)]

# what each action is called on the page (actions not listed show as written)
ACTION_LABELS = {
    "cooperative.founded": "建立合作社",
    "charter.recorded": "登记章程",
    "asset.acquired": "登记固定资产",
    "grant.added": "授权管理员",
    "person.created": "建立账户",
    "person.deactivated": "停用账户",
    "person.reactivated": "恢复账户",
    "person.role_changed": "更改角色",
    "person.password_reset": "重置密码",
}


class AuditEventOut(msgspec.Struct):
    id: int
    at: str
    actor: str
    action: str
    subject: str
    detail: dict[str, Any]


async def audit_context(db: Db, cooperative_id: int, action: str, before: int | None) -> dict[str, Any]:
    coop = await require_cooperative(db, cooperative_id)
    rows = await audit.events(db, scope_of(cooperative_id), action=action, before_id=before)
    return {
        "coop": coop,
        "rows": rows,
        "action": action,
        "labels": ACTION_LABELS,
        "readable": readable,  # details with Chinese field names and values in words
        "more": len(rows) == audit.PAGE_SIZE,
        "before": before,
    }


class AuditPages(Controller):
    path = "/coop/{cooperative_id:int}/audit"
    include_in_schema = False
    guards = [requires(Role.ADMIN), coop_scope]

    @get("/")
    async def audit_page(
        self, cooperative_id: IdParam, db: Db, action: ActionParam = "", before: OptionalIdParam = None
    ) -> Template:
        return Template("coop/audit.html", context=await audit_context(db, cooperative_id, action, before))


class AuditApi(Controller):
    path = "/api/coop/{cooperative_id:int}/audit"
    tags = ["coop"]
    guards = [requires(Role.ADMIN), coop_scope]

    @get("/", summary="操作记录（最新的在前；before=上一页最后一条的 id）")
    async def audit_events(
        self, cooperative_id: IdParam, db: Db, action: ActionParam = "", before: OptionalIdParam = None
    ) -> list[AuditEventOut]:
        await require_cooperative(db, cooperative_id)
        rows = await audit.events(db, scope_of(cooperative_id), action=action, before_id=before)
        return [AuditEventOut(r.id, r.at.isoformat(), r.actor, r.action, r.subject, r.detail) for r in rows]
