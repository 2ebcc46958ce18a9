"""Machinery tables (prefix ``machinery_``). Filled in by the machinery bookings work."""
