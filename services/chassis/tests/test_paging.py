"""Paging tokens and pages, on a real table."""

from __future__ import annotations

import pytest
from sqlalchemy import Integer, create_engine, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from services.chassis.errors import InvalidArgument
from services.chassis.paging import DEFAULT_PAGE_SIZE, PageRequest, paginate


class Base(DeclarativeBase):
    pass


class Row(Base):
    __tablename__ = "rows"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)


@pytest.fixture
def session():
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        session.add_all(Row(id=i) for i in range(1, 46))
        session.commit()
        yield session


def test_following_the_tokens_visits_every_row_once_in_order(session):
    seen, token = [], ""
    while True:
        page = paginate(session, select(Row).order_by(Row.id), 20, token)
        assert page.total_size == 45
        seen += [row.id for row in page.items]
        token = page.next_page_token
        if not token:
            break
    assert seen == list(range(1, 46))


def test_an_unset_page_size_means_the_default_and_a_large_one_is_capped():
    assert PageRequest.parse(0, "").size == DEFAULT_PAGE_SIZE
    assert PageRequest.parse(10_000, "", maximum=100).size == 100


def test_the_last_page_has_no_next_token(session):
    page = paginate(session, select(Row).order_by(Row.id), 50, "")
    assert len(page.items) == 45 and page.next_page_token == ""


@pytest.mark.parametrize("token", ["garbage", "eyJ4IjogMX0=", "eyJvIjogLTF9", "eyJvIjogdHJ1ZX0="])
def test_a_forged_or_broken_token_is_refused_naming_the_field(token):
    with pytest.raises(InvalidArgument) as refused:
        PageRequest.parse(10, token)
    assert [v.field for v in refused.value.violations] == ["pageToken"]


def test_a_negative_page_size_is_refused_naming_the_field():
    with pytest.raises(InvalidArgument) as refused:
        PageRequest.parse(-1, "")
    assert [v.field for v in refused.value.violations] == ["pageSize"]
