"""Who used how much CPU during a benchmark: per process group, from /proc (Linux)."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path


def cpu_table() -> dict[int, tuple[int, str, float]]:
    """pid -> (parent pid, command line, CPU seconds so far) for every process we may read."""
    tick = os.sysconf("SC_CLK_TCK")
    table = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        table[int(entry.name)] = (int(fields[1]), command, (int(fields[11]) + int(fields[12])) / tick)
    return table


class CpuMeter:
    """Samples /proc twice a second, so processes that end before the load does (generators, their
    PostgreSQL backends) still count; says which group used how many cores during the load."""

    def __init__(self, groups: dict[str, set[int]], database: str | None) -> None:
        self.groups, self.database = groups, database
        self.first: dict[int, float] = {}
        self.last: dict[int, tuple[str, float]] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _group(self, pid: int, parent: int, command: str) -> str | None:
        for name, pids in self.groups.items():
            if pid in pids or parent in pids:
                return name
        # This database's backends and the WAL writer; none on SQLite (database None).
        if (
            self.database
            and command.startswith("postgres:")
            and (f" {self.database} " in command or "walwriter" in command)
        ):
            return "postgres"
        return None

    def _take(self, initial: bool) -> None:
        for pid, (parent, command, cpu) in cpu_table().items():
            if (group := self._group(pid, parent, command)) is None:
                continue
            if initial:
                self.first[pid] = cpu
            self.last[pid] = (group, cpu)

    def _sample(self) -> None:
        while not self._stop.wait(0.5):
            self._take(False)

    def start(self) -> None:
        self._take(True)
        self.busy, self.wall = machine_busy(), time.monotonic()
        self._thread.start()

    def stop(self) -> dict[str, float]:
        self._stop.set()
        self._thread.join()
        self._take(False)
        wall = time.monotonic() - self.wall
        cores: dict[str, float] = {name: 0.0 for name in [*self.groups, "postgres"]}
        for pid, (group, cpu) in self.last.items():
            cores[group] += (cpu - self.first.get(pid, 0.0)) / wall
        busy = machine_busy()
        cores["machine"] = (busy[0] - self.busy[0]) / max(1, busy[1] - self.busy[1]) * (os.cpu_count() or 1)
        return cores


def machine_busy() -> tuple[float, float]:
    """(busy, total) jiffies of all CPUs since boot, from /proc/stat."""
    parts = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = parts[3] + parts[4]
    return sum(parts) - idle, sum(parts)
