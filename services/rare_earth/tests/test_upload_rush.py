"""The reporting window's rush over real gRPC on PostgreSQL: many enterprises upload at once on short deadlines.

Each upload is either answered in time, refused before any work with a retry delay, or stopped
with nothing kept: never left to finish after its caller was told it failed.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import grpc
from sqlalchemy import func, select

from protos.rare_earth.v1 import ledgers_pb2 as ledgers_pb
from protos.rare_earth.v1 import resources_pb2 as resources_pb
from services.chassis.grpc_errors import retry_after_of, status_from_rpc_error
from services.chassis.testing import wait_until
from services.rare_earth.handlers.ledgers import UPLOADS
from services.rare_earth.models import LedgerImport
from services.rare_earth.tests.ledger_support import fill, open_month, sale, template

ENTERPRISES = 10
ROWS = 2000
# The queue estimates at the pace of the last uploads in this process, whatever their size (earlier tests
# upload small files, whose fixed part reads fast): uploads of this file alone first bring it to this file's.
WARM_UPS = 3
# Short enough that ten uploads cannot all be answered inside it, one after another.
DEADLINE_SECONDS = 1.0


def _retry_delay(error: grpc.RpcError) -> float | None:
    return retry_after_of(status_from_rpc_error(error))


def _imports_of(rare_earth, enterprise_id: str, year: int, month: int) -> list[str]:
    with rare_earth.context.engine.connect() as connection:
        return list(connection.scalars(select(LedgerImport.id).where(
            LedgerImport.enterprise_id == enterprise_id, LedgerImport.year == year, LedgerImport.month == month)))


def test_uploads_at_once_are_answered_refused_with_a_delay_or_stopped_never_done_after_a_timeout(rare_earth):
    year, month = open_month(rare_earth)
    enterprises = [rare_earth.approved(f"抢报企业{n}", "SMELTING_SEPARATION") for n in range(ENTERPRISES)]
    buyer = rare_earth.approved("抢报买方", "FUNCTIONAL_MATERIAL")
    content = fill(template(rare_earth, enterprises[0], "SALES"),
                   [sale(year, month, buyer, f"RUSH-{n}", kg=100 + n % 50) for n in range(ROWS)])
    request = ledgers_pb.ImportLedgerRequest(kind=resources_pb.SALES, year=year, month=month, file=content)

    def attempt(enterprise, deadline: float = DEADLINE_SECONDS):
        try:
            return rare_earth.call(enterprise, "ImportLedger", request, timeout=deadline)
        except grpc.RpcError as error:
            return error

    warm = rare_earth.approved("抢报预热企业", "SMELTING_SEPARATION")
    for _ in range(WARM_UPS):
        assert not isinstance(attempt(warm, 60), grpc.RpcError)
    with ThreadPoolExecutor(ENTERPRISES) as pool:
        outcomes = list(pool.map(attempt, enterprises))
    wait_until(UPLOADS.idle, timeout=60, what="the uploads' queue to drain")

    codes = [o.code() if isinstance(o, grpc.RpcError) else grpc.StatusCode.OK for o in outcomes]
    assert grpc.StatusCode.RESOURCE_EXHAUSTED in codes, codes  # the rush was more than the deadline holds
    assert set(codes) <= {grpc.StatusCode.OK, grpc.StatusCode.RESOURCE_EXHAUSTED, grpc.StatusCode.DEADLINE_EXCEEDED}
    for enterprise, outcome in zip(enterprises, outcomes, strict=True):
        kept = _imports_of(rare_earth, enterprise.enterprise_id, year, month)
        if isinstance(outcome, grpc.RpcError):
            assert kept == [], f"{enterprise.name} was told {outcome.code()} and yet its upload was kept"
            if outcome.code() == grpc.StatusCode.RESOURCE_EXHAUSTED:
                assert (_retry_delay(outcome) or 0) >= 1
        else:
            assert kept == [outcome.import_id] and outcome.row_count == ROWS

    # Told when to come back, every refused enterprise lands its upload in the end.
    waiting = [e for e, o in zip(enterprises, outcomes, strict=True) if isinstance(o, grpc.RpcError)]
    for enterprise in waiting:
        for _ in range(30):
            outcome = attempt(enterprise, DEADLINE_SECONDS * 5)  # alone, an upload may take a loaded machine longer
            if not isinstance(outcome, grpc.RpcError):
                break
            time.sleep(min(_retry_delay(outcome) or 0.2, 2.0))
        assert not isinstance(outcome, grpc.RpcError), outcome
        assert outcome.status == ledgers_pb.LedgerImport.VALID and outcome.row_count == ROWS
    wait_until(UPLOADS.idle, timeout=60, what="the uploads' queue to drain")
    with rare_earth.context.engine.connect() as connection:
        landed = connection.scalar(select(func.count()).select_from(LedgerImport).where(
            LedgerImport.year == year, LedgerImport.month == month,
            LedgerImport.enterprise_id.in_([e.enterprise_id for e in enterprises])))
    assert landed == ENTERPRISES
