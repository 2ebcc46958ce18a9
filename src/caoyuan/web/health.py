"""Liveness and readiness probes.

Readiness compares the database's migration rows with the code's heads, which are read from the
migration scripts once per process (reading them costs 0.1-0.3 s of CPU; a probe must be cheap).
A database *ahead* of the code is ready: during a rolling release the migration Job has already applied
the new revision while the old pods still serve, and taking them all out would stop the site.
"""

from __future__ import annotations

import logging

from litestar import Controller, Response, get

from caoyuan.db.migrate import compare_schema, current_revisions
from caoyuan.deps import AppDatabase
from caoyuan.web.drain import DRAIN

log = logging.getLogger(__name__)


class Health(Controller):
    tags = ["operations"]

    @get("/healthz", summary="进程存活")
    async def healthz(self) -> dict[str, str]:
        return {"status": "ok"}

    @get("/readyz", summary="数据库可达，且迁移不落后于代码")
    async def readyz(self, database: AppDatabase) -> Response[dict]:
        if DRAIN.draining:  # SIGTERM received: take this node out of rotation while it finishes its work
            return Response({"status": "unavailable", "draining": True}, status_code=503)
        try:
            current = await current_revisions(database.engine)
        except Exception as exc:  # noqa: BLE001 - any failure means not ready
            log.warning("readyz: database unreachable: %s", exc)
            return Response({"status": "unavailable", "database": "unreachable"}, status_code=503)
        schema = compare_schema(current)
        if schema.state == "behind":
            return Response(
                {
                    "status": "unavailable",
                    "database": "ok",
                    "schema": "behind",
                    "migrations": "behind",
                    "current": sorted(schema.current),
                    "heads": sorted(schema.heads),
                    "message": "数据库未迁移，请运行 caoyuan db upgrade",
                },
                status_code=503,
            )
        body = {"status": "ok", "database": "ok", "schema": schema.state, "migrations": sorted(schema.current)}
        if schema.state == "ahead":
            body["unknown"] = sorted(schema.unknown)
            body["message"] = "数据库已由更新的版本迁移，本进程的代码较旧（滚动发布中属正常）"
        return Response(body)
