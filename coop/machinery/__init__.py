"""Harvester and machinery bookings per mu — a domain of its own inside the cooperative package."""
