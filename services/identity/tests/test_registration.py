"""Registration of legal persons, natural persons and institutions, and their refusals."""

from __future__ import annotations

import threading

import grpc
import pytest

from protos.identity.v1 import organizations_pb2, registration_pb2, sessions_pb2
from services.chassis.testing.service import Refusal, refusal_of
from services.identity import domain
from services.identity.tests import support


def test_legal_person_registration_creates_account_organisation_and_owner(identity):
    person = identity.register_legal_person()
    login = identity.login(person)
    assert login.account.kind == "LEGAL_PERSON"
    [membership] = login.organizations
    assert membership.role == "OWNER" and membership.status == "ACTIVE"
    assert sorted(membership.scopes) == sorted(domain.SCOPES)
    organization = identity.call("GetOrganization", organizations_pb2.GetOrganizationRequest(id=person.organization_id),
                                 person.access)
    assert organization.uscc == person.uscc
    assert organization.organization_code == person.uscc[8:17]
    assert organization.legal_rep_id_number == person.id_number[:3] + "*" * 11 + person.id_number[-4:]


def test_registration_answers_201_to_the_gateway(identity):
    address = support.email()
    code = identity.send_code(address, "REGISTER", "EMAIL")
    request = registration_pb2.RegisterLegalPersonRequest(
        login_name=support.login_name("corp"), password="abc12345", legal_person_type="ENTERPRISE",
        uscc=support.uscc(), organization_name="二零一公司", legal_rep_name="王", legal_rep_id_type="PASSPORT",
        legal_rep_id_number="E12345678", industry="C", enterprise_size="MICRO", holding="OTHER",
        phone=support.phone(), email=address, email_code=code, agreement_accepted=True)
    _response, call = identity.call("RegisterLegalPerson", request, with_call=True)
    metadata = dict(call.trailing_metadata()) | dict(call.initial_metadata())
    assert metadata.get("x-http-code") == "201"


def test_every_bad_field_is_named_with_a_reason(identity):
    failure = identity.refused("RegisterLegalPerson", registration_pb2.RegisterLegalPersonRequest(
        login_name="ab", password="onlyletters", legal_person_type="COMPANY", uscc="91110108MA01ABCD20",
        legal_rep_id_type="RESIDENT_ID", legal_rep_id_number="110101199003077770", industry="c32",
        enterprise_size="HUGE", holding="", phone="12345", email="not-an-email"))
    assert failure.code == grpc.StatusCode.INVALID_ARGUMENT
    v = failure.fields
    assert v["loginName"] == "登录名须为6-15位字母、数字或下划线"
    assert v["password"] == "密码须同时包含字母和数字"
    assert "法人类型" in v["legalPersonType"]
    assert v["uscc"] == "统一社会信用代码校验位错误"
    assert v["legalRepIdNumber"] == "居民身份证号码校验位错误"
    assert "行业" in v["industry"]
    assert "企业规模" in v["enterpriseSize"] and "控股" in v["holding"]
    assert "手机号" in v["phone"] and "邮箱" in v["email"]
    assert "协议" in v["agreementAccepted"] and "验证码" in v["emailCode"]
    assert "organizationName" in v and "legalRepName" in v


def test_uscc_issued_by_a_letter_coded_authority_is_accepted(identity):
    person = identity.register_legal_person(uscc=support.uscc(first="Y"))
    assert person.uscc.startswith("Y") and person.organization_id


def test_taken_uscc_and_login_name_answer_already_exists_naming_the_field(identity):
    first = identity.register_legal_person()
    failure = identity.refused("RegisterLegalPerson", registration_pb2.RegisterLegalPersonRequest(
        login_name=support.login_name("corp"), password="abc12345", legal_person_type="ENTERPRISE",
        uscc=first.uscc, organization_name="重复公司", legal_rep_name="王", legal_rep_id_type="PASSPORT",
        legal_rep_id_number="E1234567", industry="C", enterprise_size="MICRO", holding="OTHER",
        phone=support.phone(), email=support.email(), email_code="123456", agreement_accepted=True))
    assert failure.code == grpc.StatusCode.ALREADY_EXISTS
    assert failure.metadata["field"] == "uscc"
    failure = identity.refused("RegisterLegalPerson", registration_pb2.RegisterLegalPersonRequest(
        login_name=first.login_name, password="abc12345", legal_person_type="ENTERPRISE",
        uscc=support.uscc(), organization_name="重复公司", legal_rep_name="王", legal_rep_id_type="PASSPORT",
        legal_rep_id_number="E1234567", industry="C", enterprise_size="MICRO", holding="OTHER",
        phone=support.phone(), email=support.email(), email_code="123456", agreement_accepted=True))
    assert failure.code == grpc.StatusCode.ALREADY_EXISTS
    assert failure.metadata["field"] == "loginName"


def test_two_concurrent_registrations_with_one_uscc_give_one_success_and_one_already_exists(identity):
    shared = support.uscc()
    requests = []
    for _ in range(2):
        address = support.email()
        requests.append(registration_pb2.RegisterLegalPersonRequest(
            login_name=support.login_name("race"), password="abc12345", legal_person_type="ENTERPRISE",
            uscc=shared, organization_name="竞争公司", legal_rep_name="王", legal_rep_id_type="PASSPORT",
            legal_rep_id_number="E1234567", industry="C", enterprise_size="MICRO", holding="OTHER",
            phone=support.phone(), email=address, email_code=identity.send_code(address, "REGISTER", "EMAIL"),
            agreement_accepted=True))
    results: list = [None, None]
    barrier = threading.Barrier(2)

    def register(index: int) -> None:
        barrier.wait()
        try:
            results[index] = identity.call("RegisterLegalPerson", requests[index])
        except grpc.RpcError as error:
            results[index] = refusal_of(error)

    threads = [threading.Thread(target=register, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    failures = [r for r in results if isinstance(r, Refusal)]
    successes = [r for r in results if isinstance(r, registration_pb2.Registration)]
    assert len(successes) == 1 and len(failures) == 1
    assert failures[0].code == grpc.StatusCode.ALREADY_EXISTS
    assert failures[0].metadata["field"] == "uscc"


def test_registration_refuses_a_wrong_email_code_and_creates_nothing(identity):
    address = support.email()
    identity.send_code(address, "REGISTER", "EMAIL")
    name = support.login_name("corp")
    failure = identity.refused("RegisterLegalPerson", registration_pb2.RegisterLegalPersonRequest(
        login_name=name, password="abc12345", legal_person_type="ENTERPRISE", uscc=support.uscc(),
        organization_name="错码公司", legal_rep_name="王", legal_rep_id_type="PASSPORT",
        legal_rep_id_number="E1234567", industry="C", enterprise_size="MICRO", holding="OTHER",
        phone=support.phone(), email=address, email_code="000000", agreement_accepted=True))
    assert failure.code == grpc.StatusCode.INVALID_ARGUMENT
    assert "emailCode" in failure.fields
    again = identity.refused("CreateSession", sessions_pb2.CreateSessionRequest(identifier=name, password="abc12345",
                                                                                sms_code="123456"))
    assert again.code == grpc.StatusCode.UNAUTHENTICATED


def test_natural_person_registers_with_sms_code_and_one_account_per_id_number(identity):
    person = identity.register_natural_person()
    session = identity.login(person)
    assert session.account.kind == "NATURAL_PERSON"
    assert session.account.id_number == domain.mask_id_number(person.id_number)
    assert person.id_number not in str(session)
    number = support.phone()
    code = identity.send_code(number, "REGISTER")
    failure = identity.refused("RegisterNaturalPerson", registration_pb2.RegisterNaturalPersonRequest(
        login_name=support.login_name("nat"), password="abc12345", name="重复", id_type="RESIDENT_ID",
        id_number=person.id_number.lower(), phone=number, sms_code=code))
    assert failure.code == grpc.StatusCode.ALREADY_EXISTS and failure.metadata["field"] == "idNumber"


def test_institution_registers_a_foreign_organisation(identity):
    address = support.email()
    code = identity.send_code(address, "REGISTER", "EMAIL")
    response = identity.call("RegisterInstitution", registration_pb2.RegisterInstitutionRequest(
        login_name=support.login_name("inst"), password="abc12345", organization_name="Prüfgesellschaft GmbH",
        country="DE", registration_number=f"HRB{support.unique()}", address="Berlin", contact_name="Anna",
        phone=support.phone(), email=address, email_code=code, agreement_accepted=True))
    assert response.organization.kind == "FOREIGN" and response.organization.country == "DE"
    failure = identity.refused("RegisterInstitution", registration_pb2.RegisterInstitutionRequest(country="china"))
    assert "country" in failure.fields and "registrationNumber" in failure.fields


@pytest.mark.parametrize("purpose", ["REGISTER", "LOGIN"])
def test_codes_are_never_answered_and_are_stored_hashed(identity, purpose):
    person = identity.register_natural_person()
    identity.age_codes()
    target = person.phone if purpose == "REGISTER" else person.login_name
    response = identity.call("CreateVerificationCode", registration_pb2.CreateVerificationCodeRequest(
        channel="SMS", target=target, purpose=purpose))
    code = identity.sent_codes(person.phone)[-1]
    assert code not in str(response)
    assert response.masked_destination == person.phone[:3] + "****" + person.phone[-4:]
    assert response.resend_after_seconds == 60 and response.expires_in_seconds == 300
    from sqlalchemy import text

    with identity.context.engine.connect() as conn:
        stored = conn.execute(text("SELECT code_hash FROM verification_codes")).scalars().all()
    assert code not in stored and all(len(h) == 64 for h in stored)
