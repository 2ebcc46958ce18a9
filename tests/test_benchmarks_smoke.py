"""The benchmark scripts still run end to end in their smallest mode, and wrk's Lua sends what it should.

Never a timing: only that each script finishes, ends with its JSON line, and its correctness checks hold (no
oversell, a consistent database, no lost or duplicated feed event, every read a 200).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.conftest import PG_URL

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS = ROOT / "benchmarks"

needs_wrk = pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed (apt-get install -y wrk)")


# ---------------------------------------------------------------- the Lua script, against a recording server


class _Recorder(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    seen: list[tuple[str | None, dict]] = []
    lock = threading.Lock()

    def do_POST(self) -> None:  # noqa: N802 - the http.server protocol
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        with self.lock:
            self.seen.append((self.headers.get("Idempotency-Key"), body))
            refuse = len(self.seen) % 3 == 0
        answer = b'{"code":"sold_out"}' if refuse else b'{"order_no":"L1"}'
        self.send_response(409 if refuse else 201)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args: object) -> None:
        pass


@needs_wrk
def test_every_request_gets_its_own_key_and_phone_and_statuses_are_counted() -> None:
    sys.path.insert(0, str(BENCHMARKS))
    try:
        import _wrk
    finally:
        sys.path.remove(str(BENCHMARKS))
    _Recorder.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        load = _wrk.Load(
            path="/orders",
            method="POST",
            body={"pool_id": 7, "phone": _wrk.PHONE},
            idempotency=True,
            tag="t",
            connections=4,
            threads=2,
            seconds=1,
        )
        result = _wrk.Running(f"http://127.0.0.1:{server.server_address[1]}", load).finish()
    finally:
        server.shutdown()
    keys = [key for key, _ in _Recorder.seen]
    phones = [body["phone"] for _, body in _Recorder.seen]
    assert len(keys) > 10
    assert len(set(keys)) == len(keys), "an Idempotency-Key was sent twice"
    assert len(set(phones)) == len(phones), "a buyer phone was sent twice"
    assert all(len(p) == 11 and p.startswith("138") for p in phones)
    assert {p[3] for p in phones} == {"1", "2"}, "both wrk threads sent, each with its own number"
    assert all(body["pool_id"] == 7 for _, body in _Recorder.seen)
    # Every answer wrk counted was one the server gave (wrk may stop with a few in flight).
    counted = result["statuses"]
    assert set(counted) <= {"201", "409 sold_out"}
    assert sum(counted.values()) == result["requests"] <= len(keys)
    assert counted.get("409 sold_out", 0) > 0 and counted.get("201", 0) > 0
    assert result["client_cpu_s"] >= 0 and "client_saturated" in result


# ---------------------------------------------------------------- the scripts, smallest mode


@pytest.fixture(scope="module")
def bench_env(postgres_url: str) -> dict[str, str]:
    """The scripts' scratch databases next to the test database, with names of their own."""
    return {
        **os.environ,
        "CAOYUAN_BENCH_POSTGRES_URL": PG_URL,
        "CAOYUAN_TEST_POSTGRES_URL": PG_URL,
        "CAOYUAN_BENCH_DB_SUFFIX": f"_smoke_{os.getpid()}",
    }


def _run(script: str, env: dict[str, str], *args: str) -> dict:
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / script), "--small", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    fastest, slowest = result["cpu_canary_ms"]  # the machine's speed just after the run, beside its figures
    assert 0 < fastest <= slowest
    return result


@pytest.fixture(scope="module", autouse=True)
def _drop_scratch_databases(bench_env: dict[str, str]):  # type: ignore[no-untyped-def]
    yield
    from tests.conftest import _blocking, _pg_admin

    suffix = bench_env["CAOYUAN_BENCH_DB_SUFFIX"]
    _blocking(
        _pg_admin(
            *(
                f'DROP DATABASE IF EXISTS "caoyuan_bench_{name}{suffix}" WITH (FORCE)'
                for name in ("flash", "feed", "reads")
            )
        )
    )


@needs_wrk
def test_flash_sale_smallest(bench_env: dict[str, str]) -> None:
    result = _run("flash_sale.py", bench_env, "--rounds", "3")
    assert result["oversold"] == 0 and result["consistent"] is True
    rounds = result["rounds"]  # trivial and orders in turn: the round with the median ratio is the one reported
    assert len(rounds) == 3 and "orders (round 3)" in result["phases"]
    assert all(r["all_sales"] for r in rounds)  # the shelf holds enough for every round of a fast machine
    if not result["client_saturated"]:
        assert result["ratio"] == sorted(r["ratio"] for r in rounds)[1]
        assert any(r["orders_per_s"] == result["orders_per_s"] and r["ratio"] == result["ratio"] for r in rounds)
    assert result["sold"] <= result["stock"]
    assert {"bare Litestar POST", "app trivial POST", "orders (every one a sale)"} <= set(result["phases"])
    assert "bare Litestar POST (round 3)" in result["phases"]  # bare again in every round, beside its trivial
    for one in rounds:
        if one["trivial_ratio"] is not None:
            assert abs(one["trivial_ratio"] - one["trivial_per_s"] / one["bare_per_s"]) < 0.002
    each = sorted(r["trivial_ratio"] for r in rounds if r["trivial_ratio"] is not None)
    if len(each) == 3:
        assert result["trivial_ratio"] == each[1]  # the median of the rounds' own
    assert (result["ratio"] is None) == result["client_saturated"]
    shown = result["server_metrics"]  # the server's /metrics, scraped after the order phases
    answered_201 = result["phases"]["orders (every one a sale)"]["statuses"].get("201", 0) + result["sold"]
    assert shown["orders_placed"] >= answered_201  # counted at commit; the warm-up's orders come on top
    assert shown["intake_refusals"].get("sold_out", 0) >= result["rejected"]
    assert shown["order_route"]["requests"] >= result["sold"] + result["rejected"]
    assert "201" in shown["order_route"]["statuses"]


@needs_wrk
def test_public_reads_smallest(bench_env: dict[str, str]) -> None:
    result = _run("public_reads.py", bench_env)
    for database in ("postgresql", "sqlite"):
        assert result[database]["all_200"] is True
        assert {"bare", "trivial", "healthz", "api", "page"} <= set(result[database])
        rounds = result[database]["rounds"]
        assert len(rounds) == 2  # --small: two rounds, each ratio taken within its own round
        for one in rounds:
            if one["trivial_ratio"] is not None:
                assert abs(one["trivial_ratio"] - one["trivial_per_s"] / one["bare_per_s"]) < 0.002
        ratios = [one["trivial_ratio"] for one in rounds if one["trivial_ratio"] is not None]
        if ratios:
            assert abs(result[database]["trivial_ratio"] - sum(ratios) / len(ratios)) < 0.002  # the median of two


@needs_wrk
def test_booking_race_smallest(bench_env: dict[str, str]) -> None:
    result = _run("booking_race.py", bench_env)
    assert result["over_capacity"] == 0 and result["consistent"] is True
    assert result["errors"] == 0
    server = result["server_booking_statuses"]  # the server's own count, 499s (clients gone) included
    assert server.get("201", 0) >= result["accepted"] and not [s for s in server if s.startswith("5")]


@needs_wrk
def test_feed_latency_smallest(bench_env: dict[str, str]) -> None:
    """The HTTP intake (wrk, paced in Lua); the direct intake is unchanged Python and costs another minute."""
    result = _run("feed_latency.py", bench_env, "--intake", "http")
    assert result["lost"] == 0 and result["duplicated"] == 0 and result["viewer_leaks"] == 0
    assert result["orders"] > 0
