"""Every status of the rare_earth service, and the machine each moves by (chassis StateMachine).

Each machine is bound to its column in the models (``status_column``), so a flush refuses a
change its machine does not allow; handlers change a status only with ``move``, ``update`` or
``update_one``.
"""

from __future__ import annotations

from services.chassis.states import StateMachine

DRAFT = "DRAFT"
PENDING_REVIEW = "PENDING_REVIEW"
PENDING = "PENDING"
APPROVED = "APPROVED"
REJECTED = "REJECTED"
DECLARED = "DECLARED"
SUPERSEDED = "SUPERSEDED"
UNCONFIRMED = "UNCONFIRMED"
CONFIRMED = "CONFIRMED"
MISMATCH = "MISMATCH"
VALID = "VALID"
INVALID = "INVALID"
EXPIRED = "EXPIRED"
OPEN = "OPEN"
CLOSED = "CLOSED"

# A registration (manual §2.2.3): saved as a draft, reviewed by the operating body, edited and
# resubmitted when rejected. Saving again keeps a draft or a rejected registration where it is.
REGISTRATION = StateMachine(
    "REGISTRATION",
    {
        DRAFT: {DRAFT, PENDING_REVIEW},
        REJECTED: {REJECTED, PENDING_REVIEW},
        PENDING_REVIEW: {APPROVED, REJECTED},
        APPROVED: set(),
    },
    {DRAFT: "草稿", PENDING_REVIEW: "审核中", APPROVED: "审核通过", REJECTED: "审核不通过"},
    initial={DRAFT},
)

# An affiliation to a parent (manual §4.2): the parent reviews it, an edit sends it back for review;
# "no parent" is a declaration nobody reviews, replaced once a parent affiliation is asked for.
AFFILIATION = StateMachine(
    "AFFILIATION",
    {
        PENDING: {PENDING, APPROVED, REJECTED},
        APPROVED: {PENDING},
        REJECTED: {PENDING},
        DECLARED: {SUPERSEDED},
        SUPERSEDED: set(),
    },
    {PENDING: "待上级单位审核", APPROVED: "已通过", REJECTED: "未通过", DECLARED: "无隶属关系",
     SUPERSEDED: "已被替代"},
    initial={PENDING, DECLARED},
)

# Whether what an enterprise confirmed of an allocation matches it (manual §7.1). It follows the two
# figures, which change in any order (more quota allocated, a corrected confirmation, a deletion),
# so every state may follow every other.
QUOTA_CONFIRMATION = StateMachine(
    "QUOTA_CONFIRMATION",
    {state: {UNCONFIRMED, CONFIRMED, MISMATCH} for state in (UNCONFIRMED, CONFIRMED, MISMATCH)},
    {UNCONFIRMED: "未确认", CONFIRMED: "已确认", MISMATCH: "确认量与下达量不一致"},
    initial={UNCONFIRMED},
)

# An uploaded ledger file: valid or not once read; a valid one is confirmed, or expires unconfirmed.
LEDGER_IMPORT = StateMachine(
    "LEDGER_IMPORT",
    {VALID: {CONFIRMED, EXPIRED}, INVALID: set(), CONFIRMED: set(), EXPIRED: set()},
    {VALID: "校验通过", INVALID: "校验未通过", CONFIRMED: "已确认导入", EXPIRED: "已过期"},
    initial={VALID, INVALID},
)

# A data-override application (数据覆盖申请), reviewed once by the office.
OVERRIDE = StateMachine(
    "OVERRIDE",
    {PENDING: {APPROVED, REJECTED}, APPROVED: set(), REJECTED: set()},
    {PENDING: "待审核", APPROVED: "已通过", REJECTED: "未通过"},
    initial={PENDING},
)

# A supervision case (manual §8): open while it moves between holders, closed once.
CASE = StateMachine(
    "CASE",
    {OPEN: {OPEN, CLOSED}, CLOSED: set()},
    {OPEN: "处理中", CLOSED: "已办结"},
    initial={OPEN},
)
