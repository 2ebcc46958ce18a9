"""Test data, one module per domain, built through each domain's own services.

``coop`` (cooperatives and member households), ``machinery`` (an insured fleet with operators and prices),
``shop`` (order bodies), ``live`` (a live session with a shelf). ID numbers come from
:func:`caoyuan.identity.example_id_number`, the one maker of valid made-up ID numbers.
"""
