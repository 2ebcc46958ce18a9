"""The cooperative domain's error codes (shown with their meanings at /schema)."""

from __future__ import annotations

from caoyuan.errors import ErrorCode


class CoopCode(ErrorCode):
    YEAR_CLOSED = "year_closed", "这一年的分配已入账（年结），不能再记这一年的凭证"
    YEAR_NOT_ENDED = "year_not_ended", "这一年还没过完，不能入账年度分配"
    NAME_TAKEN = "name_taken", "已有同名的合作社"
    CREDIT_CODE_TAKEN = "credit_code_taken", "这个统一社会信用代码已登记过"
