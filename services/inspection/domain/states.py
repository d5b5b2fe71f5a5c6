"""Every status of the inspection service, and the machine each moves by (chassis StateMachine).

Each machine is bound to its column in the models (``status_column``), so a flush refuses a
change its machine does not allow; handlers change a status only with ``move`` or ``update_one``.
"""

from __future__ import annotations

from services.chassis.states import StateMachine

DRAFT = "DRAFT"
SUBMITTED = "SUBMITTED"
ACCEPTED = "ACCEPTED"
NOT_ACCEPTED = "NOT_ACCEPTED"
SUPPLEMENT_REQUIRED = "SUPPLEMENT_REQUIRED"
REVOKED = "REVOKED"
PENDING = "PENDING"
APPROVED = "APPROVED"
REJECTED = "REJECTED"
IN_PROGRESS = "IN_PROGRESS"
SUPPLEMENT = "SUPPLEMENT"
COMPLETED = "COMPLETED"
OPEN = "OPEN"
REPLIED = "REPLIED"
PENDING_SUBMISSION = "PENDING_SUBMISSION"
PASSED = "PASSED"
IN_FORCE = "IN_FORCE"
MATERIALS_SUBMITTED = "MATERIALS_SUBMITTED"
LIFTED = "LIFTED"
ENDED = "ENDED"
EXECUTED = "EXECUTED"

# A filing (备案, manual §1.3): saved as a draft, applied for, and accepted (a certificate number),
# not accepted, or sent back for supplements and applied for again. Revocation (a disposal) ends it;
# the institution may then file anew.
FILING = StateMachine(
    "FILING",
    {
        DRAFT: {SUBMITTED},
        SUBMITTED: {ACCEPTED, NOT_ACCEPTED, SUPPLEMENT_REQUIRED},
        SUPPLEMENT_REQUIRED: {SUBMITTED},
        ACCEPTED: {REVOKED},
        NOT_ACCEPTED: set(),
        REVOKED: set(),
    },
    {DRAFT: "暂存", SUBMITTED: "已申请", ACCEPTED: "已受理", NOT_ACCEPTED: "不予受理",
     SUPPLEMENT_REQUIRED: "补充材料", REVOKED: "已撤销备案"},
    initial={DRAFT},
)

# A change to an accepted filing (备案变更): customs approves (the filing takes the new values) or
# rejects it (the filing keeps the old ones).
FILING_CHANGE = StateMachine(
    "FILING_CHANGE",
    {PENDING: {APPROVED, REJECTED}, APPROVED: set(), REJECTED: set()},
    {PENDING: "待审核", APPROVED: "审核通过", REJECTED: "审核不通过"},
    initial={PENDING},
)

# A commission (业务委托, manual §1.4 and §2.3): the enterprise submits it, the institution accepts it
# (受理中) and completes it with its result, or returns it for supplements (补充材料).
COMMISSION = StateMachine(
    "COMMISSION",
    {
        DRAFT: {SUBMITTED},
        SUBMITTED: {IN_PROGRESS, SUPPLEMENT},
        IN_PROGRESS: {COMPLETED, SUPPLEMENT},
        SUPPLEMENT: {SUBMITTED},
        COMPLETED: set(),
    },
    {DRAFT: "暂存", SUBMITTED: "已提交", IN_PROGRESS: "受理中", SUPPLEMENT: "补充材料", COMPLETED: "检验完成"},
    initial={DRAFT},
)

# A quality problem customs found (质量反馈, manual §1.5), answered once by the institution.
QUALITY_ISSUE = StateMachine(
    "QUALITY_ISSUE",
    {OPEN: {REPLIED}, REPLIED: set()},
    {OPEN: "待回复", REPLIED: "已回复"},
    initial={OPEN},
)

# A supervision check (监督检查, manual §1.6). A document check waits for the institution's files; an
# on-site check starts with customs' result (passed, or a supplement required). Customs passes what
# was submitted or asks again, as often as it takes.
CHECK = StateMachine(
    "CHECK",
    {
        PENDING_SUBMISSION: {SUBMITTED},
        SUBMITTED: {PASSED, SUPPLEMENT_REQUIRED},
        SUPPLEMENT_REQUIRED: {SUBMITTED},
        PASSED: set(),
    },
    {PENDING_SUBMISSION: "待提交材料", SUBMITTED: "待审核", SUPPLEMENT_REQUIRED: "需补充材料", PASSED: "检查通过"},
    initial={PENDING_SUBMISSION, SUPPLEMENT_REQUIRED, PASSED},
)

# A disposal (处置, manual §1.7). Not recognised and rectification are in force until lifted (or, not
# recognised, until its period ends); rectification materials are approved (lifted) or sent back.
# Revoking a filing is done at once (EXECUTED): the filing is revoked and the institution may re-file.
DISPOSAL = StateMachine(
    "DISPOSAL",
    {
        IN_FORCE: {MATERIALS_SUBMITTED, LIFTED, ENDED},
        MATERIALS_SUBMITTED: {IN_FORCE, LIFTED},
        LIFTED: set(),
        ENDED: set(),
        EXECUTED: set(),
    },
    {IN_FORCE: "处置中", MATERIALS_SUBMITTED: "整改材料待审核", LIFTED: "已撤销处置", ENDED: "处置期满",
     EXECUTED: "已执行"},
    initial={IN_FORCE, EXECUTED},
)

# An annual work report (年度报告, manual §1.8): customs opens a year, the institution submits it.
ANNUAL_REPORT = StateMachine(
    "ANNUAL_REPORT",
    {OPEN: {SUBMITTED}, SUBMITTED: set()},
    {OPEN: "待填报", SUBMITTED: "已提交"},
    initial={OPEN},
)
