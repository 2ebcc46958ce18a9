"""The yearly distribution: compute a draft, approve it, post it, publish it, pay it — or reverse it."""

from coop.services.distribution.approve import approve
from coop.services.distribution.compute import compute_draft
from coop.services.distribution.pay import convert_to_capital, pay, pay_all
from coop.services.distribution.post import post_distribution, reverse_distribution
from coop.services.distribution.publish import publish

__all__ = [
    "approve",
    "compute_draft",
    "convert_to_capital",
    "pay",
    "pay_all",
    "post_distribution",
    "publish",
    "reverse_distribution",
]
