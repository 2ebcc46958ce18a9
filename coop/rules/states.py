"""The cooperative's transition tables, in one place: a member household's status and the yearly distribution's life."""

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

# 成员身份认定: a member's status; a deceased member's holding passes to an heir, a withdrawn one may come back
MEMBER = Transitions.of(
    "status",
    readmit=(("suspended", "withdrawn"), "admitted"),
    suspend=(("admitted",), "suspended"),
    withdraw=(("admitted", "suspended"), "withdrawn"),
    record_death=(("admitted", "suspended"), "deceased"),
)
# the pages and the API name the status a member moves to; this is the action that moves them there
MEMBER_ACTION_TO = {move.to: action for action, move in MEMBER.moves.items()}
