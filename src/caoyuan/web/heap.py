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

The younger generations keep Python's thresholds. Sweeping the youngest every 10,000 allocations instead of
700 took an in-process intake from 410 to 77 ms of collections for 6,000 orders (``benchmarks/intake_cpu.py``
without the freeze), but in the server, after the freeze, it changed neither the trivial route's nor an
order's CPU (0.137 and 0.311 ms against 0.137–0.145 and 0.312, ``flash_sale.py`` back to back): not kept.
"""

from __future__ import annotations

import gc

FULL_SWEEP_AFTER = 100  # sweeps of generation 1 between full sweeps (Python's default: 10)


def freeze_startup_heap() -> int:
    """Collect what start-up left behind, freeze the rest, and sweep fully less often; returns how many
    objects are now frozen."""
    gc.collect()
    gc.freeze()
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, FULL_SWEEP_AFTER)
    return gc.get_freeze_count()
