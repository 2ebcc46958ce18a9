"""The feed's change signal wakes every waiter at once and never waits on a lock."""

from __future__ import annotations

import asyncio

from caoyuan.feed.changes import Changes


async def test_a_bump_wakes_every_waiter_in_one_turn() -> None:
    changes = Changes()
    woke: list[int] = []

    async def waiter() -> None:
        woke.append(await changes.wait(0, 5))

    tasks = [asyncio.create_task(waiter()) for _ in range(200)]
    await asyncio.sleep(0)  # all are waiting
    changes.bump()
    await asyncio.sleep(0)
    await asyncio.sleep(0)  # one turn for the event's waiters, one for the tasks to finish
    assert woke == [1] * 200
    await asyncio.gather(*tasks)


async def test_a_waiter_behind_the_version_returns_at_once_and_a_quiet_one_times_out() -> None:
    changes = Changes()
    changes.bump()
    assert await changes.wait(0, 5) == 1  # already past what it saw
    async with asyncio.timeout(1):
        assert await changes.wait(1, 0.05) == 1  # nothing new: back after the timeout
