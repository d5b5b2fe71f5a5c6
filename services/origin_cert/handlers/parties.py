"""Importers, producers and special clauses of an enterprise (制单资料管理, §1.8): add, edit, delete, find; used to
fill certificates. Any member of the organisation keeps them; another organisation's is a 404."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.chassis.db import contains, new_id, utcnow
from services.chassis.errors import InvalidArgument, Violations
from services.chassis.paging import Page, paginate
from services.origin_cert.config import OriginCertContext
from services.origin_cert.domain.actors import Exporter
from services.origin_cert.domain.values import country_problem
from services.origin_cert.handlers.common import exporter, not_found
from services.origin_cert.models import Party

KINDS = {"IMPORTER": "进口商", "PRODUCER": "生产商", "SPECIAL_CLAUSE": "特殊条款"}
LIMITS = {"name": 200, "address": 300, "contact": 100, "phone": 30, "email": 254, "text": 1000}


@dataclass(frozen=True)
class PartyInput:
    kind: str = ""
    name: str = ""
    address: str = ""
    country: str = ""
    contact: str = ""
    phone: str = ""
    email: str = ""
    text: str = ""


def _check(data: PartyInput) -> PartyInput:
    v = Violations()
    if data.kind not in KINDS:
        v.add("kind", "类型可选：IMPORTER（进口商）、PRODUCER（生产商）、SPECIAL_CLAUSE（特殊条款）")
    label = KINDS.get(data.kind, "")
    if not data.name.strip():
        v.add("name", f"请填写{label}名称" if data.kind != "SPECIAL_CLAUSE" else "请填写条款名称")
    for name, limit in LIMITS.items():
        if len(getattr(data, name)) > limit:
            v.add(name, f"不能超过{limit}个字符")
    if data.kind == "SPECIAL_CLAUSE" and not data.text.strip():
        v.add("text", "请填写条款内容")
    if data.kind == "IMPORTER" and (problem := country_problem(data.country, "进口商所在国家")):
        v.add("country", problem)
    if data.kind == "PRODUCER" and data.country and (problem := country_problem(data.country)):
        v.add("country", problem)
    if data.email and "@" not in data.email:
        v.add("email", "电子邮箱格式错误")
    v.raise_if_any("制单资料有误")
    return data


def _own(session: Session, member: Exporter, party_id: str, *, lock: bool = False) -> Party:
    found = session.get(Party, party_id, with_for_update=lock) if party_id else None
    if found is None or found.organization_id != member.organization_id:
        raise not_found("制单资料")
    return found


def _write(party: Party, data: PartyInput) -> None:
    for name in ("name", "address", "country", "contact", "phone", "email", "text"):
        setattr(party, name, getattr(data, name).strip())
    party.updated_at = utcnow()


def create_party(context: OriginCertContext, data: PartyInput) -> Party:
    member = exporter()
    data = _check(data)
    with context.unit_of_work() as uow:
        party = Party(id=new_id(), organization_id=member.organization_id, kind=data.kind, created_at=utcnow())
        _write(party, data)
        uow.session.add(party)
        uow.commit()
    return party


def update_party(context: OriginCertContext, party_id: str, data: PartyInput) -> Party:
    member = exporter()
    with context.unit_of_work() as uow:
        party = _own(uow.session, member, party_id, lock=True)
        if data.kind and data.kind != party.kind:
            raise InvalidArgument.for_field("kind", "不能改变制单资料的类型")
        data = _check(PartyInput(**{**data.__dict__, "kind": party.kind}))
        _write(party, data)
        uow.commit()
    return party


def delete_party(context: OriginCertContext, party_id: str) -> Party:
    member = exporter()
    with context.unit_of_work() as uow:
        party = _own(uow.session, member, party_id, lock=True)
        uow.session.delete(party)
        uow.commit()
    return party


def get_party(context: OriginCertContext, party_id: str) -> Party:
    member = exporter()
    with context.unit_of_work(read_only=True) as uow:
        return _own(uow.session, member, party_id)


def list_parties(context: OriginCertContext, kind: str, name: str, page_size: int, page_token: str) -> Page[Party]:
    member = exporter()
    if kind and kind not in KINDS:
        raise InvalidArgument.for_field("kind", "类型可选：IMPORTER、PRODUCER、SPECIAL_CLAUSE")
    query = select(Party).where(Party.organization_id == member.organization_id)
    if kind:
        query = query.where(Party.kind == kind)
    if name.strip():
        query = query.where(contains(Party.name, name.strip()))
    with context.unit_of_work(read_only=True) as uow:
        return paginate(uow.session, query.order_by(Party.kind, Party.name, Party.id), page_size, page_token)
