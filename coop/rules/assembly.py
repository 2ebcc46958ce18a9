"""Who may approve a year's distribution, and with how many votes (pure; no I/O).

The meeting's size is never typed in: it is the register on the meeting day (members whose status that
day is 在册), or the charter's number of representatives for a 成员代表大会. Each ballot is recorded by
member, so "134 present, 101 for" is a list of households that can be checked and published.

农民专业合作社 (农民专业合作社法, 2017):
* 成员大会: at least two thirds of the members present, and more than half of all members' votes for
  (art. 30, as this module read it before issue 15; unchanged).
* 成员代表大会: a cooperative of more than 150 members may set one up by its charter; representatives are
  at least 10 % of the members and at least 51 (art. 32, found by search). Its quorum and majority follow
  the 成员大会's, counted over the representatives.

股份经济合作社 (a 农村集体经济组织 under the 农村集体经济组织法, in force 2025-05-01): the law makes the
成员大会 (or, where the charter provides one, a 成员代表大会) the body that decides the collective's income
distribution (第五条(七) 分配、使用集体收益 is one of the organisation's functions; 第四章 组织机构 sets
up the assembly). The article text on quorum and majority was not found by search, so the thresholds here
follow the GUIDE's reading and the charter, not a cited article: at least two thirds of those entitled
present, and at least two thirds of ALL of them (members, or representatives) for — a distribution of
collective income binds every household, so a simple majority of those present is not enough.
"""

from __future__ import annotations

from dataclasses import dataclass

FARMER_REPRESENTATIVES_FROM = 150  # 合作社法 art. 32: more than 150 members
FARMER_REPRESENTATIVES_MIN = 51  # … at least 51 representatives
FARMER_REPRESENTATIVES_SHARE_BP = 1000  # … and about 10 % of the members
BODIES = {"members": "成员大会", "representatives": "成员代表大会"}


class AssemblyError(ValueError):
    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True, slots=True)
class Ballot:
    """Member numbers by how they voted; anyone present who cast no vote is listed as abstaining."""

    votes_for: frozenset[int]
    votes_against: frozenset[int] = frozenset()
    votes_abstain: frozenset[int] = frozenset()

    @property
    def present(self) -> frozenset[int]:
        return self.votes_for | self.votes_against | self.votes_abstain


@dataclass(frozen=True, slots=True)
class Outcome:
    body: str  # "members" or "representatives"
    entitled: int  # members on the register that day, or the charter's representatives
    present: int
    votes_for: int
    votes_against: int
    votes_abstain: int
    rule: str  # the rule applied, in words, for the page and the 公示表


def body_of(representatives: int) -> str:
    return "representatives" if representatives > 0 else "members"


def decide(kind: str, ballot: Ballot, register: frozenset[int], representatives: int = 0) -> Outcome:
    """Check a vote against the law for ``kind`` and the register (member numbers in 在册 that day);
    ``representatives`` > 0 is the charter's 成员代表大会 size. Raises AssemblyError if it did not pass."""
    _check_ballot(ballot, register)
    body = body_of(representatives)
    entitled = representatives if body == "representatives" else len(register)
    if body == "representatives":
        _check_representatives(kind, representatives, len(register))
    if entitled <= 0:
        raise AssemblyError("会议当天名册上没有在册成员，不能表决", "votes_for")
    name = BODIES[body]
    present, ayes = len(ballot.present), len(ballot.votes_for)
    if present > entitled:
        raise AssemblyError(f"出席人数 {present} 多于{name}应到的 {entitled} 人", "votes_for")
    if present * 3 < entitled * 2:
        raise AssemblyError(f"{name}应到 {entitled} 人，实到 {present} 人，不足三分之二，不能作出决议", "votes_for")
    if kind == "shareholding":
        rule = f"{name}应到 {entitled} 人，三分之二以上出席，赞成票达到应到人数的三分之二以上（本社章程）"
        if ayes * 3 < entitled * 2:
            raise AssemblyError(
                f"股份经济合作社的收益分配方案须经{name}全体{_whom(body)}三分之二以上同意："
                f"应到 {entitled} 人，至少 {-(-entitled * 2 // 3)} 票赞成，实得 {ayes} 票，方案未通过",
                "votes_for",
            )
    else:
        rule = f"{name}应到 {entitled} 人，三分之二以上出席，赞成票超过表决权总数的一半（合作社法第三十条）"
        if ayes * 2 <= entitled:
            raise AssemblyError(
                f"赞成票 {ayes} 票未超过{name}表决权总数 {entitled} 的一半，方案未通过（合作社法第三十条）", "votes_for"
            )
    return Outcome(body, entitled, present, ayes, len(ballot.votes_against), len(ballot.votes_abstain), rule)


def _whom(body: str) -> str:
    return "代表" if body == "representatives" else "成员"


def _check_ballot(ballot: Ballot, register: frozenset[int]) -> None:
    groups = (ballot.votes_for, ballot.votes_against, ballot.votes_abstain)
    seen: set[int] = set()
    for group in groups:
        twice = seen & group
        if twice:
            raise AssemblyError(f"社员号 {min(twice)} 投了不止一种票", "votes_against")
        seen |= group
    strangers = ballot.present - register
    if strangers:
        listed = "、".join(str(n) for n in sorted(strangers)[:5])
        raise AssemblyError(f"社员号 {listed} 在会议当天不是在册成员，不能表决", "votes_for")


def _check_representatives(kind: str, representatives: int, members: int) -> None:
    if representatives > members:
        raise AssemblyError(f"章程的成员代表人数 {representatives} 多于在册成员 {members} 人", "votes_for")
    if kind == "farmer":
        if members <= FARMER_REPRESENTATIVES_FROM:
            raise AssemblyError(
                "成员超过一百五十人的农民专业合作社才能设成员代表大会（合作社法第三十二条）", "votes_for"
            )
        least = max(FARMER_REPRESENTATIVES_MIN, -(-members * FARMER_REPRESENTATIVES_SHARE_BP // 10000))
        if representatives < least:
            raise AssemblyError(
                f"成员代表应不少于成员总数的 10% 且不少于 51 人，本社至少 {least} 人（合作社法第三十二条）", "votes_for"
            )


def parse_numbers(text: str, field: str) -> frozenset[int]:
    """Member numbers as typed on the page: "1-134, 140 150" (commas, spaces, 、 or new lines; a-b ranges)."""
    out: set[int] = set()
    for token in text.replace("，", ",").replace("、", ",").replace("\n", ",").replace(" ", ",").split(","):
        token = token.strip().replace("－", "-").replace("—", "-").replace("～", "-").replace("~", "-")
        if not token:
            continue
        low, _, high = token.partition("-")
        if not low.isdigit() or (high and not high.isdigit()):
            raise AssemblyError(f"“{token}”不是社员号；请写社员号，连续的可写成 1-134", field)
        a, b = int(low), int(high or low)
        if a > b or b - a > 100_000 or b > 999_999:
            raise AssemblyError(f"“{token}”的范围不对", field)
        out.update(range(a, b + 1))
    return frozenset(out)


def format_numbers(numbers: list[int]) -> str:
    """The inverse of parse_numbers, compact: [1, 2, 3, 7] → "1-3, 7"."""
    runs: list[str] = []
    ordered = sorted(numbers)
    i = 0
    while i < len(ordered):
        j = i
        while j + 1 < len(ordered) and ordered[j + 1] == ordered[j] + 1:
            j += 1
        runs.append(str(ordered[i]) if i == j else f"{ordered[i]}-{ordered[j]}")
        i = j + 1
    return ", ".join(runs)
