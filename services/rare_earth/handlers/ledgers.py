"""Ledger upload (manual §7.2–7.5): template, streamed validation into staging, confirm by set-based swap, reads.

An upload is read row by row and each valid row staged in bulk (handlers/staging.py), so memory
stays flat however long the file; the first error stops the staging and the staged rows are
dropped. Confirming replaces that kind and month with the staged rows in one transaction
(DELETE + INSERT ... SELECT).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from python_calamine import CalamineError, CalamineWorkbook
from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from services.chassis.auth import Caller
from services.chassis.db import new_id, utcnow
from services.chassis.errors import InvalidArgument, NotFound, PermissionDenied, Violations
from services.chassis.paging import Page, PageRequest
from services.chassis.work_queue import Patience, Turn, WorkQueue
from services.rare_earth import events
from services.rare_earth.config import RareEarthContext
from services.rare_earth.domain.ledgers import (
    KINDS,
    MAX_FILE_BYTES,
    RowValidator,
    check_confirmable,
    check_kind_allowed,
    header_problem,
    validate_period,
)
from services.rare_earth.domain.states import CONFIRMED, INVALID, LEDGER_IMPORT, VALID
from services.rare_earth.handlers.access import (
    Viewer,
    approved_affiliation,
    approved_enterprise,
    require_approved_enterprise,
    require_viewer,
    sees_enterprise,
)
from services.rare_earth.handlers.dictionary import Download
from services.rare_earth.handlers.staging import LINK_COLUMNS, ROW_COLUMNS, drop_staged, validate_and_stage
from services.rare_earth.handlers.windows import check_upload_allowed
from services.rare_earth.ledger_template import template_bytes
from services.rare_earth.models import (
    CustomsProduct,
    Enterprise,
    LedgerImport,
    Product,
    batch_links,
    ledger_rows,
    staged_batch_links,
    staged_ledger_rows,
)


@dataclass(frozen=True)
class ImportView:
    record: LedgerImport
    errors: list[dict]
    preview: list[dict]


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise InvalidArgument.for_field("kind", "台账类型须为 PURCHASE、PRODUCTION、SALES 或 INVENTORY")


def _dictionary(session: Session) -> tuple[set[tuple[str, str]], set[str]]:
    products = {(category, name) for category, name in session.execute(select(Product.category, Product.name))}
    return products, set(session.scalars(select(CustomsProduct.code)))


def ledger_template(context: RareEarthContext, kind: str) -> Download:
    _check_kind(kind)
    with context.unit_of_work(read_only=True) as uow:
        require_viewer(uow.session)
        products, customs = _dictionary(uow.session)
    content = template_bytes(kind, sorted(products), sorted(customs))
    return Download(f"{KINDS[kind]}模板.xlsx", content)


def _rows(data: bytes) -> Iterator[list[object]]:
    """The first sheet's rows; an unreadable file is a clear 400."""
    if not data:
        raise InvalidArgument.for_field("file", "请选择要上传的.xlsx文件")
    if len(data) > MAX_FILE_BYTES:
        raise InvalidArgument.for_field("file", f"文件超过{MAX_FILE_BYTES // (1024 * 1024)}MB，请分月或精简后上传")
    if not data.startswith(b"PK"):
        raise InvalidArgument.for_field("file", "文件不是有效的.xlsx文件，请使用下载的模板填写")
    try:
        yield from CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0).iter_rows()
    except (CalamineError, ValueError, OSError) as error:
        message = f"无法读取文件，请使用下载的模板填写（{type(error).__name__}）"
        raise InvalidArgument.for_field("file", message) from None


def _large_blocks_mapped() -> None:
    """Blocks of 1 MB and more (a sheet's cells, a file's copies) mapped on their own, given back when freed.

    glibc raises its mapping threshold to the largest block freed so far (up to 32 MB), and the
    heap's trimming threshold to twice that: after the first upload the next one's sheet grew
    inside the heap, copied on each growth and leaving holes a later upload could not reuse, so
    the peak rose upload by upload (100,000 rows: 100 MB above idle for the first, 145 MB by the
    third). Fixed thresholds, set as the service loads, keep every upload where the first was.
    """
    with contextlib.suppress(OSError, AttributeError):  # not glibc: its allocator keeps its own ways
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.mallopt(_M_MMAP_THRESHOLD, 1024 * 1024)
        libc.mallopt(_M_TRIM_THRESHOLD, 1024 * 1024)


_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
_large_blocks_mapped()
# Uploads are read one at a time in a process, on a thread of their own. A sheet is held whole while
# it is read (python-calamine: about 80 MB for 100,000 rows), so two at once hold two; and glibc keeps
# what a thread frees in that thread's arena for its own next allocations, so uploads served by the
# server's sixteen threads in turn would each leave an arena's worth behind, the peak growing upload
# by upload. The work is CPU-bound under one interpreter lock: reading them side by side was no faster.
# In the reporting window's rush the queue admits an upload only if it can be answered before its
# caller's deadline (a 429 with Retry-After otherwise), and stops one whose caller has gone.
UPLOADS = WorkQueue("ledger-upload", seconds_per_unit=2e-6, busy_message="当前上传台账的企业较多，请稍后重试")
# How many rows are read between two looks at whether the caller still waits.
CHECK_EVERY_ROWS = 1000


def import_ledger(context: RareEarthContext, kind: str, year: int, month: int, data: bytes,
                  patience: Patience | None = None) -> ImportView:
    """Read, validate and stage an upload, in its turn on the uploads' queue, as the caller (no deadline: none)."""
    return UPLOADS.run(lambda turn: _import_ledger(context, kind, year, month, data, turn), cost=len(data),
                       patience=patience or Patience())


def _watched(rows: Iterator[list[object]], turn: Turn) -> Iterator[list[object]]:
    """The rows, stopping (CallerGone) once the caller has gone: the unit of work is rolled back, nothing kept."""
    for count, row in enumerate(rows, start=1):
        if count % CHECK_EVERY_ROWS == 0:
            turn.checkpoint()
        yield row


def _import_ledger(context: RareEarthContext, kind: str, year: int, month: int, data: bytes,
                   turn: Turn) -> ImportView:
    _check_kind(kind)
    violations = Violations()
    validate_period(year, month, violations)
    violations.raise_if_any("报送年月有误")
    with context.unit_of_work() as uow:
        session = uow.session
        caller, enterprise = require_approved_enterprise(session)
        check_kind_allowed(kind, enterprise.enterprise_type)
        check_upload_allowed(context, session, enterprise.id, kind, year, month)
        rows = _watched(_rows(data), turn)
        header = next(rows, None)
        if header is None:
            raise InvalidArgument.for_field("file", "文件为空，请使用下载的模板填写")
        problem = header_problem(kind, header)
        if problem:
            raise InvalidArgument.for_field("file", problem)
        products, customs = _dictionary(session)
        # The record is written once the whole file is read, in the state the reading left it in.
        import_id = new_id()
        validator = RowValidator(kind, enterprise.id, year, month, products, customs)
        outcome = validate_and_stage(session, validator, rows, import_id)
        if outcome.error_count and outcome.staged:
            drop_staged(session, [import_id])
        record = LedgerImport(
            id=import_id, enterprise_id=enterprise.id, kind=kind, year=year, month=month,
            status=INVALID if outcome.error_count else VALID, created_by=caller.account_id,
            row_count=outcome.row_count, error_count=outcome.error_count,
            errors=json.dumps(outcome.errors, ensure_ascii=False),
            preview=json.dumps(outcome.preview, ensure_ascii=False, default=_json_default))
        session.add(record)
        turn.checkpoint()
        uow.commit()
        return ImportView(record, outcome.errors, outcome.preview)


def _json_default(value: object) -> object:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(type(value).__name__)


def _own_import(session: Session, import_id: str, *, lock: bool = False) -> tuple[Caller, Enterprise, LedgerImport]:
    caller, enterprise = require_approved_enterprise(session)
    record = session.get(LedgerImport, import_id, with_for_update=lock)
    if record is None or record.enterprise_id != enterprise.id:
        raise NotFound("导入记录不存在", reason="LEDGER_IMPORT_NOT_FOUND")
    return caller, enterprise, record


def _view(record: LedgerImport) -> ImportView:
    return ImportView(record, json.loads(record.errors or "[]"), json.loads(record.preview or "[]"))


def get_import(context: RareEarthContext, import_id: str) -> ImportView:
    with context.unit_of_work(read_only=True) as uow:
        _caller, _enterprise, record = _own_import(uow.session, import_id)
        return _view(record)


def confirm_import(context: RareEarthContext, import_id: str) -> ImportView:
    with context.unit_of_work() as uow:
        session = uow.session
        caller, enterprise, record = _own_import(session, import_id, lock=True)
        check_confirmable(record.status)
        check_upload_allowed(context, session, enterprise.id, record.kind, record.year, record.month)
        # One confirm at a time per enterprise: the latest confirmed upload is the month's data.
        session.get(Enterprise, enterprise.id, with_for_update=True)
        month = (ledger_rows.c.enterprise_id == enterprise.id) & (ledger_rows.c.kind == record.kind) & (
            ledger_rows.c.year == record.year) & (ledger_rows.c.month == record.month)
        session.execute(delete(ledger_rows).where(month))
        staged = select(*[staged_ledger_rows.c[name] for name in ROW_COLUMNS]).where(
            staged_ledger_rows.c.import_id == record.id).order_by(staged_ledger_rows.c.row_number)
        session.execute(insert(ledger_rows).from_select(ROW_COLUMNS, staged))
        if record.kind == "PRODUCTION":
            session.execute(delete(batch_links).where(
                (batch_links.c.enterprise_id == enterprise.id) & (batch_links.c.year == record.year)
                & (batch_links.c.month == record.month)))
            links = select(*[staged_batch_links.c[name] for name in LINK_COLUMNS]).where(
                staged_batch_links.c.import_id == record.id)
            session.execute(insert(batch_links).from_select(LINK_COLUMNS, links))
        drop_staged(session, [record.id])
        LEDGER_IMPORT.move(record, CONFIRMED)
        record.confirmed_at, record.confirmed_by = utcnow(), caller.account_id
        uow.publish(events.ledger_confirmed(enterprise.id, record.kind, record.year, record.month,
                                            record.row_count, record.id))
        uow.commit()
        return _view(record)


# --- Reading confirmed ledgers ------------------------------------------------------------


def _page_of_rows(session: Session, enterprise_id: str, kind: str, year: int, month: int, page_size: int,
                  page_token: str) -> Page[dict[str, Any]]:
    violations = Violations()
    validate_period(year, month, violations)
    violations.raise_if_any("查询年月有误")
    request = PageRequest.parse(page_size, page_token, maximum=1000)
    where = (ledger_rows.c.enterprise_id == enterprise_id) & (ledger_rows.c.kind == kind) & (
        ledger_rows.c.year == year) & (ledger_rows.c.month == month)
    total = session.scalar(select(func.count()).select_from(ledger_rows).where(where)) or 0
    items = [dict(r._mapping) for r in session.execute(
        select(ledger_rows).where(where).order_by(ledger_rows.c.row_number)
        .limit(request.size).offset(request.offset))]
    return Page(items, request.next_token(total) if items else "", total)


def list_rows(context: RareEarthContext, kind: str, year: int, month: int, page_size: int,
              page_token: str) -> Page[dict[str, Any]]:
    _check_kind(kind)
    with context.unit_of_work(read_only=True) as uow:
        _caller, enterprise = require_approved_enterprise(uow.session)
        return _page_of_rows(uow.session, enterprise.id, kind, year, month, page_size, page_token)


def may_read_ledgers(session: Session, viewer: Viewer, enterprise: Enterprise) -> bool:
    """Staff who see the enterprise, the enterprise itself, and parents whose approved affiliation allows it."""
    if viewer.staff is not None:
        return viewer.staff.sees(enterprise)
    if viewer.enterprise.id == enterprise.id:
        return True
    affiliation = session.scalars(approved_affiliation(viewer.enterprise.id, enterprise.id).limit(1)).first()
    return affiliation is not None and affiliation.parent_may_view_ledgers


def list_enterprise_rows(context: RareEarthContext, enterprise_id: str, kind: str, year: int, month: int,
                         page_size: int, page_token: str) -> Page[dict[str, Any]]:
    _check_kind(kind)
    with context.unit_of_work(read_only=True) as uow:
        viewer = require_viewer(uow.session)
        enterprise = approved_enterprise(uow.session, enterprise_id)
        if enterprise is None or not sees_enterprise(uow.session, viewer, enterprise):
            raise NotFound("企业不存在", reason="ENTERPRISE_NOT_FOUND")
        if not may_read_ledgers(uow.session, viewer, enterprise):  # seen, but its ledgers are not the caller's
            raise PermissionDenied("无权查看该企业的台账：须为其上级单位，且隶属关系已通过并允许查看台账",
                                   reason="LEDGER_NOT_VISIBLE")
        return _page_of_rows(uow.session, enterprise.id, kind, year, month, page_size, page_token)
