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
for 2,000 middle ones (100 × 3 × 2,000 allocations apart, as 700 × 10 × 100 were when ``CALM`` began at
700). Back to back (``booking_race.py``, the same hour): quote p99 23.4 and 15.6 ms with ``CALM``, 8.7 and
7.2 ms with ``FLOOD``; bookings/s 2,255 and 2,366 against 2,586 and 2,821. Only under a flood: always on,
the trivial route cost ~5 % more CPU (0.146 against 0.139 ms a request, medians of six alternated runs).

``CALM`` sweeps the young generation every 7,000 net allocations, not Python's 700. An order in flight
allocates a few hundred objects across several turns of the loop; at 700 the young sweep came many times
an order and promoted whatever 64 orders in flight held at that moment, to be swept again in the middle
generation. In a flash sale that sweeping was ~5 % of the server's CPU (py-spy with native frames:
``gc_collect_main``). Alternated runs (``flash_sale.py --rounds 2``, four pairs): an order 0.142–0.176 ms of
the server's CPU at 7,000 against 0.147–0.236 at 700 (lower in 7 of 8 rounds), the trivial route unchanged
(0.077–0.089 against 0.075–0.100 ms). Session 5 had found no change at 10,000, when an order cost twice
as much elsewhere.
"""

from __future__ import annotations

import gc

# (young, middle, full): net allocations between sweeps of generation 0, sweeps of generation 0 between
# sweeps of generation 1, sweeps of generation 1 between full sweeps. Python's own: (700, 10, 10).
CALM = (7000, 10, 100)
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
