"""AIP-158 paging: an opaque page token over an ordered query, with the total size."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from services.chassis.errors import InvalidArgument

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 200


@dataclass(frozen=True)
class Page:
    items: list
    next_page_token: str
    total_size: int


def _decode(token: str) -> int:
    try:
        offset = json.loads(base64.urlsafe_b64decode(token.encode()).decode())["o"]
    except (binascii.Error, ValueError, KeyError, TypeError, UnicodeDecodeError):
        raise InvalidArgument.for_field("pageToken", "分页标记无效，请从第一页重新查询") from None
    if not isinstance(offset, int) or offset < 0:
        raise InvalidArgument.for_field("pageToken", "分页标记无效，请从第一页重新查询")
    return offset


def _encode(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"o": offset}).encode()).decode()


def paginate(session: Session, query: Select, page_size: int, page_token: str) -> Page:
    """Run ``query`` (already ordered) for one page; its rows are the query's first entity."""
    if page_size < 0:
        raise InvalidArgument.for_field("pageSize", "每页条数不能为负数")
    size = min(page_size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
    offset = _decode(page_token) if page_token else 0
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    items = list(session.scalars(query.limit(size).offset(offset)))
    next_offset = offset + len(items)
    return Page(items, _encode(next_offset) if next_offset < total and items else "", total)
