"""Pure machinery rules: prices, weighted capacity, the scheduling proposal, booking states. No I/O."""
