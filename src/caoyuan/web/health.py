from __future__ import annotations

from litestar import Controller, Response, get
from sqlalchemy import text

from caoyuan.db.migrate import is_at_head
from caoyuan.deps import AppDatabase


class Health(Controller):
    tags = ["operations"]

    @get("/healthz", summary="进程存活")
    async def healthz(self) -> dict[str, str]:
        return {"status": "ok"}

    @get("/readyz", summary="数据库可达且迁移到最新")
    async def readyz(self, database: AppDatabase) -> Response[dict]:
        try:
            async with database.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
            ready, current, heads = await is_at_head(database.engine)
        except Exception:  # noqa: BLE001 - any failure means not ready; details stay in the log
            return Response({"status": "unavailable", "database": "unreachable"}, status_code=503)
        if not ready:
            return Response({"status": "unavailable", "database": "ok", "migrations": "behind",
                             "current": sorted(current), "heads": sorted(heads),
                             "message": "数据库未迁移，请运行 caoyuan db upgrade"}, status_code=503)
        return Response({"status": "ok", "database": "ok", "migrations": sorted(current)})
