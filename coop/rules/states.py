"""The cooperative's transition tables, in one place: the yearly distribution's life."""

from __future__ import annotations

from caoyuan.states import Transitions

DISTRIBUTION = Transitions.of(
    "state",
    approve=(("draft",), "approved"),  # by the member assembly
    withdraw=(("approved",), "draft"),  # inputs changed after the vote: recompute, vote again
    post=(("approved",), "posted"),  # journal written, member accounts credited
    settle=(("posted",), "paid"),  # the last member paid
    pay=(("posted", "paid"), None),  # pay one member
)
