"""The live websockets with edge values, against a real server: a bad ``after`` closes 4400, a bad session id
is refused before the handshake — never a 4500/500."""

from __future__ import annotations

import pytest
import websockets

from streaming.feed import parse_after
from tests.browser import bearer_token as _token
from tests.factories.live import build


def test_after_takes_ascii_digits_up_to_the_newest_seq() -> None:
    assert parse_after("0", 5) == 0 and parse_after("5", 5) == 5
    for bad in ("²", "١", "６", "-1", "+1", " 1", "1e3", "", "6", "9" * 5000, "0" * 50 + "1"):
        assert parse_after(bad, 5) is None, bad


async def test_feed_and_viewers_with_edge_values(db, make_user, serve) -> None:
    sc = await build(db, make_user, shelf_qty=5)
    base = serve()
    mine = {"Authorization": f"Bearer {await _token(base, sc.host.phone)}"}
    feed = f"ws://{base}/ws/live/{sc.session_id}/feed"
    for bad in ("%C2%B2", "9" * 5000, str(2**63), "%C3%A9", "-1"):
        async with websockets.connect(f"{feed}?after={bad}", additional_headers=mine) as ws:
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await ws.recv()
        assert closed.value.rcvd.code == 4400, bad
    for session_id in (0, 2**31, 2**63):
        for path in (f"/ws/live/{session_id}/feed?after=0", f"/ws/live/{session_id}/viewers"):
            with pytest.raises(websockets.InvalidStatus) as refused:
                async with websockets.connect(f"ws://{base}{path}", additional_headers=mine):
                    pass
            assert refused.value.response.status_code == 403, path
