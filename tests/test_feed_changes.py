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


async def test_waiters_share_one_timer_that_keeps_the_earliest_deadline() -> None:
    changes = Changes()
    loop = asyncio.get_running_loop()
    patient = [asyncio.create_task(changes.wait(0, 30)) for _ in range(100)]
    await asyncio.sleep(0)
    first_timer = changes._timer
    assert first_timer is not None and first_timer.when() > loop.time() + 20  # one timer for the hundred
    started = loop.time()
    assert await changes.wait(0, 0.05) == 0  # a shorter wait brings the shared timer forward
    assert loop.time() - started < 1
    assert first_timer.cancelled()
    assert all(task.done() and task.result() == 0 for task in patient)  # woken early: "within", not "after"
