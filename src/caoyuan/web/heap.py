"""The heap a server has built by the time it starts serving, kept out of the garbage collector's sweeps,
and full sweeps made rarer.

Everything imported and made at start-up (SQLAlchemy's mappers and compiled caches, Litestar's routes,
templates, the settings) lives as long as the process. Python's full collection still walks all of it
whenever enough new objects have piled up, and under a booking flood (thousands of ORM rows a second) that
walk stopped the event loop for 100–900 ms every few seconds: every request in flight, a quote included,
waited for it. ``gc.freeze()`` moves those objects to a permanent generation that collections skip; what
requests allocate is collected as before.

Python also sweeps everything not frozen after every 10 sweeps of the middle generation, once enough has
been promoted since the last full one. Under a flood, a thousand requests waiting at the admission gate
(``caoyuan.web.admission``) live long enough to be promoted, so full sweeps came every 0.7 s, 15–60 ms each
over the open connections' state: the quote's p99. ``FULL_SWEEP_AFTER`` middle sweeps instead of 10 make
them about ten times rarer; what they find (cycles that outlived two younger sweeps) is freed that much
later.

The young generation is swept every ``YOUNG_SWEEP_AFTER`` allocations instead of 700. An order allocates
hundreds of objects (its request, its ORM instance and state, its share of a batch's rows), so at 700 the
collector ran several times an order and took 15–20 % of the intake's CPU (``benchmarks/intake_cpu.py``:
410 ms of collections for 6,000 orders, 77 ms at these thresholds). The garbage found is the same; it is
found in fewer, larger sweeps.
"""

from __future__ import annotations

import gc

YOUNG_SWEEP_AFTER = 10_000  # allocations between sweeps of the youngest generation (Python's default: 700)
MIDDLE_SWEEP_AFTER = 50  # young sweeps between sweeps of generation 1 (default: 10)
FULL_SWEEP_AFTER = 100  # sweeps of generation 1 between full sweeps (default: 10)
THRESHOLDS = (YOUNG_SWEEP_AFTER, MIDDLE_SWEEP_AFTER, FULL_SWEEP_AFTER)


def freeze_startup_heap() -> int:
    """Collect what start-up left behind, freeze the rest, and sweep fully less often; returns how many
    objects are now frozen."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)
    return gc.get_freeze_count()
