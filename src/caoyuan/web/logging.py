"""One structured (JSON) log line per request: method, path, status, ms. No bodies, no query strings."""

from __future__ import annotations

import json
import logging
import sys
import time

from litestar.types import ASGIApp, Message, Receive, Scope, Send

from caoyuan.identity import scrub

access_log = logging.getLogger("caoyuan.access")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload = {"ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"), "level": record.levelname,
                   "logger": record.name}
        fields = getattr(record, "fields", None)
        if fields:
            payload.update(fields)
        else:
            payload["msg"] = scrub(record.getMessage())
        if record.exc_info:
            payload["exc"] = scrub(self.formatException(record.exc_info))
        return json.dumps(payload, ensure_ascii=False)


def configure_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger("caoyuan")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False


def access_log_middleware(app: ASGIApp) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await app(scope, receive, send_wrapper)
        finally:
            if access_log.isEnabledFor(logging.INFO):
                access_log.info("request", extra={"fields": {
                    "event": "request", "method": scope["method"], "path": scrub(scope["path"]),
                    "status": status, "ms": round((time.perf_counter() - started) * 1000, 1)}})

    return middleware
