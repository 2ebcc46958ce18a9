from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"  # the cooperative's accountant / village secretary
    HOST = "host"  # live-stream host
    MEMBER = "member"  # cooperative member household
    OPERATOR = "operator"  # machinery operator
    BUYER = "buyer"  # a registered buyer (guests can buy without an account)

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS = {
    Role.ADMIN: "会计 / 村书记",
    Role.HOST: "主播",
    Role.MEMBER: "社员",
    Role.OPERATOR: "农机手",
    Role.BUYER: "买家",
}
