"""The command line as a person runs it: ``python -m caoyuan …`` in a child process (one helper for every test)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path


def caoyuan(
    *args: str, env: dict[str, str] | None = None, input: str | None = None, db: Path | None = None, timeout: int = 300
) -> subprocess.CompletedProcess:
    """Run the CLI and wait; ``db``: a SQLite file to point it at (wide tables, as on an accountant's screen)."""
    full_env = {**os.environ, **(env or {})}
    if db is not None:
        full_env |= {"CAOYUAN_DATABASE_URL": f"sqlite+aiosqlite:///{db}", "COLUMNS": "160"}
    return subprocess.run(
        [sys.executable, "-m", "caoyuan", *args],
        capture_output=True,
        text=True,
        env=full_env,
        input=input,
        timeout=timeout,
    )


async def caoyuan_async(*args: str, url: str) -> tuple[int, str]:
    """The same from an async test, without blocking its loop: (exit code, stdout and stderr together)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "caoyuan",
        *args,
        env={**os.environ, "CAOYUAN_DATABASE_URL": url},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await process.communicate()
    return process.returncode or 0, out.decode()
