"""Operations endpoints, error pages and the request log."""

import json
import logging


async def test_healthz_and_readyz(client) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    body = ready.json()
    assert body["status"] == "ok" and body["database"] == "ok" and body["migrations"]


async def test_openapi_schema_lists_the_api(client) -> None:
    schema = (await client.get("/schema/openapi.json")).json()
    assert "/api/auth/token" in schema["paths"]
    assert "/api/coop/members/{member_id}" in schema["paths"]
    assert (await client.get("/schema")).status_code == 200


async def test_error_pages_are_chinese(client) -> None:
    page = await client.get("/no/such/page", headers={"accept": "text/html"})
    assert page.status_code == 404 and "页面不存在" in page.text and 'lang="zh-CN"' in page.text
    api = await client.get("/api/no/such")
    assert api.status_code == 404 and api.json() == {"code": "not_found", "message": "页面不存在"}


async def test_forbidden_page_is_chinese(client, make_user, login_page) -> None:
    await make_user("buyer", phone="13700000040")
    await login_page(client, "13700000040")
    page = await client.get("/coop/")
    assert page.status_code == 403 and "没有权限" in page.text


async def test_server_error_page_hides_the_trace(client, monkeypatch) -> None:
    import storefront.services.catalogue as controllers

    async def boom(db):  # type: ignore[no-untyped-def]
        raise RuntimeError("secret internals")

    monkeypatch.setattr(controllers, "active_catalogue", boom)
    page = await client.get("/shop/", headers={"accept": "text/html"})
    assert page.status_code == 500 and "服务器出错了" in page.text and "secret internals" not in page.text
    api = await client.get("/api/shop/products/")
    assert api.status_code == 500 and api.json()["code"] == "server_error"
    assert "secret internals" not in api.text


class _Keep(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []
        self.text: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)
        self.text.append(self.format(record))


async def test_one_structured_log_line_per_request_without_secrets(client, make_user) -> None:
    from caoyuan.web.logging import JsonFormatter

    await make_user("admin", phone="13700000041")
    keep = _Keep()
    keep.setFormatter(JsonFormatter())
    logging.getLogger("caoyuan.access").addHandler(keep)
    try:
        await client.post("/api/auth/token", json={"phone": "13700000041", "password": "super-secret-pw"})
        await client.post("/api/auth/token", json={"phone": "13700000041", "password": "correct-horse-9"})
        await client.get("/api/coop/members/11010519491231002X")
    finally:
        logging.getLogger("caoyuan.access").removeHandler(keep)
    lines = keep.records
    assert len(lines) == 3
    first = lines[0].fields
    assert set(first) == {"event", "method", "path", "status", "ms"}
    assert first["method"] == "POST" and first["path"] == "/api/auth/token" and first["status"] == 401
    assert lines[1].fields["status"] == 201
    assert lines[2].fields["path"] == "/api/coop/members/110105********002X"
    assert lines[2].fields["status"] == 404
    assert json.loads(keep.text[0])["path"] == "/api/auth/token"  # each line is one JSON object
    text = "\n".join(keep.text)
    assert "super-secret-pw" not in text and "11010519491231002X" not in text


async def test_readyz_reports_an_unmigrated_database(tmp_path) -> None:
    from litestar.testing import AsyncTestClient

    from caoyuan.app import create_app
    from caoyuan.settings import load_settings

    settings = load_settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}", check_migrations=False)
    async with AsyncTestClient(app=create_app(settings)) as client:
        response = await client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["migrations"] == "behind" and "caoyuan db upgrade" in response.json()["message"]
