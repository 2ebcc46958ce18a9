"""No server error for any input: a seeded schemathesis pass over the OpenAPI schema (anonymous and as admin),
and a walk of every route with edge values as every role.

The demo is seeded into a fresh database (SQLite and PostgreSQL) and served by a real process; schemathesis
generates requests for every operation in `/schema/openapi.json` from its schema (bounded and derandomised,
so a run is repeatable) and every answer must be below 500.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest
from hypothesis import HealthCheck, Phase, given, settings

from tests.conftest import PG_URL

if TYPE_CHECKING:
    from schemathesis import Case
from tests.edge_walk import Probe, probes
from tests.fuzz_server import DEMO_PASSWORD, DEMO_PHONES, FuzzServer, create_postgres_database, serve_seeded_demo

EXAMPLES = int(os.environ.get("CAOYUAN_FUZZ_EXAMPLES", "12"))


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def fuzz_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FuzzServer]:
    tmp = tmp_path_factory.mktemp(f"fuzz-{request.param}")
    url = None
    if request.param == "postgres":
        request.getfixturevalue("postgres_url")  # reachable, or skipped / failed as REQUIRE_POSTGRES says
        url = create_postgres_database(PG_URL, f"caoyuan_fuzz_{os.getpid()}")
    yield from serve_seeded_demo(request.param, Path(tmp), url)


def _server_errors_of(operation: object, server: FuzzServer) -> list[str]:
    """Run the operation's generated cases (anonymous and admin); return the first failure, shrunk."""
    found: list[str] = []

    @given(case=operation.as_strategy())  # type: ignore[attr-defined]
    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.generate, Phase.shrink],
    )
    def run(case: Case) -> None:
        for role in (None, "admin"):  # each generated request goes out anonymously and with the admin's token
            response = case.call(base_url=server.base_url, headers=server.headers(role), timeout=30)
            assert response.status_code < 500, (
                f"{role or 'anonymous'}: {case.method} {case.formatted_path} → {response.status_code}\n"
                f"{case.as_curl_command()}\n{response.text[:300]}"
            )

    try:
        run()
    except AssertionError as failure:
        found.append(str(failure))
    return found


def test_no_generated_request_makes_a_server_error(fuzz_server: FuzzServer) -> None:
    import schemathesis  # with its plugins, most of a second: only when the fuzz test runs

    schema = schemathesis.openapi.from_url(f"{fuzz_server.base_url}/schema/openapi.json")
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operations += 1
        failures += _server_errors_of(result.ok(), fuzz_server)
    assert operations >= 50, f"the schema lists only {operations} operations"
    assert not failures, "\n\n".join(failures) + "\n--- server log ---\n" + fuzz_server.server_errors()


# ---------------------------------------------------------------- every route, edge values, every role


def _page_session(server: FuzzServer, role: str | None) -> httpx.Client:
    """A browser-like client: the CSRF cookie, and for a role its logged-in page session."""
    client = httpx.Client(base_url=server.base_url, timeout=60, follow_redirects=False)
    client.get("/login")
    client.headers["x-csrftoken"] = client.cookies.get("caoyuan_csrf") or ""
    if role:
        answer = client.post("/login", data={"phone": DEMO_PHONES[role], "password": DEMO_PASSWORD, "next": "/"})
        assert answer.status_code == 303, answer.text[:300]
        client.headers["x-csrftoken"] = client.cookies.get("caoyuan_csrf") or ""
    return client


def _send(client: httpx.Client, probe: Probe, headers: dict[str, str]) -> int:
    try:
        answer = client.request(
            probe.method, probe.path, params=probe.params or None, json=probe.json, data=probe.form, headers=headers
        )
    except httpx.RemoteProtocolError:
        return 400  # the HTTP server refused the request line itself (too long), before the app
    return answer.status_code


def test_every_route_survives_edge_values(fuzz_server: FuzzServer, tmp_path: Path) -> None:
    from caoyuan.app import create_app
    from caoyuan.settings import load_settings

    settings = load_settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'routes.db'}",
        environment="test",
        secret_key="r" * 40,
        payments="sandbox",
        public_base_url="http://127.0.0.1",
        background_tasks=False,
    )
    walk = list(probes(create_app(settings)))
    roles: list[str | None] = [None, *DEMO_PHONES]
    local = threading.local()  # an httpx.Client is not shared across threads: each thread logs in its own
    failures: list[str] = []

    def pages() -> dict[str | None, httpx.Client]:
        if not hasattr(local, "pages"):
            local.pages = {role: _page_session(fuzz_server, role) for role in roles}
        return local.pages

    def run(probe: Probe) -> None:
        mine = pages()
        for role in roles:
            headers = fuzz_server.headers(role) if probe.is_api else {}
            status = _send(mine[role] if not probe.is_api else mine[None], probe, headers)
            if status >= 500:
                failures.append(f"{role or 'anonymous'}: {probe.describe()} → {status}")
                return

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(run, walk))
    assert len(walk) > 1000, f"only {len(walk)} requests were built from the routes"
    assert not failures, (
        f"{len(failures)} of {len(walk)} probes answered 5xx:\n"
        + "\n".join(sorted(failures))
        + "\n--- server log ---\n"
        + fuzz_server.server_errors()
    )
