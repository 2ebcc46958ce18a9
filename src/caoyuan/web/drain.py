"""Graceful shutdown: what a node does between SIGTERM and exit.

1. ``/readyz`` answers 503 at once, so nginx's health checks and Kubernetes take the node out; the node
   keeps serving for ``CAOYUAN_SHUTDOWN_DRAIN_S`` seconds meanwhile (requests already on their way
   still land), and background jobs stop after their current round.
2. Then uvicorn's own shutdown runs: it stops accepting connections, lets in-flight requests (an order
   being placed) finish, and closes every websocket with code **1012** ("service restart"): the client
   reconnects — through the proxy, to another node — with the last seq it saw (``?after=SEQ``) and
   misses nothing.
3. The app's shutdown hooks: the feed listener and the database pool close.

The handler wraps uvicorn's SIGTERM handler (uvicorn installs it with ``signal.signal`` before the app
starts), so it only works in the main thread of a ``caoyuan serve``/uvicorn process; in tests that run the
app in a thread it stays out of the way.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
from collections.abc import Callable
from typing import Any

from caoyuan import background
from caoyuan.web.metrics import SHUTTING_DOWN

log = logging.getLogger("caoyuan.shutdown")
RECONNECT_CLOSE_CODE = 1012  # what uvicorn sends on shutdown: "service restart, reconnect"


class Drain:
    def __init__(self) -> None:
        self.draining = False


DRAIN = Drain()


def install(app: Any, drain_s: float) -> Callable[[], None]:
    """Put the drain in front of the running server's SIGTERM handler; returns an undo."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    loop = asyncio.get_running_loop()
    previous = signal.getsignal(signal.SIGTERM)
    DRAIN.draining = False
    SHUTTING_DOWN.set(0)

    def hand_over(signum: int, frame: Any) -> None:
        if callable(previous):
            previous(signum, frame)
        else:  # no server handler (not run by uvicorn): exit as SIGTERM would
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.raise_signal(signal.SIGTERM)

    def on_sigterm(signum: int, frame: Any) -> None:
        if DRAIN.draining:  # a second SIGTERM: stop waiting
            hand_over(signum, frame)
            return
        DRAIN.draining = True
        SHUTTING_DOWN.set(1)
        log.info("SIGTERM: draining for %.1f s (readyz 503), then closing connections", drain_s)
        loop.call_soon_threadsafe(background.stop_between_rounds, app)
        loop.call_soon_threadsafe(loop.call_later, drain_s, hand_over, signum, frame)

    signal.signal(signal.SIGTERM, on_sigterm)

    def undo() -> None:
        if signal.getsignal(signal.SIGTERM) is on_sigterm:
            signal.signal(signal.SIGTERM, previous)

    return undo
