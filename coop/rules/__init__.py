"""Pure cooperative rules: no I/O, easy to prove with property tests."""
