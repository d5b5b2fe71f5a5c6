"""Every status of the service, as a named constant, and the machine each record moves by."""

from __future__ import annotations

from services.chassis.states import StateMachine

DRAFT, SUBMITTED, IN_REVIEW = "DRAFT", "SUBMITTED", "IN_REVIEW"
APPROVED, REJECTED, VOIDED, PRINTED = "APPROVED", "REJECTED", "VOIDED", "PRINTED"
PENDING, OPEN, HANDLED, CLOSED = "PENDING", "OPEN", "HANDLED", "CLOSED"
EVIDENCE_SUBMITTED, PUBLISHED = "EVIDENCE_SUBMITTED", "PUBLISHED"
NOT_PRINTED, COPY_PRINTED = "NOT_PRINTED", "COPY_PRINTED"

# 贸促会迁移 (§1.2.2): the receiving branch approves (the enterprise's branch changes) or rejects.
BRANCH_MIGRATION = StateMachine(
    "BRANCH_MIGRATION",
    {PENDING: (APPROVED, REJECTED), APPROVED: (), REJECTED: ()},
    {PENDING: "待审核", APPROVED: "审核通过", REJECTED: "审核不通过"},
    initial=(PENDING,),
)

# 产品预审 (§1.3): saved (待发送), sent to CCPIT, approved or rejected; an approved one is voided by CCPIT, by the
# enterprise, or when the adjusted version that replaces it is approved.
PRE_REVIEW = StateMachine(
    "PRE_REVIEW",
    {DRAFT: (SUBMITTED,), SUBMITTED: (APPROVED, REJECTED), REJECTED: (SUBMITTED,), APPROVED: (VOIDED,),
     VOIDED: ()},
    {DRAFT: "待发送", SUBMITTED: "待审核", APPROVED: "审核通过", REJECTED: "审核不通过", VOIDED: "已作废"},
    initial=(DRAFT,),
)
# The pre-reviews an enterprise still edits.
EDITABLE_PRE_REVIEW = (DRAFT, REJECTED)

# 作废提醒 and 转版提醒: open until the enterprise re-declares or adjusts (立即调整).
REMINDER = StateMachine(
    "PRE_REVIEW_REMINDER",
    {OPEN: (HANDLED,), HANDLED: ()},
    {OPEN: "待处理", HANDLED: "已处理"},
    initial=(OPEN,),
)

# 原产地证书 (§1.4): withdrawn (撤回) back to DRAFT until a visa officer starts; APPROVED carries the number;
# printing moves it on; an approved amendment (改证重发) voids it.
CERTIFICATE = StateMachine(
    "CERTIFICATE",
    {DRAFT: (SUBMITTED,), SUBMITTED: (DRAFT, IN_REVIEW, APPROVED, REJECTED), IN_REVIEW: (APPROVED, REJECTED),
     REJECTED: (SUBMITTED,), APPROVED: (PRINTED, VOIDED), PRINTED: (VOIDED,), VOIDED: ()},
    {DRAFT: "草稿", SUBMITTED: "待审核", IN_REVIEW: "审核中", APPROVED: "审核通过", REJECTED: "审核不通过",
     PRINTED: "已打印", VOIDED: "已作废"},
    initial=(DRAFT,),
)
EDITABLE_CERTIFICATE = (DRAFT, REJECTED)
ISSUED = (APPROVED, PRINTED)

# 打印状态: the original prints once; after an approved lost-reissue (失证重发) only a copy, once.
CERTIFICATE_PRINT = StateMachine(
    "CERTIFICATE_PRINT",
    {NOT_PRINTED: (PRINTED,), PRINTED: (COPY_PRINTED,), COPY_PRINTED: ()},
    {NOT_PRINTED: "未打印", PRINTED: "已打印", COPY_PRINTED: "已打印副本"},
    initial=(NOT_PRINTED,),
)

# 失证重发 (§1.4.4.3): the application a visa officer decides.
LOST_REISSUE = StateMachine(
    "LOST_REISSUE",
    {PENDING: (APPROVED, REJECTED), APPROVED: (), REJECTED: ()},
    {PENDING: "待审核", APPROVED: "审核通过", REJECTED: "审核不通过"},
    initial=(PENDING,),
)

# 原产地证书核查 (§1.5): CCPIT asks, the enterprise uploads evidence, CCPIT closes (or asks again).
VERIFICATION = StateMachine(
    "VERIFICATION",
    {OPEN: (EVIDENCE_SUBMITTED, CLOSED), EVIDENCE_SUBMITTED: (OPEN, CLOSED), CLOSED: ()},
    {OPEN: "待处理", EVIDENCE_SUBMITTED: "已上传佐证", CLOSED: "已结束"},
    initial=(OPEN,),
)

# 问卷调查 (§1.9): CCPIT drafts and publishes, then closes; each enterprise saves and submits its answer.
QUESTIONNAIRE = StateMachine(
    "QUESTIONNAIRE",
    {DRAFT: (PUBLISHED,), PUBLISHED: (CLOSED,), CLOSED: ()},
    {DRAFT: "草稿", PUBLISHED: "已发布", CLOSED: "已结束"},
    initial=(DRAFT,),
)
QUESTIONNAIRE_ANSWER = StateMachine(
    "QUESTIONNAIRE_ANSWER",
    {DRAFT: (SUBMITTED,), SUBMITTED: ()},
    {DRAFT: "已保存", SUBMITTED: "已提交"},
    initial=(DRAFT, SUBMITTED),
)
