"""Every status of the ccc_exemption service and the machine each moves by (chassis StateMachine).

Each machine is bound to its column in the models (``status_column``); handlers change a status
only with ``move``, ``update`` or ``update_one``.
"""

from __future__ import annotations

from services.chassis.states import StateMachine

# An application (manual §2.2): the ten states of the list's status column.
DRAFT = "DRAFT"
ACCEPTING = "ACCEPTING"
RETURNED = "RETURNED"
REJECTED = "REJECTED"
FIRST_REVIEW_FAILED = "FIRST_REVIEW_FAILED"
FINAL_REVIEW_FAILED = "FINAL_REVIEW_FAILED"
COMPARISON_FAILED = "COMPARISON_FAILED"
PAPER_COMPARISON = "PAPER_COMPARISON"
ISSUED = "ISSUED"
TERMINATED = "TERMINATED"

APPLICATION_LABELS = {
    DRAFT: "未提交", ACCEPTING: "受理中", RETURNED: "返回修改", REJECTED: "拒绝受理",
    FIRST_REVIEW_FAILED: "初审未通过", FINAL_REVIEW_FAILED: "终审未通过", COMPARISON_FAILED: "对比材料未通过",
    PAPER_COMPARISON: "文件对比中_送纸质材料", ISSUED: "已发证", TERMINATED: "强制终止流程",
}

# ACCEPTING stays ACCEPTING while it moves from post to post (acceptance, first review, final review):
# the post it waits at is a column of its own. A RETURNED application goes back to the post that
# returned it; paper materials are compared by the post that asked for them.
APPLICATION = StateMachine(
    "APPLICATION",
    {
        DRAFT: {DRAFT, ACCEPTING},
        ACCEPTING: {ACCEPTING, RETURNED, REJECTED, FIRST_REVIEW_FAILED, FINAL_REVIEW_FAILED, PAPER_COMPARISON,
                    ISSUED, TERMINATED},
        RETURNED: {RETURNED, ACCEPTING, TERMINATED},
        PAPER_COMPARISON: {ACCEPTING, COMPARISON_FAILED, TERMINATED},
        REJECTED: set(),
        FIRST_REVIEW_FAILED: set(),
        FINAL_REVIEW_FAILED: set(),
        COMPARISON_FAILED: set(),
        ISSUED: set(),
        TERMINATED: set(),
    },
    APPLICATION_LABELS,
    initial={DRAFT},
)

# What states a caller may still edit in: the enterprise its draft and its returned application.
EDITABLE = frozenset({DRAFT, RETURNED})
# Decided, with a reason the enterprise reads (查看未受理原因, 查看审核不通过原因).
FAILED = frozenset({REJECTED, FIRST_REVIEW_FAILED, FINAL_REVIEW_FAILED, COMPARISON_FAILED})

# A certificate modification (修改证明, manual §2.7).
OPEN = "OPEN"
SUBMITTED = "SUBMITTED"
SENT_BACK = "SENT_BACK"
CONFIRMED = "CONFIRMED"

MODIFICATION = StateMachine(
    "MODIFICATION",
    {
        OPEN: {OPEN, SUBMITTED},
        SENT_BACK: {SENT_BACK, SUBMITTED},
        SUBMITTED: {CONFIRMED, SENT_BACK},
        # A later telephone request opens the next modification on the same row.
        CONFIRMED: {OPEN},
    },
    {OPEN: "修改证明", SUBMITTED: "已提交新证明", SENT_BACK: "重新修改证明", CONFIRMED: "已确认"},
    initial={OPEN},
)
# The enterprise edits in these.
MODIFIABLE = frozenset({OPEN, SENT_BACK})

# A pre-write-off (预核销), confirmed once by the port bureau's WRITE_OFF post.
PRE_WRITE_OFF = StateMachine(
    "PRE_WRITE_OFF",
    {SUBMITTED: {CONFIRMED}, CONFIRMED: set()},
    {SUBMITTED: "待确认", CONFIRMED: "已确认"},
    initial={SUBMITTED},
)

# A use record (使用、退运、销毁记录, manual §2.9): saved and edited, submitted, reviewed by FOLLOW_UP.
SAVED = "SAVED"
APPROVED = "APPROVED"
REJECTED_RECORD = "REJECTED"

USE_RECORD = StateMachine(
    "USE_RECORD",
    {SAVED: {SAVED, SUBMITTED}, SUBMITTED: {APPROVED, REJECTED_RECORD}, APPROVED: set(), REJECTED_RECORD: set()},
    {SAVED: "未提交", SUBMITTED: "已提交", APPROVED: "审核通过", REJECTED_RECORD: "审核不通过"},
    initial={SAVED, SUBMITTED},
)
