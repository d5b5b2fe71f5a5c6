"""Reference data of the CCC-exemption system: exemption clauses, trade modes, posts, attachment kinds."""

from __future__ import annotations

from services.chassis.documents.content import MB, AttachmentKind, AttachmentKinds

SYSTEM = "ccc_exemption"
SCOPE = "ccc_exemption"

# The nine exemption clauses (AQSIQ Order 117 art. 2, and the CNCA announcements that followed it).
EXEMPTION_CLAUSES: dict[str, str] = {
    "RESEARCH_TESTING": "为科研、测试所需的产品",
    "PRODUCTION_LINE_EVALUATION": "为考核技术引进生产线所需的零部件",
    "END_USER_REPAIR": "直接为最终用户维修目的所需的产品",
    "FACTORY_EQUIPMENT": "工厂生产线/成套生产线配套所需的设备/部件（不包含办公用品）",
    "COMMERCIAL_DISPLAY": "仅用于商业展示，但不销售的产品",
    "TEMPORARY_IMPORT": "暂时进口后需退运出关的产品（含展览品）",
    "EXPORT_COMPLETE_UNITS": "以整机全数出口为目的而用一般贸易方式进口的零部件",
    "PROCESSING_TRADE_EXPORT": "以整机全数出口为目的而用进料或者来料加工方式进口的零部件",
    "OTHER_SPECIAL_USE": "其他因特殊用途免于办理强制性产品认证的情形",
}

TRADE_MODES: dict[str, str] = {
    "GENERAL_TRADE": "一般贸易",
    "PROCESSING_TRADE": "加工贸易（进料加工、来料加工）",
    "TEMPORARY_IMPORT_EXPORT": "暂时进出境（暂时进口复运出口）",
    "OTHER": "其他",
}

# The bureau's posts (岗位): each is a role a staff token carries.
ACCEPTANCE = "ACCEPTANCE"
FIRST_REVIEW = "FIRST_REVIEW"
FINAL_REVIEW = "FINAL_REVIEW"
CERT_CHANGE = "CERT_CHANGE"
WRITE_OFF = "WRITE_OFF"
FOLLOW_UP = "FOLLOW_UP"
POSTS: dict[str, str] = {ACCEPTANCE: "受理岗", FIRST_REVIEW: "初审岗", FINAL_REVIEW: "终审岗",
                         CERT_CHANGE: "证明修改确认岗", WRITE_OFF: "核销岗", FOLLOW_UP: "后续监管岗"}
REVIEW_POSTS = (ACCEPTANCE, FIRST_REVIEW, FINAL_REVIEW)

# Agencies: a CIQ bureau (``CIQ:<bureau code>``), a customs port or district (``CUSTOMS:<code>``), CNCA.
CIQ = "CIQ"
CUSTOMS = "CUSTOMS"
CNCA = "CNCA"

# Attachments (manual §2.1.3): each number of the basic information needs its own kind.
CONTRACT = "CONTRACT"
INVOICE = "INVOICE"
BILL_OF_LADING = "BILL_OF_LADING"
APPLICATION_ATTACHMENTS = AttachmentKinds.of([AttachmentKind(CONTRACT, "合同", 5 * MB),
                                              AttachmentKind(INVOICE, "发票", 5 * MB),
                                              AttachmentKind(BILL_OF_LADING, "提/运单", 5 * MB)])
# The number field of the basic information -> the attachment kind it needs, and how both are called.
NUMBERED_ATTACHMENTS: tuple[tuple[str, str, str], ...] = (
    ("contract_number", CONTRACT, "合同号"),
    ("invoice_number", INVOICE, "发票号"),
    ("bill_of_lading_number", BILL_OF_LADING, "提/运单号"),
)
USE_RECORD_ATTACHMENT = "USE_EVIDENCE"
USE_RECORD_ATTACHMENTS = AttachmentKinds.of([AttachmentKind(USE_RECORD_ATTACHMENT, "使用记录附件", 5 * MB)])

# Use records (manual §2.9).
USER_UNIT = "USER_UNIT"
RETURN_SHIPMENT = "RETURN_SHIPMENT"
DESTRUCTION = "DESTRUCTION"
USE_KINDS: dict[str, str] = {USER_UNIT: "使用单位", RETURN_SHIPMENT: "退运记录", DESTRUCTION: "销毁记录"}

# A draft is kept this many days after it was first saved (manual §2.3).
DRAFT_DAYS = 10
# A certificate's validity when the final review names none.
DEFAULT_VALIDITY_MONTHS = 6
