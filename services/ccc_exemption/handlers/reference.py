"""Reference data as queries: bureaus, ports, divisions; and the routing of a division to its bureau."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.ccc_exemption.config import CccContext
from services.ccc_exemption.handlers.access import require_viewer
from services.ccc_exemption.models import Bureau, Delegation, Port
from services.chassis.divisions import Division, divisions
from services.chassis.paging import Page, paginate


def list_bureaus(context: CccContext, page_size: int, page_token: str) -> Page[Bureau]:
    require_viewer()
    with context.unit_of_work(read_only=True) as uow:
        return paginate(uow.session, select(Bureau).order_by(Bureau.code), page_size, page_token)


def list_ports(context: CccContext, district_code: str, page_size: int, page_token: str) -> Page[tuple[Port, Bureau]]:
    require_viewer()
    query = select(Port).order_by(Port.district_code, Port.code)
    if district_code:
        query = query.where(Port.district_code == district_code)
    with context.unit_of_work(read_only=True) as uow:
        page = paginate(uow.session, query, page_size, page_token)
        bureaus = bureaus_by_code(uow.session, [port.bureau_code for port in page.items])
        return Page([(port, bureaus[port.bureau_code]) for port in page.items], page.next_page_token,
                    page.total_size)


def list_divisions(parent_code: str) -> list[Division]:
    """The provinces (no parent), a province's cities or a city's counties."""
    require_viewer()
    return divisions().children(parent_code)


def bureaus_by_code(session: Session, codes: list[str | None]) -> dict[str, Bureau]:
    wanted = {code for code in codes if code}
    if not wanted:
        return {}
    return {b.code: b for b in session.scalars(select(Bureau).where(Bureau.code.in_(wanted)))}


def route(session: Session, division_code: str) -> Bureau | None:
    """The bureau the delegation table names for the division: the longest matching prefix wins
    (a county delegated on its own, else its city, else its province)."""
    prefixes = [division_code[:length] for length in (6, 4, 2) if len(division_code) >= length]
    rows = session.execute(select(Delegation.division_prefix, Delegation.bureau_code)
                           .where(Delegation.division_prefix.in_(prefixes))).all()
    if not rows:
        return None
    _prefix, bureau_code = max(rows, key=lambda row: len(row[0]))
    return session.get(Bureau, bureau_code)
