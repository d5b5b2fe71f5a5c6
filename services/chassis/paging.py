"""AIP-158 paging for every list: ``page_size`` and an opaque ``page_token`` in, a page and ``total_size`` out."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from services.chassis.errors import InvalidArgument

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 200

T = TypeVar("T")


@dataclass(frozen=True)
class PageRequest:
    """Where a page starts and how long it is, from the request's ``page_size`` and ``page_token``."""

    offset: int
    size: int

    @classmethod
    def parse(cls, page_size: int, page_token: str, *, maximum: int = MAX_PAGE_SIZE) -> PageRequest:
        if page_size < 0:
            raise InvalidArgument.for_field("pageSize", "每页条数不能为负数")
        size = min(page_size or DEFAULT_PAGE_SIZE, maximum)
        return cls(_decode(page_token) if page_token else 0, size)

    def next_token(self, total: int) -> str:
        """The token of the following page, or "" when this page reaches ``total``."""
        following = self.offset + self.size
        return _encode(following) if following < total else ""


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_page_token: str
    total_size: int


def _decode(token: str) -> int:
    try:
        offset = json.loads(base64.urlsafe_b64decode(token.encode()).decode())["o"]
    except (binascii.Error, ValueError, KeyError, TypeError, UnicodeDecodeError):
        raise InvalidArgument.for_field("pageToken", "分页标记无效，请从第一页重新查询") from None
    if not isinstance(offset, int) or isinstance(offset, bool) or offset < 0:
        raise InvalidArgument.for_field("pageToken", "分页标记无效，请从第一页重新查询")
    return offset


def _encode(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"o": offset}).encode()).decode()


def count(session: Session, query: Select) -> int:
    return session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0


def paginate(session: Session, query: Select[Any], page_size: int, page_token: str, *,
             maximum: int = MAX_PAGE_SIZE) -> Page[Any]:
    """One page of ``query`` (already ordered, so pages are stable); items are its first entity."""
    return _page(session, query, page_size, page_token, maximum, session.scalars)


def paginate_rows(session: Session, query: Select[Any], page_size: int, page_token: str, *,
                  maximum: int = MAX_PAGE_SIZE) -> Page[Any]:
    """:func:`paginate` for a query of a table's columns: items are its rows as mappings."""
    return _page(session, query, page_size, page_token, maximum, lambda page: session.execute(page).mappings())


def _page(session: Session, query: Select[Any], page_size: int, page_token: str, maximum: int,
          fetch: Callable[[Select[Any]], Iterable[Any]]) -> Page[Any]:
    request = PageRequest.parse(page_size, page_token, maximum=maximum)
    total = count(session, query)
    items = list(fetch(query.limit(request.size).offset(request.offset)))
    return Page(items, request.next_token(total) if items else "", total)
