"""Quality issues, supervision checks, disposals and annual reports as protos."""

from __future__ import annotations

from protos.inspection.v1 import annual_reports_pb2, checks_pb2, disposals_pb2, quality_issues_pb2
from services.chassis import wire
from services.chassis.wire import decimal_text
from services.inspection.handlers.checks import CheckView
from services.inspection.models import AnnualReport, Disposal, QualityIssue, SupervisionCheck
from services.inspection.views import day


def quality_issue(q: QualityIssue) -> quality_issues_pb2.QualityIssue:
    pb = quality_issues_pb2.QualityIssue
    return pb(id=q.id, number=q.number, filing_id=q.filing_id, institution_name=q.institution_name,
              status=wire.enum_value(pb.Status, q.status), title=q.title, description=q.description,
              business_number=q.business_number, reply=q.reply, agency=q.agency,
              create_time=wire.timestamp(q.created_at), reply_time=wire.timestamp(q.replied_at))


def check(view: CheckView | SupervisionCheck) -> checks_pb2.Check:
    c = view.check if isinstance(view, CheckView) else view
    steps = view.steps if isinstance(view, CheckView) else []
    pb = checks_pb2.Check
    return pb(id=c.id, number=c.number, filing_id=c.filing_id, institution_name=c.institution_name,
              kind=wire.enum_value(checks_pb2.CheckKind, c.kind), status=wire.enum_value(pb.Status, c.status),
              title=c.title, requirements=c.requirements, opinion=c.opinion, rounds=c.rounds,
              steps=[pb.Step(sequence=s.sequence, action=s.action, text=s.text, time=wire.timestamp(s.created_at))
                     for s in steps],
              agency=c.agency, create_time=wire.timestamp(c.created_at), update_time=wire.timestamp(c.updated_at),
              pass_time=wire.timestamp(c.passed_at))


def disposal(d: Disposal) -> disposals_pb2.Disposal:
    pb = disposals_pb2.Disposal
    return pb(id=d.id, number=d.number, filing_id=d.filing_id, institution_name=d.institution_name,
              kind=wire.enum_value(disposals_pb2.DisposalKind, d.kind), status=wire.enum_value(pb.Status, d.status),
              reason=d.reason, starts_on=day(d.starts_on), ends_on=day(d.ends_on), materials=d.materials,
              opinion=d.opinion, agency=d.agency, create_time=wire.timestamp(d.created_at),
              materials_time=wire.timestamp(d.materials_submitted_at), close_time=wire.timestamp(d.closed_at))


def annual_report(r: AnnualReport) -> annual_reports_pb2.AnnualReport:
    pb = annual_reports_pb2.AnnualReport
    return pb(id=r.id, number=r.number, filing_id=r.filing_id, institution_name=r.institution_name, year=r.year,
              status=wire.enum_value(pb.Status, r.status), requirements=r.requirements, due_on=day(r.due_on),
              inspection_count=r.inspection_count, certificate_count=r.certificate_count,
              goods_value=decimal_text(r.goods_value), currency=r.currency,
              organization_changes=r.organization_changes, quality_management=r.quality_management,
              problems_and_improvements=r.problems_and_improvements, summary=r.summary, agency=r.agency,
              create_time=wire.timestamp(r.created_at), update_time=wire.timestamp(r.updated_at),
              submit_time=wire.timestamp(r.submitted_at))
