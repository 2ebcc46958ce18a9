"""`caoyuan feed --session ID`: the host feed as printed lines, for a laptop beside the stream or a
receipt printer. It resumes after a dropped connection from the last sequence number it printed."""

from __future__ import annotations

import asyncio
import json
import os
from datetime import datetime
from pathlib import Path

import click
import httpx
import websockets

from caoyuan.clock import BEIJING

KIND_LABELS = {
    "order_placed": "下单",
    "order_paid": "已付款",
    "order_expired": "超时取消",
    "order_cancelled": "取消",
    "order_refunded": "退款",
    "order_packed": "已打包",
    "order_shipped": "已发货",
    "stock": "库存",
    "pinned": "讲解中",
    "flash_sale_scheduled": "秒杀预告",
    "flash_sale_opened": "秒杀开抢",
    "flash_sale_closed": "秒杀结束",
    "session_live": "开播",
    "session_ended": "下播",
    "shelf_added": "上架",
}


def describe(event: dict) -> str:
    """One line per event, in the host's words."""
    data, kind = event["data"], event["kind"]
    when = datetime.fromisoformat(event["at"]).astimezone(BEIJING).strftime("%H:%M:%S")
    label = KIND_LABELS.get(kind, kind)
    if kind.startswith("order_"):
        detail = f"{data['buyer']} {data['phone']} {data['sku']} ×{data['quantity']} {data['total']}"
        if kind == "order_paid" and "gmv_fen" in data:
            detail += f"（本场累计 ¥{data['gmv_fen'] / 100:,.2f}）"
    elif kind == "stock":
        detail = f"货架 {data['pool_id']} 剩 {data['remaining']} 件"
    elif kind == "pinned":
        detail = f"商品 {data['item_id']}" if data.get("item_id") else "已取消"
    else:
        detail = " ".join(f"{k}={v}" for k, v in data.items() if k in ("item_id", "deal_price_fen", "total_cap"))
    return f"{when} #{event['seq']:<5} {label:<4} {detail}".rstrip()


async def _token(base: str, phone: str, password: str) -> str:
    async with httpx.AsyncClient(timeout=15) as client:
        response = await client.post(f"{base}/api/auth/token", json={"phone": phone, "password": password})
    if response.status_code != 201:
        raise click.ClickException(response.json().get("message", "登录失败"))
    return response.json()["access_token"]


async def follow(base: str, session_id: int, token: str, after: int, state: Path | None) -> None:
    """Print events after ``after`` until interrupted; reconnect with backoff from the last seq printed."""
    ws_base = "ws" + base.removeprefix("http")
    seq, backoff = after, 1.0
    while True:
        try:
            async with websockets.connect(
                f"{ws_base}/ws/live/{session_id}/feed?after={seq}",
                additional_headers={"Authorization": f"Bearer {token}"},
                ping_interval=20,
                max_size=None,
            ) as ws:
                backoff = 1.0
                async for raw in ws:
                    message = json.loads(raw)
                    for event in message.get("events", []) if message["type"] == "events" else []:
                        if event["seq"] <= seq:
                            continue  # never print one twice
                        click.echo(describe(event))
                        seq = event["seq"]
                        if state:
                            state.write_text(str(seq))
        except websockets.InvalidStatus as exc:
            raise click.ClickException(
                f"服务器拒绝连接（HTTP {exc.response.status_code}）：请确认您是这场直播的主播"
            ) from None
        except websockets.ConnectionClosed as exc:
            if exc.rcvd and exc.rcvd.code == 4400:
                raise click.ClickException(f"参数有误：{exc.rcvd.reason}") from None
            click.echo(
                f"… 连接断开（{exc.rcvd.code if exc.rcvd else '网络'}），{backoff:.0f} 秒后从 #{seq} 之后继续", err=True
            )
        except OSError as exc:
            click.echo(f"… 连不上服务器（{exc}），{backoff:.0f} 秒后重试", err=True)
        await asyncio.sleep(backoff)
        backoff = min(backoff * 2, 30.0)


@click.command("feed", help="Print a live session's order feed as lines; resumes after reconnects.")
@click.option("--session", "session_id", type=int, required=True, help="live session id")
@click.option(
    "--url",
    default=lambda: os.environ.get("CAOYUAN_PUBLIC_BASE_URL", "http://127.0.0.1:8000"),
    show_default="CAOYUAN_PUBLIC_BASE_URL or http://127.0.0.1:8000",
)
@click.option("--phone", help="host's phone (or set CAOYUAN_FEED_TOKEN)")
@click.option("--after", type=int, default=None, help="start after this seq (default: saved state, else 0)")
@click.option("--state", type=click.Path(path_type=Path), default=None, help="file that keeps the last seq printed")
def feed(session_id: int, url: str, phone: str | None, after: int | None, state: Path | None) -> None:
    base = url.rstrip("/")
    token = os.environ.get("CAOYUAN_FEED_TOKEN")
    if not token:
        if not phone:
            raise click.UsageError("请用 --phone 登录，或设置 CAOYUAN_FEED_TOKEN")
        token = asyncio.run(_token(base, phone, click.prompt("密码", hide_input=True)))
    if after is None:
        after = int(state.read_text()) if state and state.exists() else 0
    try:
        asyncio.run(follow(base, session_id, token, after, state))
    except KeyboardInterrupt:
        pass
