"""Issue 15 item 1: a distribution is approved as the law for the cooperative's kind requires, by an
assembly whose size comes from the register on the meeting day, with every household's vote recorded."""

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from caoyuan.errors import BadInput
from coop.models import AssemblyBallot, CoopKind
from coop.rules import chart as c
from coop.rules.assembly import AssemblyError, Ballot, decide, format_numbers, parse_numbers
from coop.rules.charter import Terms
from coop.rules.journal import credit, debit
from coop.services.charter import record_charter
from coop.services.contributions import ContributionIn, contribute
from coop.services.distribution import approve, compute_draft
from coop.services.distribution.approve import AssemblyVote
from coop.services.ledger import write_entry
from coop.services.members import change_status
from tests.factories.coop import make_cooperative

SHAREHOLDING = Terms(policy="shareholding", patronage_rate_bp=0, reserve_rate_bp=1500)


@given(st.integers(1, 400), st.data())
def test_a_plan_passes_exactly_when_the_kinds_thresholds_are_met(size, data) -> None:  # type: ignore[no-untyped-def]
    register = frozenset(range(1, size + 1))
    present = data.draw(st.integers(0, size))
    ayes = data.draw(st.integers(0, present))
    ballot = Ballot(frozenset(range(1, ayes + 1)), votes_abstain=frozenset(range(ayes + 1, present + 1)))
    quorum = 3 * present >= 2 * size
    for kind, majority in (("shareholding", 3 * ayes >= 2 * size), ("farmer", 2 * ayes > size)):
        try:
            outcome = decide(kind, ballot, register)
        except AssemblyError:
            assert not (quorum and majority)
        else:
            assert quorum and majority
            assert (outcome.entitled, outcome.present, outcome.votes_for) == (size, present, ayes)


def test_the_issue_case_200_members_134_present_101_for() -> None:
    register = frozenset(range(1, 201))
    ballot = Ballot(frozenset(range(1, 102)), votes_against=frozenset(range(102, 135)))
    decide("farmer", ballot, register)  # a farmers' cooperative: more than half of all members is enough
    with pytest.raises(AssemblyError, match="三分之二以上同意.*至少 134 票赞成，实得 101 票"):
        decide("shareholding", ballot, register)
    decide("shareholding", Ballot(frozenset(range(1, 135))), register)


def test_representatives_and_strangers() -> None:
    register = frozenset(range(1, 201))
    with pytest.raises(AssemblyError, match="不是在册成员"):
        decide("shareholding", Ballot(frozenset({1, 2, 999})), register)
    with pytest.raises(AssemblyError, match="不止一种票"):
        decide("shareholding", Ballot(frozenset({1, 2}), votes_against=frozenset({2})), register)
    # a 成员代表大会 of 60: two thirds of the 60 decide
    outcome = decide("shareholding", Ballot(frozenset(range(1, 41))), register, representatives=60)
    assert outcome.body == "representatives" and outcome.entitled == 60
    with pytest.raises(AssemblyError):
        decide("shareholding", Ballot(frozenset(range(1, 40))), register, representatives=60)
    # 合作社法 art. 32: a farmers' cooperative needs > 150 members and ≥ max(51, 10 %) representatives
    with pytest.raises(AssemblyError, match="第三十二条"):
        decide("farmer", Ballot(frozenset(range(1, 41))), register, representatives=50)


@given(st.sets(st.integers(1, 5000), max_size=300))
def test_member_numbers_round_trip_through_the_page_text(numbers) -> None:  # type: ignore[no-untyped-def]
    assert parse_numbers(format_numbers(list(numbers)), "votes_for") == frozenset(numbers)


def test_page_text_accepts_ranges_and_chinese_separators() -> None:
    assert parse_numbers("1-3，5、7 9\n10～11", "x") == frozenset({1, 2, 3, 5, 7, 9, 10, 11})
    with pytest.raises(AssemblyError):
        parse_numbers("一号", "x")


async def _shareholding_year(s, members: int):  # type: ignore[no-untyped-def]
    coop, people = await make_cooperative(s, members=members, kind=CoopKind.SHAREHOLDING)
    await record_charter(s, coop.id, date(2020, 1, 1), SHAREHOLDING)
    await contribute(s, coop.id, ContributionIn(people[0].id, "cash", date(2024, 3, 1), amount_fen=1_000_00))
    await write_entry(
        s,
        coop.id,
        [debit(c.BANK, 50_000_00), credit(c.OTHER_INCOME, 50_000_00)],
        kind="manual",
        entry_date=date(2025, 6, 1),
    )
    return coop, people, await compute_draft(s, coop.id, 2025)


async def test_a_shareholding_plan_is_approved_by_the_register_and_recorded_by_member(db) -> None:
    async with db.session() as s:
        coop, people, draft = await _shareholding_year(s, 200)
        # 3 of 3 typed in used to approve a 200-member plan: the register says 200
        with pytest.raises(BadInput, match="应到 200 人，实到 3 人"):
            await approve(s, draft.id, AssemblyVote(date(2026, 1, 20), frozenset({1, 2, 3})))
        with pytest.raises(BadInput, match="至少 134 票赞成，实得 101 票"):
            await approve(
                s, draft.id, AssemblyVote(date(2026, 1, 20), frozenset(range(1, 102)), frozenset(range(102, 135)))
            )
        # a household that withdrew before the meeting is off the register: 199 entitled, 133 for suffice
        await change_status(s, people[199].id, "withdrawn", date(2026, 1, 5), "迁出")
        with pytest.raises(BadInput, match="社员号 200 在会议当天不是在册成员"):
            await approve(s, draft.id, AssemblyVote(date(2026, 1, 20), frozenset(range(1, 134)) | {200}))
        dist = await approve(
            s,
            draft.id,
            AssemblyVote(date(2026, 1, 20), frozenset(range(1, 134)), frozenset({150}), frozenset({151, 152})),
        )
        assert (dist.state, dist.assembly_members, dist.assembly_attendance, dist.votes_for) == (
            "approved",
            199,
            136,
            133,
        )
        assert dist.assembly_body == "members" and "三分之二" in dist.assembly_rule
        ballots = (
            await s.execute(
                select(AssemblyBallot.member_no, AssemblyBallot.vote).where(AssemblyBallot.distribution_id == dist.id)
            )
        ).all()
    assert sorted(no for no, how in ballots if how == "for") == list(range(1, 134))
    assert {no: how for no, how in ballots if how != "for"} == {150: "against", 151: "abstain", 152: "abstain"}
