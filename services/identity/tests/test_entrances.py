"""Two entrances (used_equipment_preshipment_inspection_manual 第四篇): inspection institutions log in at theirs,
enterprises at theirs, each refused at the other's; the token and the session say which entrance it was."""

from __future__ import annotations

import grpc

from protos.identity.v1 import accounts_pb2, registration_pb2, sessions_pb2
from services.identity import domain
from services.identity.tests import support
from services.identity.tests.support import Person


def _institution(identity) -> Person:
    person = Person(login_name=support.login_name("inst"), phone=support.phone(), email=support.email())
    code = identity.send_code(person.email, "REGISTER", "EMAIL")
    registered = identity.call("RegisterInstitution", registration_pb2.RegisterInstitutionRequest(
        login_name=person.login_name, password=person.password, organization_name="Prüfstelle Nord GmbH",
        country="DE", registration_number=f"HRB{support.unique()}", address="Hamburg", contact_name="Eva",
        phone=person.phone, email=person.email, email_code=code, agreement_accepted=True))
    person.account_id, person.organization_id = registered.account_id, registered.organization_id
    return person


def _request(identity, person: Person, entrance: str, password: str | None = None):
    code = identity.send_code(person.login_name, "LOGIN")
    identity.age_codes(person.phone)
    return sessions_pb2.CreateSessionRequest(identifier=person.login_name, password=password or person.password,
                                             sms_code=code, entrance=entrance)


def _login_at(identity, person: Person, entrance: str) -> sessions_pb2.Session:
    session = identity.call("CreateSession", _request(identity, person, entrance))
    person.tokens = {"access": session.access_token, "refresh": session.refresh_token}
    return session


def test_an_institution_logs_in_at_its_entrance_and_is_refused_at_the_enterprises_one(identity):
    institution = _institution(identity)
    refused = identity.refused("CreateSession", _request(identity, institution, "ENTERPRISE"))
    assert refused.code == grpc.StatusCode.PERMISSION_DENIED and refused.reason == "WRONG_ENTRANCE"
    assert refused.message == domain.WRONG_ENTRANCE["ENTERPRISE"] == "若用户是检验机构，请选择装运前检验机构入口登录"
    session = _login_at(identity, institution, "INSTITUTION")
    assert session.entrance == "INSTITUTION" and session.organization_id == institution.organization_id
    assert identity.claims(session.access_token)["entrance"] == "INSTITUTION"
    assert identity.call("GetMe", accounts_pb2.GetMeRequest(), session.access_token).entrance == "INSTITUTION"
    refreshed = identity.call("RefreshSession", sessions_pb2.RefreshSessionRequest(
        refresh_token=session.refresh_token))
    assert refreshed.entrance == "INSTITUTION" and identity.claims(refreshed.access_token)["entrance"] == "INSTITUTION"


def test_an_enterprise_logs_in_at_its_entrance_and_is_refused_at_the_institutions_one(identity):
    owner = identity.register_legal_person()
    refused = identity.refused("CreateSession", _request(identity, owner, "INSTITUTION"))
    assert refused.code == grpc.StatusCode.PERMISSION_DENIED
    assert refused.message == domain.WRONG_ENTRANCE["INSTITUTION"] == "若用户是企业，请选择委托企业入口登录"
    session = _login_at(identity, owner, "ENTERPRISE")
    assert session.entrance == "ENTERPRISE" and session.organization_id == owner.organization_id
    claims = identity.claims(session.access_token)
    assert claims["entrance"] == "ENTERPRISE" and claims["org"] == owner.organization_id
    # A natural person not yet in any organisation is an enterprise user too.
    person = identity.register_natural_person()
    assert _login_at(identity, person, "ENTERPRISE").entrance == "ENTERPRISE"


def test_the_default_entrance_admits_everyone_and_a_bad_entrance_is_named(identity):
    institution = _institution(identity)
    identity.login(institution)
    assert identity.claims(institution.access)["entrance"] == "PLATFORM"
    assert identity.call("GetMe", accounts_pb2.GetMeRequest(), institution.access).entrance == "PLATFORM"
    bad = identity.refused("CreateSession", sessions_pb2.CreateSessionRequest(
        identifier=institution.login_name, password=institution.password, sms_code="123456", entrance="MOON"))
    assert bad.code == grpc.StatusCode.INVALID_ARGUMENT and "entrance" in bad.fields


def test_a_wrong_password_at_the_wrong_entrance_says_only_that_the_password_is_wrong(identity):
    institution = _institution(identity)
    refused = identity.refused("CreateSession", _request(identity, institution, "ENTERPRISE", password="Wrong1234"))
    assert refused.code == grpc.StatusCode.UNAUTHENTICATED and "入口" not in refused.message


def test_entrance_rules():
    assert domain.entrance_refusal("PLATFORM", domain.STAFF, []) is None
    assert domain.entrance_refusal("ENTERPRISE", domain.STAFF, []) == domain.STAFF_AT_ENTRANCE
    assert domain.entrance_refusal("INSTITUTION", domain.LEGAL_PERSON, ["FOREIGN"]) is None
    assert domain.entrance_refusal("ENTERPRISE", domain.LEGAL_PERSON, ["FOREIGN"]) is not None
    assert domain.entrance_refusal("ENTERPRISE", domain.NATURAL_PERSON, []) is None
    assert domain.entrance_refusal("INSTITUTION", domain.NATURAL_PERSON, []) is not None
    # Someone tied to both kinds may use either entrance, acting for the organisations of that kind.
    assert domain.entrance_refusal("INSTITUTION", domain.NATURAL_PERSON, ["DOMESTIC", "FOREIGN"]) is None
    assert domain.entrance_admits("ENTERPRISE", "DOMESTIC") and not domain.entrance_admits("ENTERPRISE", "FOREIGN")
