"""Websocket feeds of a live session.

* ``/ws/live/{id}/feed?after=SEQ`` — hosts (of that session) and the admin: every event after SEQ,
  replayed from the database, then live, in order, no gap, no duplicate; heartbeats; resume with
  the last SEQ seen. Refused before the socket is accepted when the caller may not watch.
* ``/ws/live/{id}/viewers`` — anyone: only what buyers may see (stock left, the pinned item, flash-sale
  times, the session's state), stock coalesced to a few updates a second.

Refused before the handshake completes (HTTP 403): not logged in, not a host of this session, a
cross-site page, no such session. After it, close codes: 4400 bad request (bad SEQ or message),
4408 too slow a reader (resume from your last SEQ).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from typing import Any
from urllib.parse import urlsplit

import msgspec
from litestar import WebSocket, websocket
from litestar.exceptions import WebSocketDisconnect
from litestar.params import FromPath

from caoyuan.bounds import ID_MAX
from caoyuan.db import Database, utcnow
from caoyuan.feed import last_seq
from caoyuan.feed.tail import StreamTail, reading, replay
from caoyuan.web.deadlines import SENDS, Overdue
from streaming.models import LiveSession
from streaming.services.access import feed_stream, may_watch_feed
from streaming.viewer_cast import cast_for

HEARTBEAT_S = 15.0
SEND_TIMEOUT_S = 10.0
BATCH = 500


class SlowReader(Exception):
    pass


async def _send(socket: WebSocket, message: dict[str, Any]) -> None:
    await _send_text(socket, msgspec.json.encode(message).decode())


async def _send_text(socket: WebSocket, text: str) -> None:
    try:
        await SENDS.within(SEND_TIMEOUT_S, socket.send_text(text))
    except Overdue:
        raise SlowReader from None


def _same_origin(socket: WebSocket, public_base_url: str) -> bool:
    """Cookie-authenticated sockets must come from our own pages (no cross-site socket hijacking)."""
    origin = socket.headers.get("origin")
    if not origin:
        return True  # not a browser (the CLI uses a bearer token anyway)
    allowed = {urlsplit(public_base_url).netloc, socket.headers.get("host", "")}
    return urlsplit(origin).netloc in allowed


async def _refuse(socket: WebSocket, code: int, reason: str) -> None:
    await socket.close(code=code, reason=reason)


@websocket("/ws/live/{session_id:int}/feed")
async def host_feed(socket: WebSocket, session_id: FromPath[int]) -> None:
    database: Database = socket.app.state.database
    user = socket.scope.get("user")
    raw_after = socket.query_params.get("after", "0")
    if not 1 <= session_id <= ID_MAX:
        return await _refuse(socket, 4404, "没有这场直播")
    if user is None:
        return await _refuse(socket, 4401, "请先登录")
    if user.via == "session" and not _same_origin(socket, socket.app.state.settings.public_base_url):
        return await _refuse(socket, 4403, "不允许跨站连接")
    async with database.sessionmaker() as db:
        session = await db.get(LiveSession, session_id)
        if session is None:
            return await _refuse(socket, 4404, "没有这场直播")
        if not await may_watch_feed(db, session, user):
            return await _refuse(socket, 4403, "您不是这场直播的主播")
        newest = await last_seq(db, feed_stream(session_id))
    await socket.accept()
    after = parse_after(raw_after, newest)
    if after is None:
        return await _close_quietly(socket, 4400, f"after 应为 0 到 {newest} 之间的整数")
    code, reason = 1000, ""
    try:
        async with reading(database, feed_stream(session_id)) as tail:
            # The tail learns of commits by NOTIFY and may be a moment behind the database read above: the
            # hello promises at least what was already committed when the host connected.
            newest = max(newest, tail.last_seq)
            await _send(socket, {"type": "hello", "session_id": session_id, "last_seq": newest, "after": after})
            code, reason = await _pump_host(socket, database, tail, after)
    except SlowReader:
        code, reason = 4408, "读取太慢，请用收到的最后一个 seq 重新连接"
    except WebSocketDisconnect:
        return
    await _close_quietly(socket, code, reason)


def parse_after(raw: str, newest: int) -> int | None:
    """The client's last seen seq: ASCII digits only ("²".isdigit() is True, int("²") is not), 0..newest.

    The length is checked before int(): a 5,000-digit value would raise past Python's digit limit."""
    if not (raw.isascii() and raw.isdigit()) or len(raw) > len(str(newest)) + 1:
        return None
    value = int(raw)
    return value if value <= newest else None


async def _pump_host(socket: WebSocket, database: Database, tail: StreamTail, cursor: int) -> tuple[int, str]:
    """Send everything after ``cursor`` as it commits; returns how to close when the client is done."""
    listener = asyncio.create_task(_read_client(socket))
    try:
        last_beat = asyncio.get_running_loop().time()
        while not listener.done():
            version = tail.version
            batch = tail.since(cursor)
            if batch is None:
                batch = await replay(database, tail.stream, cursor)
            batch = batch[:BATCH]  # bounded frames; the rest follows at once
            if batch:
                events = ",".join(item.wire_text() for item in batch)
                await _send_text(socket, f'{{"type":"events","events":[{events}]}}')
                cursor = batch[-1].seq
                tail.mark_sent(socket, cursor)  # the per-process feed lag metric
                continue
            now = asyncio.get_running_loop().time()
            if now - last_beat >= HEARTBEAT_S:
                await _send(socket, {"type": "heartbeat", "seq": cursor, "at": utcnow().isoformat()})
                last_beat = now
            await tail.wait_change(version, min(1.0, HEARTBEAT_S))
        problem = listener.result()
        return (4400, problem) if problem else (1000, "")
    finally:
        tail.forget(socket)
        listener.cancel()


async def _read_client(socket: WebSocket) -> str | None:
    """Clients may send {"type": "ping"}; anything else malformed ends the socket with 4400."""
    while True:
        try:
            raw = await socket.receive_text()
        except WebSocketDisconnect:
            return None
        try:
            message = msgspec.json.decode(raw)
        except msgspec.DecodeError:
            return "消息不是有效的 JSON"
        if not isinstance(message, dict) or message.get("type") not in ("ping", "ack"):
            return "不认识的消息类型（只接受 ping / ack）"
        if message["type"] == "ping":
            await _send(socket, {"type": "pong", "at": utcnow().isoformat()})


@websocket("/ws/live/{session_id:int}/viewers")
async def viewer_feed(socket: WebSocket, session_id: FromPath[int]) -> None:
    database: Database = socket.app.state.database
    if not 1 <= session_id <= ID_MAX:
        return await _refuse(socket, 4404, "没有这场直播")
    async with database.sessionmaker() as db:
        if await db.get(LiveSession, session_id) is None:
            return await _refuse(socket, 4404, "没有这场直播")
    await socket.accept()
    VIEWERS[session_id] += 1
    try:
        async with reading(database, feed_stream(session_id)) as tail:
            await _pump_viewer(socket, tail)
    except SlowReader:
        await _close_quietly(socket, 4408, "读取太慢")
    except WebSocketDisconnect:
        return
    finally:
        VIEWERS[session_id] -= 1


# Open viewer sockets per session, in this process; streaming.services.presence writes them to the database
# so the console's 在线 figure sums every process.
VIEWERS: Counter[int] = Counter()


def viewer_count(session_id: int) -> int:
    return max(VIEWERS.get(session_id, 0), 0)


async def _pump_viewer(socket: WebSocket, tail: StreamTail) -> None:
    """The viewers' updates, made once for all of them by the stream's ViewerCast, as they are made."""
    listener = asyncio.create_task(_drain_client(socket))
    cast = cast_for(tail)
    number, last_beat = cast.join(), asyncio.get_running_loop().time()
    try:
        await _send(socket, {"type": "hello", "seq": tail.last_seq})
        while not listener.done():
            updates = cast.after(number)
            for number, text in updates:  # noqa: B007 - the last one sent is where the next look starts
                await _send_text(socket, text)
            if updates:
                continue
            now = asyncio.get_running_loop().time()
            if now - last_beat >= HEARTBEAT_S:
                await _send(socket, {"type": "heartbeat"})
                last_beat = now
            await cast.wait(number, 1.0)
    finally:
        cast.leave()
        listener.cancel()


async def _drain_client(socket: WebSocket) -> None:
    with contextlib.suppress(WebSocketDisconnect):
        while True:
            await socket.receive_text()


async def _close_quietly(socket: WebSocket, code: int = 1000, reason: str = "") -> None:
    with contextlib.suppress(Exception):  # the client may already be gone
        await socket.close(code=code, reason=reason)
