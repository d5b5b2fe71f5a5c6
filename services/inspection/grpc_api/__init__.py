"""The gRPC servicers, one per service of the protos: request -> plain values -> use case -> view."""

from __future__ import annotations

from services.chassis.server import ServiceBinding
from services.inspection.config import InspectionContext
from services.inspection.grpc_api.commissions import CommissionServicer
from services.inspection.grpc_api.filings import FilingChangeServicer, FilingServicer
from services.inspection.grpc_api.oversight import (
    AnnualReportServicer,
    CheckServicer,
    DisposalServicer,
    QualityIssueServicer,
)
from services.inspection.grpc_api.reference import ReferenceServicer
from services.inspection.grpc_api.todos import TodoServicer

SERVICERS = (ReferenceServicer, FilingServicer, FilingChangeServicer, CommissionServicer, QualityIssueServicer,
             CheckServicer, DisposalServicer, AnnualReportServicer, TodoServicer)


def bindings(context: InspectionContext) -> list[ServiceBinding]:
    return [ServiceBinding.of(servicer(context)) for servicer in SERVICERS]
