"""OpenTelemetry traces (issue 13): a span per request named by route when an OTLP endpoint is set;
nothing imported, nothing traced, when it is not."""

from __future__ import annotations

import subprocess
import sys

import pytest
from litestar.testing import AsyncTestClient

from caoyuan.app import create_app
from caoyuan.db import create_database
from caoyuan.settings import SettingsError
from caoyuan.web import telemetry

pytest.importorskip("opentelemetry.sdk", reason="the otel extra is not installed")
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter  # noqa: E402
from opentelemetry.semconv.attributes.http_attributes import HTTP_ROUTE  # noqa: E402

ENDPOINT = "http://127.0.0.1:4318"


def _status(span) -> int:  # type: ignore[no-untyped-def]
    attrs = span.attributes
    return int(attrs.get("http.response.status_code", attrs.get("http.status_code", 0)))


@pytest.fixture
def exported(monkeypatch: pytest.MonkeyPatch) -> InMemorySpanExporter:
    exporter = InMemorySpanExporter()
    monkeypatch.setattr(telemetry, "make_exporter", lambda settings: exporter)
    return exporter


async def test_a_request_makes_a_span_named_by_route_with_its_status(settings, db, exported, make_user) -> None:  # type: ignore[no-untyped-def]
    app = create_app(
        settings.with_overrides(otlp_endpoint=ENDPOINT), database=create_database(settings.database_url, 2)
    )
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as client:
        assert (await client.get("/login")).status_code == 200
        assert (await client.get("/api/live/sessions/987654")).status_code == 404
        assert (await client.get("/no/such/page")).status_code == 404
        assert (await client.get("/healthz")).status_code == 200
    spans = exported.get_finished_spans()  # the app's shutdown flushed the batch
    by_name = {span.name: span for span in spans}
    assert "GET /login" in by_name and by_name["GET /login"].attributes[HTTP_ROUTE] == "/login"
    assert _status(by_name["GET /login"]) == 200
    templated = [s for s in spans if "{session_id" in s.name]  # the route's template, not the raw path
    assert templated and "987654" not in templated[0].name and _status(templated[0]) == 404
    assert any(_status(s) == 404 and "/no/such/page" in s.name for s in spans)  # unmatched keeps the path
    assert not any("healthz" in s.name for s in spans)  # probes make no spans
    assert all(s.kind.name == "SERVER" for s in spans)  # one span per request, no send/receive children


async def test_without_an_endpoint_nothing_is_traced(settings, db, exported, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    for name in telemetry.STANDARD_ENDPOINTS:
        monkeypatch.delenv(name, raising=False)
    app = create_app(settings, database=create_database(settings.database_url, 2))
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as client:
        assert (await client.get("/login")).status_code == 200
    assert exported.get_finished_spans() == ()


def test_the_standard_variable_turns_tracing_on(settings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318")
    assert telemetry.otlp_endpoint(settings) == "http://collector:4318"
    assert telemetry.otlp_endpoint(settings.with_overrides(otlp_endpoint=ENDPOINT)) == ENDPOINT


def test_without_an_endpoint_no_tracer_or_exporter_is_loaded(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Litestar itself imports the opentelemetry API whenever it is installed (to look for its plugin);
    the SDK, the exporter and its HTTP session are ours, and stay out."""
    code = (
        "import sys\n"
        "from caoyuan.app import create_app\n"
        "from caoyuan.settings import load_settings\n"
        f"create_app(load_settings(environment='test', database_url='sqlite+aiosqlite:///{tmp_path}/x.db'))\n"
        "print(sorted(m for m in sys.modules if m.startswith(('opentelemetry.sdk', 'opentelemetry.exporter'))))\n"
    )
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_an_endpoint_without_the_extra_refuses_to_start(settings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setitem(sys.modules, "opentelemetry.sdk.trace", None)  # as if the extra were not installed
    with pytest.raises(SettingsError, match="CAOYUAN_OTLP_ENDPOINT.*caoyuan\\[otel\\]"):
        telemetry.tracing_for(settings.with_overrides(otlp_endpoint=ENDPOINT))


async def test_spans_reach_an_otlp_http_collector(settings, db) -> None:  # type: ignore[no-untyped-def]
    """The real exporter: CAOYUAN_OTLP_ENDPOINT is a base URL; spans arrive as OTLP protobuf at /v1/traces."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

    received: list[tuple[str, str, bytes]] = []

    class Collector(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((self.path, self.headers["Content-Type"], body))
            self.send_response(200)
            self.send_header("Content-Type", "application/x-protobuf")
            self.end_headers()

        def log_message(self, *args) -> None:  # type: ignore[no-untyped-def]
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Collector)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        endpoint = f"http://127.0.0.1:{server.server_address[1]}"
        app = create_app(
            settings.with_overrides(otlp_endpoint=endpoint), database=create_database(settings.database_url, 2)
        )
        async with AsyncTestClient(app=app, base_url="http://testserver.local") as client:
            assert (await client.get("/login")).status_code == 200
    finally:
        server.shutdown()
    assert received and all(path == "/v1/traces" and kind == "application/x-protobuf" for path, kind, _ in received)
    names = set()
    for _path, _kind, body in received:
        request = ExportTraceServiceRequest.FromString(body)
        for resource_spans in request.resource_spans:
            service = {a.key: a.value.string_value for a in resource_spans.resource.attributes}["service.name"]
            assert service == "caoyuan"
            names |= {span.name for scope in resource_spans.scope_spans for span in scope.spans}
    assert "GET /login" in names
