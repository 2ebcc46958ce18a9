"""Type-check the four packages; fail on any error the committed baseline does not already count.

The baseline (.ci/mypy-baseline.txt) counts errors per file and error code, so moving code does not break it;
it only shrinks: when a file has fewer errors than counted, the script says so and `--update` rewrites it.
"""

from __future__ import annotations

import collections
import re
import subprocess
import sys
from pathlib import Path

BASELINE = Path(__file__).with_name("mypy-baseline.txt")
PACKAGES = ["src/caoyuan", "coop", "storefront", "streaming"]
ERROR = re.compile(r"^(?P<file>[^:]+):\d+: error: .*\[(?P<code>[\w-]+)\]$")


def current() -> collections.Counter[str]:
    run = subprocess.run([sys.executable, "-m", "mypy", *PACKAGES], capture_output=True, text=True)
    counts: collections.Counter[str] = collections.Counter()
    for line in run.stdout.splitlines():
        if match := ERROR.match(line):
            counts[f"{match['file']} {match['code']}"] += 1
    if run.returncode not in (0, 1) or (run.returncode == 1 and not counts):
        sys.exit(f"mypy did not run:\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}")
    return counts


def load() -> collections.Counter[str]:
    counts: collections.Counter[str] = collections.Counter()
    for line in BASELINE.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            key, _, number = line.rpartition(" ")
            counts[key] = int(number)
    return counts


def write(counts: collections.Counter[str]) -> None:
    lines = [f"{key} {n}" for key, n in sorted(counts.items())]
    BASELINE.write_text(
        "# mypy errors per file and code that are accepted for now; only ever lower these\n" + "\n".join(lines) + "\n"
    )


def main() -> int:
    now = current()
    if "--update" in sys.argv:
        write(now)
        print(f"baseline written: {sum(now.values())} errors in {len(now)} file/code pairs")
        return 0
    accepted = load()
    worse = {key: (n, accepted.get(key, 0)) for key, n in now.items() if n > accepted.get(key, 0)}
    better = [key for key, n in accepted.items() if now.get(key, 0) < n]
    for key, (n, was) in sorted(worse.items()):
        print(f"new type errors: {key}: {n} (baseline {was})")
    if better:
        print(f"{len(better)} file/code pairs now have fewer errors: run `python .ci/mypy_baseline.py --update`")
    print(f"mypy: {sum(now.values())} errors, baseline {sum(accepted.values())}")
    return 1 if worse else 0


if __name__ == "__main__":
    sys.exit(main())
