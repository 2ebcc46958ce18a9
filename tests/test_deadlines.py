"""Deadlines checked by one timer: a stuck await is cancelled as Overdue, the others are left alone."""

from __future__ import annotations

import asyncio

import pytest

from caoyuan.web.deadlines import CHECK_S, Deadlines, Overdue


async def test_an_await_that_finishes_in_time_returns_its_value_and_leaves_nothing_behind() -> None:
    deadlines = Deadlines()

    async def quick() -> int:
        await asyncio.sleep(0)
        return 7

    assert await deadlines.within(0.05, quick()) == 7
    await asyncio.sleep(0.1)  # past the deadline: the timer finds nothing to cancel
    assert deadlines._running == {} and deadlines._overdue == set()
    assert await deadlines.within(0.05, quick()) == 7  # and the task was not cancelled meanwhile


async def test_a_stuck_await_is_overdue_and_the_others_finish() -> None:
    deadlines = Deadlines()
    stuck_started = asyncio.Event()

    async def stuck() -> None:
        stuck_started.set()
        await asyncio.sleep(3600)  # a client that never reads

    async def steady(n: int) -> int:
        for _ in range(20):  # keeps sending past the stuck one's deadline
            await deadlines.within(0.05, asyncio.sleep(0.01))
        return n

    loop = asyncio.get_running_loop()
    started = loop.time()
    stuck_task = asyncio.create_task(deadlines.within(0.05, stuck()))
    results = await asyncio.gather(*(steady(n) for n in range(5)))
    with pytest.raises(Overdue):
        await stuck_task
    assert loop.time() - started < 0.05 + CHECK_S + 0.5
    assert results == list(range(5))
    assert deadlines._running == {} and deadlines._overdue == set()


async def test_a_cancel_from_outside_stays_a_cancel() -> None:
    deadlines = Deadlines()
    task = asyncio.create_task(deadlines.within(10, asyncio.sleep(3600)))
    await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert deadlines._running == {}


async def test_a_task_cancelled_from_outside_as_well_as_overdue_is_not_swallowed() -> None:
    deadlines = Deadlines()
    task = asyncio.create_task(deadlines.within(10, asyncio.sleep(3600)))
    await asyncio.sleep(0)  # under way
    deadline, cancels = deadlines._running[task]
    deadlines._running[task] = (0.0, cancels)  # as if its deadline had passed
    deadlines._check(asyncio.get_running_loop())  # the deadline's cancel ...
    task.cancel()  # ... and a shutdown's, before the task runs again
    with pytest.raises(asyncio.CancelledError):
        await task
