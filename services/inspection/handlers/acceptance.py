"""业务受理 (manual §1.4): the institution accepts a submitted commission (受理中), returns it with a reason
(补充材料), or completes it with the result attachment, its certificate number and validity (检验完成).

An institution under a disposal takes no commission and issues no result; it may still return one, so
the enterprise can choose another institution.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from services.chassis.db import utcnow
from services.chassis.documents.content import Upload
from services.chassis.errors import InvalidArgument, PermissionDenied, Violations
from services.inspection.config import InspectionContext
from services.inspection.domain.fields import Field, certificate_number, parse_date, today
from services.inspection.domain.states import COMMISSION, COMPLETED, IN_PROGRESS, SUPPLEMENT
from services.inspection.handlers.access import Viewer, require_member
from services.inspection.handlers.attachments import count, store_upload
from services.inspection.handlers.commissions import (
    COMMISSION_ATTACHMENTS,
    CommissionView,
    commission_view,
    is_institution_of,
    publish_to_enterprise,
    still_chosen,
    visible_commission,
)
from services.inspection.models import Commission

REASON = Field("退回原因", 1000, multiline=True)
CERTIFICATE = Field("检验机构证书编号", 40, check=certificate_number)
RESULT = "RESULT"


@dataclass(frozen=True)
class Result:
    certificate_number: str
    valid_until: str
    # The result attachment, when it comes with the call rather than uploaded before.
    file: Upload | None = None


def _act(context: InspectionContext, commission_id: str, target: str,
         work: Callable[[object, Viewer, Commission], None]) -> CommissionView:
    viewer = require_member()
    with context.unit_of_work() as uow:
        session = uow.session
        commission = visible_commission(session, viewer, commission_id, lock=True)
        if not is_institution_of(viewer, commission):
            raise PermissionDenied("仅限受托的装运前检验机构办理业务受理", reason="INSTITUTION_ONLY")
        COMMISSION.check(commission.status, target)
        work(uow, viewer, commission)
        COMMISSION.move(commission, target)
        commission.updated_at = utcnow()
        uow.commit()
        return commission_view(session, commission)


def accept_commission(context: InspectionContext, commission_id: str) -> CommissionView:
    """接受委托: 受理中."""
    def work(uow, _viewer: Viewer, commission: Commission) -> None:
        still_chosen(uow.session, commission)
        commission.accepted_at = utcnow()
        publish_to_enterprise(uow, "inspection.commission.accepted", commission)

    return _act(context, commission_id, IN_PROGRESS, work)


def return_commission(context: InspectionContext, commission_id: str, reason: str) -> CommissionView:
    """退回: 补充材料, with the reason the enterprise hears."""
    require_member()  # authenticate before the reason is judged
    reason = reason.strip()
    if problem := REASON.problem(reason):
        raise InvalidArgument.for_field("reason", problem)

    def work(uow, _viewer: Viewer, commission: Commission) -> None:
        commission.return_reason, commission.returned_at = reason, utcnow()
        publish_to_enterprise(uow, "inspection.commission.returned", commission, reason=reason)

    return _act(context, commission_id, SUPPLEMENT, work)


def complete_commission(context: InspectionContext, commission_id: str, result: Result) -> CommissionView:
    """检验结果: 检验完成 once a result attachment is there, with the certificate number and its validity."""
    require_member()  # authenticate before the result is judged
    violations = Violations()
    number = result.certificate_number.strip().upper()
    if problem := CERTIFICATE.problem(number):
        violations.add("certificateNumber", problem)
    valid_until = parse_date(result.valid_until, "validUntil", "证书有效期", violations)
    if valid_until is not None and valid_until < today():
        violations.add("validUntil", "证书有效期不能早于今天")
    violations.raise_if_any("检验结果有误")

    def work(uow, viewer: Viewer, commission: Commission) -> None:
        still_chosen(uow.session, commission)
        if result.file is not None:
            store_upload(context, uow, COMMISSION_ATTACHMENTS, viewer, commission.id, RESULT, result.file)
        if not count(context, uow.session, COMMISSION_ATTACHMENTS, commission.id, (RESULT,)):
            raise InvalidArgument.for_field("file", "请上传检验结果附件")
        commission.result_certificate_number, commission.result_valid_until = number, valid_until
        commission.completed_at = utcnow()
        publish_to_enterprise(uow, "inspection.commission.completed", commission, certificateNumber=number,
                              validUntil=valid_until.isoformat())

    return _act(context, commission_id, COMPLETED, work)
