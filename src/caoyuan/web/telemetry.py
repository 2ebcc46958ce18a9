"""OpenTelemetry traces: one server span per request, sent over OTLP/HTTP, only when an endpoint is set.

Optional twice over: without ``CAOYUAN_OTLP_ENDPOINT`` (or the standard ``OTEL_EXPORTER_OTLP_ENDPOINT`` /
``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``) nothing here imports opentelemetry, so the ``otel`` extra need not
be installed; with an endpoint but without the extra, the process refuses to start rather than run blind.

Spans are named by route template (``POST /api/live/sessions/{session_id:int}/orders``), never by the raw
path, so a collector groups them the way /metrics does. Probes and scrapes make no spans.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from caoyuan.settings import Settings, SettingsError

STANDARD_ENDPOINTS = ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT")
UNTRACED = ["/healthz", "/readyz", "/metrics", "/static/"]


@dataclass
class Tracing:
    """What the app factory adds: the tracing middleware (Litestar lifts it to the outermost layer), and
    a hook that flushes spans at shutdown."""

    middleware: list[Any] = field(default_factory=list)
    on_shutdown: list[Callable[[], Awaitable[None]]] = field(default_factory=list)


def otlp_endpoint(settings: Settings) -> str:
    """CAOYUAN_OTLP_ENDPOINT first, else the standard OTEL_* variables (read by the exporter itself)."""
    if settings.otlp_endpoint:
        return settings.otlp_endpoint
    return next((os.environ[name] for name in STANDARD_ENDPOINTS if os.environ.get(name)), "")


def make_exporter(settings: Settings) -> Any:
    """The OTLP/HTTP span exporter (tests replace this with an in-memory one)."""
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    if settings.otlp_endpoint:  # a base URL, like the standard variable: the traces path is added here
        return OTLPSpanExporter(endpoint=f"{settings.otlp_endpoint}/v1/traces")
    return OTLPSpanExporter()  # endpoint, headers, timeout and TLS from the standard OTEL_* variables


def named_by_route(app: Any) -> Any:
    """Wrap the app inside the server span: when the response starts (the router has matched by then, and
    the span ends with the response's last byte), the span takes the route's template — it was opened
    before routing, when only the raw path was known."""
    from opentelemetry import trace
    from opentelemetry.semconv.attributes.http_attributes import HTTP_ROUTE

    async def call(scope: Any, receive: Any, send: Any) -> None:
        span = trace.get_current_span()

        async def renaming_send(message: Any) -> None:
            template = scope.get("path_template")
            if message["type"] in ("http.response.start", "websocket.accept") and template and span.is_recording():
                span.update_name(f"{scope.get('method', 'WS')} {template}")
                span.set_attribute(HTTP_ROUTE, template)
            await send(message)

        await app(scope, receive, renaming_send)

    return call


def _middleware_class() -> type:
    from litestar.plugins.opentelemetry import OpenTelemetryInstrumentationMiddleware

    class RouteNamedSpans(OpenTelemetryInstrumentationMiddleware):
        def __init__(self, app: Any, config: Any) -> None:
            super().__init__(app=named_by_route(app), config=config)

    return RouteNamedSpans


def tracing_for(settings: Settings) -> Tracing:
    if not otlp_endpoint(settings):
        return Tracing()
    try:
        from litestar.plugins.opentelemetry import OpenTelemetryConfig
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
    except ImportError:  # MissingDependencyException is an ImportError too
        raise SettingsError(
            "bad setting — CAOYUAN_OTLP_ENDPOINT: traces need the otel extra (pip install 'caoyuan[otel]')"
        ) from None
    # OTEL_SERVICE_NAME / OTEL_RESOURCE_ATTRIBUTES win when set; otherwise every node reports as "caoyuan".
    attributes = {} if os.environ.get("OTEL_SERVICE_NAME") else {"service.name": "caoyuan"}
    provider = TracerProvider(resource=Resource.create(attributes))
    # Batched in a background thread: a slow or absent collector never holds up a request.
    provider.add_span_processor(BatchSpanProcessor(make_exporter(settings)))
    config = OpenTelemetryConfig(
        tracer_provider=provider,
        exclude=UNTRACED,
        exclude_spans=["receive", "send"],  # one span per request, not one per ASGI message
        middleware_class=_middleware_class(),
    )

    async def flush() -> None:
        # Exports what the batch still holds; off the loop, since an absent collector blocks until timeout.
        await asyncio.to_thread(provider.shutdown)

    return Tracing(middleware=[config.middleware], on_shutdown=[flush])
