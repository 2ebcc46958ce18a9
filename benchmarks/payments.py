"""How many payments per second the kernel's AlipayGateway creates, and what signing costs.

    .venv/bin/python benchmarks/payments.py [--count 4000] [--concurrency 64]

Paths measured (all with real RSA2 signatures, 2048-bit keys):

* ``wap_pay_url`` — the phone path: SDK request classes, OpenSSL signature in the crypto pool, signed URL.
  No network call (Alipay's WAP pay is a redirect), so this is the whole cost of creating one.
* ``precreate`` over a null transport — the computer (QR) path without a network: the request is signed,
  "sent" to a transport that answers a canned, correctly signed Alipay response, and the answer's
  signature is verified. This is the kernel's share of a real precreate; the rest is Alipay's latency,
  which concurrency hides.
* ``precreate`` against the in-process sandbox — everything above plus the sandbox's own work (Litestar,
  request-signature check, a SQLite read, a signed answer) on the same two cores. Shown for reference.

``payments_per_s`` in the JSON line is the slower of the first two (the kernel's cost per payment).
Also printed: the SDK's pure-Python signer vs OpenSSL, and the worst event-loop stall seen meanwhile.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * pct / 100))]


class LoopWatch:
    """Ticks every 5 ms and remembers the longest gap: a blocked loop shows up here."""

    def __init__(self) -> None:
        self.worst = 0.0
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        last = time.perf_counter()
        while True:
            await asyncio.sleep(0.005)
            now = time.perf_counter()
            self.worst = max(self.worst, now - last - 0.005)
            last = now

    def __enter__(self) -> LoopWatch:
        self._task = asyncio.get_running_loop().create_task(self._run())
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._task is not None
        self._task.cancel()


async def _drive(count: int, concurrency: int, make: Callable[[int], Awaitable[object]]) -> tuple[float, list[float]]:
    latencies: list[float] = []
    numbers = iter(range(count))

    async def worker() -> None:
        for n in numbers:
            started = time.perf_counter()
            await make(n)
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return count / (time.perf_counter() - started), latencies


def _report(name: str, rate: float, latencies: list[float], stall: float) -> dict[str, float]:
    p50, p99 = _percentile(latencies, 50) * 1000, _percentile(latencies, 99) * 1000
    print(
        f"{name:<34} {rate:8.0f} /s   p50 {p50:6.2f} ms   p99 {p99:6.2f} ms   worst loop stall {stall * 1000:5.1f} ms"
    )
    return {"per_s": rate, "p50_ms": p50, "p99_ms": p99, "stall_ms": stall * 1000}


def _signers(config) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    from alipay.aop.api.util.SignatureUtils import sign_with_rsa2

    from caoyuan.payments.keys import private_pem_pkcs1
    from caoyuan.payments.signing import sign_now

    content = (
        'app_id=9021000000000001&biz_content={"out_trade_no":"CY-000001","subject":"草原羊肉",'
        '"total_amount":"128.50"}&charset=utf-8&format=JSON&method=alipay.trade.precreate'
        "&notify_url=http://127.0.0.1:8000/pay/alipay/notify&sign_type=RSA2"
        "&timestamp=2026-11-21 20:00:00&version=1.0"
    )
    pem = private_pem_pkcs1(config.app_private_key)
    started = time.perf_counter()
    for _ in range(20):
        sdk = sign_with_rsa2(pem, content, "utf-8")
    sdk_ms = (time.perf_counter() - started) / 20 * 1000
    started = time.perf_counter()
    for _ in range(500):
        ours = sign_now(config.app_private_key, content)
    openssl_ms = (time.perf_counter() - started) / 500 * 1000
    assert ours == sdk, "OpenSSL and the SDK must produce the same RSA2 signature"
    return sdk_ms, openssl_ms


def _null_transport(config) -> httpx.MockTransport:  # type: ignore[no-untyped-def]
    """Answers every call with one canned precreate response, signed by the sandbox's Alipay key."""
    from caoyuan.payments import signing

    body = {"code": "10000", "msg": "Success", "out_trade_no": "CY-BENCH", "qr_code": "https://qr.alipay.com/bax0"}
    sign = signing.sign_now(config.sandbox.alipay_private_key, signing.response_content(body))
    text = signing.signed_response("alipay.trade.precreate", body, sign).encode()
    return httpx.MockTransport(lambda request: httpx.Response(200, content=text))


async def main(count: int, concurrency: int) -> dict[str, float]:
    workdir = Path(tempfile.mkdtemp(prefix="caoyuan-bench-pay-"))
    os.environ["CAOYUAN_ALIPAY_SANDBOX_KEY_DIR"] = str(workdir / "keys")
    from caoyuan.db import create_database
    from caoyuan.db.migrate import upgrade
    from caoyuan.payments import AlipayGateway, gateway_for, get_payment_config
    from caoyuan.payments.sandbox.app import create_sandbox_app
    from caoyuan.payments.signing import crypto_pool
    from caoyuan.settings import load_settings

    url = f"sqlite+aiosqlite:///{workdir / 'bench.db'}"
    upgrade(url)
    settings = load_settings(
        database_url=url,
        environment="test",
        secret_key="b" * 40,
        payments="sandbox",
        public_base_url="http://127.0.0.1:8000",
    )
    config = get_payment_config(settings)
    load = os.getloadavg()[0]
    print(
        f"{os.cpu_count()} CPUs (load average {load:.1f} when starting: other work shares them), "
        f"crypto pool of {crypto_pool()._max_workers} threads, {count} payments per path, {concurrency} at a time\n"
    )

    sdk_ms, openssl_ms = _signers(config)
    print(f"{'one RSA2 signature, SDK (pure Python)':<34} {sdk_ms:8.2f} ms")
    print(f"{'one RSA2 signature, OpenSSL':<34} {openssl_ms:8.2f} ms\n")

    results = {}
    async with AlipayGateway(config) as gateway:
        await gateway.wap_pay_url("CY-WARM", 12850, "草原羊肉 2 斤")
        with LoopWatch() as watch:
            rate, lat = await _drive(
                count, concurrency, lambda n: gateway.wap_pay_url(f"CY-{n:08d}", 12850, "草原羊肉 2 斤")
            )
        results["wap"] = _report("wap_pay_url (no network)", rate, lat, watch.worst)

    async with AlipayGateway(config, transport=_null_transport(config)) as gateway:
        await gateway.precreate("CY-BENCH", 12850, "草原羊肉 2 斤")
        with LoopWatch() as watch:
            rate, lat = await _drive(
                count, concurrency, lambda n: gateway.precreate("CY-BENCH", 12850, "草原羊肉 2 斤")
            )
        results["precreate_null"] = _report("precreate (null transport)", rate, lat, watch.worst)

    database = create_database(url, 8)
    app = create_sandbox_app(settings, database)
    gateway = gateway_for(app)
    sandbox_count = max(200, count // 4)
    with LoopWatch() as watch:
        rate, lat = await _drive(
            sandbox_count, concurrency, lambda n: gateway.precreate(f"CY-{n:08d}", 12850, "草原羊肉 2 斤")
        )
    results["precreate_sandbox"] = _report("precreate (in-process sandbox)", rate, lat, watch.worst)
    await gateway.aclose()
    await database.dispose()

    slower = min(("wap", "precreate_null"), key=lambda k: results[k]["per_s"])
    summary = {
        "payments_per_s": round(results[slower]["per_s"]),
        "p99_ms": round(results[slower]["p99_ms"], 2),
        "measured_path": "wap_pay_url" if slower == "wap" else "precreate_null_transport",
        "wap_pay_url_per_s": round(results["wap"]["per_s"]),
        "precreate_null_transport_per_s": round(results["precreate_null"]["per_s"]),
        "precreate_sandbox_per_s": round(results["precreate_sandbox"]["per_s"]),
        "precreate_sandbox_p99_ms": round(results["precreate_sandbox"]["p99_ms"], 2),
        "worst_loop_stall_ms": round(max(r["stall_ms"] for r in results.values()), 2),
        "sdk_signer_ms": round(sdk_ms, 2),
        "openssl_signer_ms": round(openssl_ms, 3),
        "goal_payments_per_s": 500,
        "concurrency": concurrency,
        "load_avg_1m_at_start": round(load, 2),
        "median_of_paths_per_s": round(statistics.median(r["per_s"] for r in results.values())),
    }
    return summary


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=4000)
    parser.add_argument("--concurrency", type=int, default=64)
    args = parser.parse_args()
    summary = asyncio.run(main(args.count, args.concurrency))
    print()
    print(json.dumps(summary, ensure_ascii=False))
    sys.exit(0)
