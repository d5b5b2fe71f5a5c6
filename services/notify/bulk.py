"""Writing and updating a page of rows at once: an announcement's audience is a thousand deliveries at a time.

On PostgreSQL a page travels as one array per column (``unnest``), so the statement and its
parameters stay the same size however many rows there are: a multi-row VALUES list or a CASE
of one branch per row makes the driver parse a statement of thousands of placeholders each time.
SQLite (development) takes the plain forms.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Table, any_, bindparam, func, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.orm import Session
from sqlalchemy.sql import Subquery

from services.chassis.db import insert_ignoring_duplicates, is_postgresql


def _columns(table: Table, rows: Sequence[Mapping[str, Any]], names: Sequence[str], label: str) -> list[Any]:
    """Each column as an array to unnest, or as one parameter when every row holds the same value."""
    columns = []
    for index, name in enumerate(names):
        values = [row[name] for row in rows]
        kind = table.c[name].type
        if all(value == values[0] for value in values):
            columns.append(bindparam(f"{label}_{index}", values[0], type_=kind).label(name))
        else:
            columns.append(func.unnest(bindparam(f"{label}_{index}", values, type_=ARRAY(kind))).label(name))
    return columns


def insert_new(session: Session, table: Table, rows: Sequence[Mapping[str, Any]], returning: Any = None) -> list[Any]:
    """What :func:`insert_ignoring_duplicates` does: ``INSERT ... SELECT unnest(...) ON CONFLICT DO NOTHING``."""
    if not rows or not is_postgresql(session.get_bind()):
        return insert_ignoring_duplicates(session, table, rows, returning=returning)
    names = list(rows[0])
    statement = postgresql_insert(table).from_select(
        names, select(*_columns(table, rows, names, "column"))).on_conflict_do_nothing()
    if returning is None:
        session.execute(statement)
        return []
    return list(session.execute(statement.returning(returning)).scalars())


def unnested(table: Table, rows: Sequence[Mapping[str, Any]]) -> Subquery:
    """``rows`` (their columns named as ``table``'s) as a subquery to join an UPDATE with (PostgreSQL)."""
    names = list(rows[0])
    return select(*_columns(table, rows, names, "row")).subquery("page")


def among(session: Session, column: Any, values: Sequence[Any]) -> ColumnElement[bool]:
    """``column IN values``: on PostgreSQL ``= ANY(array)``, one parameter for a page of a thousand ids;
    ``column = value`` for one value (a verification code's delivery).

    Once psycopg prepares a statement PostgreSQL may plan it for any parameters: for ``id = $1`` that is
    still the key's one row, but for ``id = ANY($1)`` beside a delivery's status guard it guessed the
    status index the better, and so a code's claim during a broadcast read every delivery waiting in
    CREATED (20 ms where it had taken 1).
    """
    values = list(values)
    if len(values) == 1:
        return column == values[0]
    if is_postgresql(session.get_bind()):
        return column == any_(bindparam(None, values, type_=ARRAY(column.type)))
    return column.in_(values)
