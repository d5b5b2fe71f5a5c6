"""An upload's rows read, validated and staged in one pass (manual §7.2–7.5), on the caller's unit of work.

The file streams row by row (python-calamine) through the upload's compiled rules; every valid
row before the first error goes to the staging table in one bulk write, COPY on PostgreSQL
(the server stores rows while the next ones are read) and executemany on SQLite, so memory
stays flat however long the file. The first error stops the staging and the staged rows are
dropped.

A sale's code already issued by another enterprise is refused too. The rows are staged in
batches of ``STAGE_BATCH`` as far as that rule is concerned: the batches completed before the
first error are checked, and the first batch holding such codes names them, ahead of the errors
the rows after it have; one set-based query over the staged rows answers it once the file is
read.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from itertools import chain
from operator import itemgetter
from typing import Any

from sqlalchemy import delete, exists, insert, select, text
from sqlalchemy.orm import Session

from services.chassis.db import is_postgresql
from services.rare_earth.domain.ledgers import COLUMNS, MAX_ROWS, RowValidator, column_letter, split_batches
from services.rare_earth.models import ledger_rows, staged_batch_links, staged_ledger_rows

STAGE_BATCH = 2000
KEPT_ERRORS = 200
PREVIEW_ROWS = 20
ROW_COLUMNS = [c.name for c in staged_ledger_rows.columns if c.name != "id"]
LINK_COLUMNS = [c.name for c in staged_batch_links.columns if c.name != "id"]
# The upload's own columns, then the row number and import: the rest of a staged row comes from its cells.
_LEAD = ("enterprise_id", "kind", "year", "month", "row_number", "import_id")
RECORD_KEYS = {"date": "entry_date"}
_AMOUNTS = frozenset({"entry_date", "quantity", "opening", "inflow", "outflow", "closing"})


@dataclass
class Outcome:
    row_count: int = 0
    error_count: int = 0
    staged: bool = False
    errors: list[dict] = field(default_factory=list)
    preview: list[dict] = field(default_factory=list)


def drop_staged(session: Session, import_ids: list[str]) -> None:
    """The staged rows and links of these imports (refused, confirmed or expired)."""
    session.execute(delete(staged_ledger_rows).where(staged_ledger_rows.c.import_id.in_(import_ids)))
    session.execute(delete(staged_batch_links).where(staged_batch_links.c.import_id.in_(import_ids)))


def _blank(cells: Sequence[object]) -> bool:
    return all(c is None or (isinstance(c, str) and not c.strip()) for c in cells)


def _error(row: int, index: int, header: str, message: str) -> dict:
    return {"row": row, "column": column_letter(index), "columnName": header, "message": message}


class _Staging:
    """The staged rows (and a production ledger's links) of one upload, written in bulk as they come.

    PostgreSQL: one COPY for all the rows, then the links in one INSERT ... SELECT splitting the
    staged rows' input batches. SQLite: executemany of each STAGE_BATCH rows and their links.
    """

    def __init__(self, session: Session, validator: RowValidator, import_id: str):
        self.connection = session.connection()
        self.import_id = import_id
        self.links = validator.kind == "PRODUCTION"
        self.head = (validator.enterprise_id, validator.kind, validator.year, validator.month)
        # A staged row's data columns, picked from the row's values followed by the columns' defaults.
        keys = [RECORD_KEYS.get(key, key) for key in validator.keys]
        data = ROW_COLUMNS[len(_LEAD):]
        self.defaults = [None if name in _AMOUNTS else "" for name in data]
        self.pick = itemgetter(*[keys.index(name) if name in keys else len(keys) + position
                                 for position, name in enumerate(data)])
        self.inputs_at = keys.index("input_batch_nos") if self.links else -1
        self.output_at = keys.index("output_batch_no") if self.links else -1
        self.postgresql = is_postgresql(self.connection.engine)
        self._rows: list[tuple] = []
        self._links: list[tuple] = []
        self._copy: Any = None
        self._open = ExitStack()

    def add(self, row_number: int, values: list[object]) -> None:
        row = (*self.head, row_number, self.import_id, *self.pick(values + self.defaults))
        if self.postgresql:
            if self._copy is None:
                cursor = self._open.enter_context(self.connection.connection.driver_connection.cursor())
                # Names from the model, not from input.
                self._copy = self._open.enter_context(cursor.copy(
                    f"COPY {staged_ledger_rows.name} ({', '.join(ROW_COLUMNS)}) FROM STDIN"))
            self._copy.write_row(row)
            return
        self._rows.append(row)
        if self.links:
            enterprise_id, _kind, year, month = self.head
            self._links += [(enterprise_id, year, month, self.import_id, batch, values[self.output_at])
                            for batch in split_batches(values[self.inputs_at])]  # type: ignore[arg-type]
        if len(self._rows) >= STAGE_BATCH:
            self._flush()

    def _flush(self) -> None:
        for table, names, rows in ((staged_ledger_rows, ROW_COLUMNS, self._rows),
                                   (staged_batch_links, LINK_COLUMNS, self._links)):
            if rows:
                self.connection.execute(insert(table), [dict(zip(names, row, strict=True)) for row in rows])
                rows.clear()

    def close(self, failed: BaseException | None = None) -> None:
        """Finish the bulk write, or abandon it when ``failed``."""
        if self._copy is not None:
            self._copy = None
            self._open.__exit__(type(failed) if failed else None, failed, failed.__traceback__ if failed else None)
            if failed is None and self.links:
                self.connection.execute(_LINKS_OF_STAGED_ROWS, {"import_id": self.import_id})
        if failed is None:
            self._flush()


# A production row's links, one per input batch (PostgreSQL): what split_batches makes of input_batch_nos.
_LINKS_OF_STAGED_ROWS = text(f"""
    INSERT INTO {staged_batch_links.name} ({', '.join(LINK_COLUMNS)})
    SELECT s.enterprise_id, s.year, s.month, s.import_id, b.batch, s.output_batch_no
    FROM {staged_ledger_rows.name} s
    CROSS JOIN LATERAL unnest(string_to_array(s.input_batch_nos, ';')) WITH ORDINALITY AS b(batch, position)
    WHERE s.import_id = :import_id AND b.batch <> ''
    ORDER BY s.row_number, b.position""")


def validate_and_stage(session: Session, validator: RowValidator, rows: Iterator[Sequence[object]],
                       import_id: str) -> Outcome:
    outcome = Outcome()
    columns = COLUMNS[validator.kind]
    staging = _Staging(session, validator, import_id)
    # The sheet row ending each full batch of staged rows, and how many rows the current batch holds.
    boundaries: list[int] = []
    in_batch = 0
    too_many: dict | None = None
    try:
        for sheet_row, cells in enumerate(rows, start=2):
            if _blank(cells):
                continue
            outcome.row_count += 1
            if outcome.row_count > MAX_ROWS:
                outcome.error_count += 1
                too_many = {"row": sheet_row, "column": "", "columnName": "",
                            "message": f"文件超过{MAX_ROWS}行，请分批上传"}
                break
            values, problems = validator.values(sheet_row, cells)
            if problems:
                outcome.error_count += len(problems)
                for index, message in problems[:max(0, KEPT_ERRORS - len(outcome.errors))]:
                    outcome.errors.append(_error(sheet_row, index, columns[index].header, message))
            if outcome.error_count:
                continue
            if len(outcome.preview) < PREVIEW_ROWS:
                outcome.preview.append(validator.record(sheet_row, values))
            staging.add(sheet_row, values)
            outcome.staged = True
            in_batch += 1
            if in_batch == STAGE_BATCH:
                boundaries.append(sheet_row)
                in_batch = 0
    except BaseException as failure:
        staging.close(failure)
        raise
    finally:
        validator.forget()
    staging.close()
    if validator.kind == "SALES" and outcome.staged and (boundaries or not outcome.error_count):
        # After an error the batch under way was dropped unchecked; without one, the last batch counts too.
        _refuse_taken_codes(session, validator, import_id, boundaries,
                            boundaries[-1] if outcome.error_count else None, outcome)
    if too_many is not None:
        outcome.errors.append(too_many)
    return outcome


def _refuse_taken_codes(session: Session, validator: RowValidator, import_id: str, boundaries: list[int],
                        checked_until: int | None, outcome: Outcome) -> None:
    """Sales codes another enterprise's sales ledger holds, of the first checked batch that has any."""
    staged = staged_ledger_rows
    query = select(staged.c.row_number, staged.c.traceability_code).where(
        staged.c.import_id == import_id,
        exists().where(ledger_rows.c.kind == "SALES", ledger_rows.c.traceability_code == staged.c.traceability_code,
                       ledger_rows.c.enterprise_id != validator.enterprise_id))
    if checked_until is not None:
        query = query.where(staged.c.row_number <= checked_until)
    taken = sorted(session.execute(query).all())
    if not taken:
        return
    first_batch = bisect_left(boundaries, taken[0][0])
    clashes = [(row, code) for row, code in taken if bisect_left(boundaries, row) == first_batch]
    column = validator.keys.index("traceability_code")
    header = COLUMNS["SALES"][column].header
    named = [_error(row, column, header, f"追溯码{code}已被其他企业的销售台账使用") for row, code in clashes]
    outcome.error_count += len(clashes)
    # Found before any other error, so named first; the rows after that batch were not previewed.
    outcome.errors = list(chain(named, outcome.errors))[:KEPT_ERRORS]
    if first_batch < len(boundaries):
        outcome.preview = [row for row in outcome.preview if row["row_number"] <= boundaries[first_batch]]
