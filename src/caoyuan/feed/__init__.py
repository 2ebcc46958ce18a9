"""Event feed plumbing: an outbox of events per stream, numbered in the same transaction as the change.

A domain appends an event while it changes its own rows; the event exists exactly when the change
committed. Readers replay ``WHERE stream = … AND seq > last_seen``; a wake-up (PostgreSQL NOTIFY or an
in-process signal) only tells them to look.
"""

from caoyuan.feed.outbox import FeedEvent, FeedStream, append_event, events_after, last_seq

__all__ = ["FeedEvent", "FeedStream", "append_event", "events_after", "last_seq"]
