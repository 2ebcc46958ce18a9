"""One shape for every entity's life: a transition table per entity, action → (from-states, to-state).

Each domain lists its tables in one place (``<domain>/states.py`` or its rules); services ask
``TABLE.allowed(action, state)`` for a clear refusal, and change hot rows with the one guarded statement
:func:`caoyuan.db.transition.transition` (``UPDATE … WHERE state IN (:froms)``), so two racing requests
cannot both move a row. Pure: no I/O, no database.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType


@dataclass(frozen=True)
class Move:
    froms: frozenset[str]
    to: str | None  # None: the action is only allowed in those states and leaves the state as it is


@dataclass(frozen=True)
class Transitions:
    column: str  # the model's state column ("state", "status")
    moves: Mapping[str, Move]

    @classmethod
    def of(cls, column: str, **moves: tuple[Iterable[str], str | None]) -> Transitions:
        table = {action: Move(frozenset(froms), to) for action, (froms, to) in moves.items()}
        return cls(column, MappingProxyType(table))

    def allowed(self, action: str, state: str) -> bool:
        return state in self.moves[action].froms

    def target(self, action: str) -> str | None:
        return self.moves[action].to

    def actions(self, state: str) -> frozenset[str]:
        """What may be done to an entity in this state (for showing only the buttons that work)."""
        return frozenset(action for action, move in self.moves.items() if state in move.froms)
