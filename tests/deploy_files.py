"""The files in deploy/ as the deploy tests read them: compose.yaml with Compose's own ${VAR} rules applied."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"


class MissingVariable(Exception):
    pass


def interpolate(value, env: dict[str, str]):
    """Compose's ${VAR}, ${VAR:-default}, ${VAR:?message} and $$ in every value (not in comments)."""
    if isinstance(value, dict):
        return {k: interpolate(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [interpolate(v, env) for v in value]
    if not isinstance(value, str):
        return value

    def one(match: re.Match) -> str:
        if match.group(0) == "$$":
            return "$"
        name, how, rest = match.group(1), match.group(2), match.group(3)
        current = env.get(name, "")
        if how == ":?" and not current:
            raise MissingVariable(name)
        if how == ":-" and not current:
            return rest
        return current

    return re.sub(r"\$\$|\$\{(\w+)(?:(:[?-])([^}]*))?\}", one, value)


def compose_file() -> dict:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))
