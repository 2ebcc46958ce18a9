"""The heap a server has built by the time it starts serving, kept out of the garbage collector's sweeps,
and full sweeps made rarer.

Everything imported and made at start-up (SQLAlchemy's mappers and compiled caches, Litestar's routes,
templates, the settings) lives as long as the process. Python's full collection still walks all of it
whenever enough new objects have piled up, and under a booking flood (thousands of ORM rows a second) that
walk stopped the event loop for 100–900 ms every few seconds: every request in flight, a quote included,
waited for it. ``gc.freeze()`` moves those objects to a permanent generation that collections skip; what
requests allocate is collected as before.

Python also sweeps everything not frozen after every 10 sweeps of the middle generation, once enough has
been promoted since the last full one; ``CALM`` makes those full sweeps ten times rarer (a flood's waiting
requests, promoted, had made them come every 0.7 s, 15–60 ms each).

While requests queue at an admission gate (``caoyuan.web.admission``: a booking flood), ``flooding(True)``
switches to ``FLOOD``. CPython sweeps the young generation once its count of allocations minus
deallocations passes the first threshold, and a deallocation of any object counts, old ones too. A thousand
bookings wait at the gate about 0.4 s each; those that outlived a sweep and died later cancelled out the new
ones arriving, so with 700 the young generation was swept about once a second, by then holding the waiting
requests' 50,000 objects: a 10–20 ms pause every second, which was the quote's p99 (16–23 ms). With 100 a
sweep comes seven times as often and holds a seventh as much (2–3 collections over 2 ms in a run instead of
14–17); the middle generation, filled that much faster, is swept every 3 young sweeps, and full sweeps wait
for 2,000 middle ones, about as many allocations apart as in ``CALM`` (100 × 3 × 2,000 against 700 × 10 ×
100). Back to back (``booking_race.py``, the same hour): quote p99 23.4 and 15.6 ms with ``CALM``, 8.7 and
7.2 ms with ``FLOOD``; bookings/s 2,255 and 2,366 against 2,586 and 2,821. Only under a flood: always on,
the trivial route cost ~5 % more CPU (0.146 against 0.139 ms a request, medians of six alternated runs).

Sweeping the youngest every 10,000 allocations instead of 700 took an in-process intake from 410 to 77 ms
of collections for 6,000 orders (``benchmarks/intake_cpu.py`` without the freeze), but in the server, after
the freeze, it changed neither the trivial route's nor an order's CPU (0.137 and 0.311 ms against
0.137–0.145 and 0.312, ``flash_sale.py`` back to back): not kept.
"""

from __future__ import annotations

import gc

# (young, middle, full): net allocations between sweeps of generation 0, sweeps of generation 0 between
# sweeps of generation 1, sweeps of generation 1 between full sweeps. Python's own: (700, 10, 10).
CALM = (700, 10, 100)
FLOOD = (100, 3, 2000)
_served = False  # thresholds are a served process's only: a test process keeps Python's


def freeze_startup_heap() -> int:
    """Collect what start-up left behind, freeze the rest, and sweep fully less often; returns how many
    objects are now frozen."""
    gc.collect()
    gc.freeze()
    global _served
    _served = True
    gc.set_threshold(*CALM)
    return gc.get_freeze_count()


def flooding(on: bool) -> None:
    """Requests are queueing at an admission gate (on) or no longer are (off)."""
    if _served:
        gc.set_threshold(*(FLOOD if on else CALM))
