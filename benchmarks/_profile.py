"""py-spy on a server under load, and the top frames of what it recorded.

    python benchmarks/_profile.py PROFILE.txt [--top 25]    # summarise a raw (collapsed-stack) recording

A recording is py-spy's ``--format raw``: one line per distinct stack, ``frame;frame;…;frame COUNT``
(flamegraph.pl and speedscope read it). The summary gives, for the busiest frames, their *own* share (samples
where the frame was on top) and their *inclusive* share (samples with the frame anywhere on the stack), of
all samples the server was on CPU.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

# Samples a second: enough for shares to a percent in 10 s, little cost to the server. PROFILE_RATE=500 for a
# finer picture; PROFILE_NATIVE=1 adds C frames (the write system calls, the collector, asyncpg's Cython), which
# py-spy can only read with the server paused at each sample: its throughput then means nothing.
RATE = int(os.environ.get("PROFILE_RATE", "100"))
NATIVE = bool(os.environ.get("PROFILE_NATIVE"))


@dataclass
class Recording:
    process: subprocess.Popen
    path: Path


def py_spy() -> str:
    beside = Path(sys.executable).with_name("py-spy")
    found = str(beside) if beside.exists() else shutil.which("py-spy")
    if not found:
        raise SystemExit("py-spy not found: it is in the dev extras (make env)")
    return found


def start(pid: int, seconds: float, folder: Path, name: str) -> Recording:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.txt"
    command = [
        py_spy(),
        "record",
        "--format",
        "raw",
        "--rate",
        str(RATE),
        *(["--native"] if NATIVE else ["--nonblocking"]),
        "--gil",  # only the thread holding the GIL: the log writer thread waiting on its queue is not work
        "--duration",
        str(max(1, int(seconds))),
        "--output",
        str(path),
        "--pid",
        str(pid),
    ]
    return Recording(subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE), path)


def finish(recording: Recording, top: int = 15) -> list[tuple[str, float, float]]:
    _, errors = recording.process.communicate(timeout=120)
    if recording.process.returncode != 0 or not recording.path.exists():
        print(f"  py-spy failed: {errors.decode(errors='replace')[-500:]}")
        return []
    rows = summarise(recording.path, top)
    print(f"  profile {recording.path} — own% / incl% of on-CPU samples:")
    for frame, own, inclusive in rows:
        print(f"    {own:5.1f} {inclusive:5.1f}  {frame}")
    return rows


_LOCATION = re.compile(r" \((?:.*/)?(site-packages/|src/|benchmarks/)?([^()]*)\)$")


def _short(frame: str) -> str:
    """'handle (/…/site-packages/litestar/routes/http.py:123)' → 'handle (litestar/routes/http.py)'."""
    match = _LOCATION.search(frame)
    if not match:
        return frame
    where = match.group(2).rsplit(":", 1)[0]
    return frame[: match.start()] + f" ({where})"


def summarise(path: Path, top: int = 15) -> list[tuple[str, float, float]]:
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        frames = [_short(f) for f in stack.split(";")]
        total += n
        own[frames[-1]] += n
        for frame in set(frames):
            inclusive[frame] += n
    if not total:
        return []
    return [(frame, 100 * n / total, 100 * inclusive[frame] / total) for frame, n in own.most_common(top)]


_PACKAGES = [  # (label, what the leaf frame's file path holds), first match wins
    ("asyncpg", "asyncpg/"),
    ("aiosqlite (its thread and the hand-over)", "aiosqlite/"),
    ("threads (thread pool, sync_to_thread)", "threading.py"),
    ("threads (thread pool, sync_to_thread)", "concurrent/futures/"),
    ("weakref (ORM session snapshots)", "weakref.py"),
    ("sqlalchemy orm", "sqlalchemy/orm/"),
    ("sqlalchemy core (compile, cache keys, execute)", "sqlalchemy/"),
    ("sqlmodel", "sqlmodel/"),
    ("jinja2 (templates)", "jinja2/"),
    ("logging (stdlib + access log)", "logging/"),
    ("the access log", "caoyuan/web/logging.py"),
    ("msgspec", "msgspec/"),
    ("litestar", "litestar/"),
    ("uvicorn / httptools", "uvicorn/"),
    ("asyncio", "asyncio/"),
    ("greenlet", "greenlet/"),
    ("app: kernel (src/caoyuan)", "caoyuan/"),
    ("app: storefront", "storefront/"),
    ("app: streaming", "streaming/"),
    ("app: coop", "coop/"),
]


def by_package(path: Path) -> list[tuple[str, float]]:
    """Own samples by the package of the leaf (running) frame: where the CPU went, layer by layer."""
    counts: Counter[str] = Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        leaf = stack.rsplit(";", 1)[-1]
        label = next((name for name, marker in _PACKAGES if marker in leaf), "other")
        counts[label] += int(count)
        total += int(count)
    return [(label, 100 * n / total) for label, n in counts.most_common()] if total else []


def inclusive_shares(path: Path, patterns: list[str]) -> dict[str, float]:
    """Share of samples whose stack holds a frame matching each pattern (e.g. 'access_log', 'auth_middleware')."""
    hits: Counter[str] = Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        total += int(count)
        for pattern in patterns:
            if pattern in stack:
                hits[pattern] += int(count)
    return {p: round(100 * hits[p] / total, 1) if total else 0.0 for p in patterns}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("path", type=Path)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--match", nargs="*", default=[], help="also: inclusive share of stacks holding these")
    args = parser.parse_args()
    for frame, own, incl in summarise(args.path, args.top):
        print(f"{own:5.1f} {incl:5.1f}  {frame}")
    print("own samples by package of the running frame:")
    for label, share in by_package(args.path):
        print(f"{share:5.1f}  {label}")
    for pattern, share in inclusive_shares(args.path, args.match).items():
        print(f"stacks with {pattern!r}: {share:.1f} %")


if __name__ == "__main__":
    main()
