"""待办事项: each side sees what waits for its own action, and nothing of anyone else's."""

from __future__ import annotations

from datetime import timedelta

from protos.inspection.v1 import disposals_pb2, quality_issues_pb2
from protos.inspection.v1 import todos_pb2 as pb
from services.inspection.domain.fields import today
from services.inspection.tests.commission_support import commission_request, submitted
from services.inspection.tests.filing_support import applied, filed


def _todos(inspection, actor) -> set[tuple[str, str]]:
    found = inspection.act(actor, "ListTodos", pb.ListTodosRequest(page_size=200))
    assert found.total_size == len(found.todos)
    return {(pb.TodoKind.Name(t.kind), t.action) for t in found.todos}


def test_an_institution_sees_what_waits_for_it(inspection):
    institution, filing = filed(inspection, name="待办检验机构")
    customs = inspection.customs("5100")
    enterprise = inspection.enterprise()
    sent = submitted(inspection, enterprise, filing.id)
    inspection.act(customs, "CreateQualityIssue", quality_issues_pb2.CreateQualityIssueRequest(
        filing_id=filing.id, title="待办问题", description="描述"))
    inspection.act(customs, "CreateDisposal", disposals_pb2.CreateDisposalRequest(
        filing_id=filing.id, kind=disposals_pb2.RECTIFICATION, reason="整改",
        ends_on=(today() + timedelta(days=10)).isoformat()))
    assert _todos(inspection, institution) == {
        ("COMMISSION", "受理或退回业务委托"), ("QUALITY_ISSUE", "回复工作质量问题"), ("DISPOSAL", "提交整改材料")}
    page = inspection.act(institution, "ListTodos", pb.ListTodosRequest(page_size=1))
    assert len(page.todos) == 1 and page.total_size == 3 and page.next_page_token
    assert any(t.record_id == sent.id for t in inspection.act(institution, "ListTodos",
                                                                pb.ListTodosRequest()).todos)


def test_an_enterprise_sees_its_drafts_and_returned_commissions_only(inspection):
    _, filing = filed(inspection, name="企业待办机构")
    enterprise, other = inspection.enterprise("待办企业"), inspection.enterprise("无关企业")
    draft = inspection.act(enterprise, "CreateCommission", commission_request(filing.id))
    found = inspection.act(enterprise, "ListTodos", pb.ListTodosRequest()).todos
    assert [(t.record_id, t.action) for t in found] == [(draft.id, "完善业务委托后提交")]
    assert not inspection.act(other, "ListTodos", pb.ListTodosRequest()).todos


def test_customs_sees_the_reviews_waiting_for_it(inspection):
    institution = inspection.institution("待审机构")
    waiting = applied(inspection, institution)
    customs = inspection.customs("0900")
    found = inspection.act(customs, "ListTodos", pb.ListTodosRequest(page_size=200)).todos
    assert (waiting.id, "审核备案申请") in {(t.record_id, t.action) for t in found}
