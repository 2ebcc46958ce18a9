"""Cooperative tables (prefix ``coop_``), one module per area; import them from here.

Money is int fen, areas int hundredths of a mu, rates int basis points.
"""

from coop.models.assets import (  # noqa: F401
    FixedAsset,
    Resource,
)
from coop.models.charter import (  # noqa: F401
    Charter,
)
from coop.models.distribution import (  # noqa: F401
    DISTRIBUTION_STATE_LABELS,
    Allocation,
    AssemblyBallot,
    Distribution,
    DistributionState,
    DistributionStep,
)
from coop.models.grants import (  # noqa: F401
    CoopGrant,
)
from coop.models.ledger import (  # noqa: F401
    VOLUME_LABELS,
    JournalEntry,
    JournalLine,
    MemberVolume,
    Posting,
    VolumeSource,
)
from coop.models.members import (  # noqa: F401
    KIND_LABELS,
    STATUS_LABELS,
    Cooperative,
    CoopKind,
    Member,
    MemberStatus,
    MemberStatusChange,
)
from coop.models.shares import (  # noqa: F401
    ACCOUNT_ITEM_LABELS,
    CONTRIBUTION_LABELS,
    SHARE_OP_LABELS,
    AccountItem,
    Contribution,
    ContributionKind,
    MemberAccountItem,
    ShareOp,
    ShareTransaction,
)
