"""Password reset, account recovery, phone change, profile changes and account deletion."""

from __future__ import annotations

import json

import grpc
from sqlalchemy import text

from protos.identity.v1 import identity_pb2 as pb
from services.identity.tests import support


def test_password_reset_by_sms_revokes_sessions_and_refuses_a_wrong_code(identity):
    person = identity.register_legal_person()
    session = identity.login(person)
    code = identity.send_code(person.login_name, "RESET_PASSWORD")
    wrong = identity.refused("CreatePasswordReset", pb.CreatePasswordResetRequest(
        identifier=person.login_name, channel="SMS", code="000000" if code != "000000" else "111111",
        new_password="NewPass99"))
    assert "code" in wrong.violations
    identity.call("CreatePasswordReset", pb.CreatePasswordResetRequest(
        identifier=person.login_name, channel="SMS", code=code, new_password="NewPass99"))
    revoked = identity.refused("RefreshSession", pb.RefreshSessionRequest(refresh_token=session.refresh_token))
    assert revoked.reason == "SESSION_REVOKED"
    old = identity.refused("CreateSession", pb.CreateSessionRequest(identifier=person.login_name,
                                                                    password=person.password, sms_code="123456"))
    assert old.code == grpc.StatusCode.UNAUTHENTICATED
    person.password = "NewPass99"
    identity.login(person)


def test_password_reset_by_email_and_for_an_unknown_identifier(identity):
    person = identity.register_legal_person()
    code = identity.send_code(person.uscc, "RESET_PASSWORD", "EMAIL")
    assert code in identity.sent_codes(person.email)
    identity.call("CreatePasswordReset", pb.CreatePasswordResetRequest(
        identifier=person.uscc, channel="EMAIL", code=code, new_password="Mail2026x"))
    unknown = identity.refused("CreatePasswordReset", pb.CreatePasswordResetRequest(
        identifier="no_such_user1", channel="SMS", code="123456", new_password="Mail2026x"))
    assert unknown.code == grpc.StatusCode.INVALID_ARGUMENT and "code" in unknown.violations


def test_account_recovery_answers_the_login_name_for_matching_details(identity):
    person = identity.register_legal_person()
    code = identity.send_code(person.phone, "RECOVER")
    request = pb.CreateAccountRecoveryRequest(uscc=person.uscc, legal_rep_name=person.legal_rep_name,
                                              legal_rep_id_number=person.id_number, phone=person.phone, sms_code=code)
    wrong_code = identity.refused("CreateAccountRecovery", pb.CreateAccountRecoveryRequest(
        uscc=person.uscc, legal_rep_name=person.legal_rep_name, legal_rep_id_number=person.id_number,
        phone=person.phone, sms_code="000000" if code != "000000" else "111111"))
    assert "smsCode" in wrong_code.violations
    assert identity.call("CreateAccountRecovery", request).login_name == person.login_name
    identity.age_codes(person.phone)
    code = identity.send_code(person.phone, "RECOVER")
    mismatch = identity.refused("CreateAccountRecovery", pb.CreateAccountRecoveryRequest(
        uscc=person.uscc, legal_rep_name="别人", legal_rep_id_number=person.id_number, phone=person.phone,
        sms_code=code))
    assert mismatch.code == grpc.StatusCode.FAILED_PRECONDITION and person.login_name not in mismatch.message


def test_phone_change_with_old_phone_code_and_with_legal_person_details(identity):
    person = identity.register_legal_person()
    new_phone = support.phone()
    old_code = identity.send_code(person.phone, "CHANGE_PHONE")
    new_code = identity.send_code(new_phone, "CHANGE_PHONE")
    wrong = identity.refused("CreatePhoneChange", pb.CreatePhoneChangeRequest(
        identifier=person.login_name, old_phone=person.phone, old_phone_code=old_code, new_phone=new_phone,
        new_phone_code="000000" if new_code != "000000" else "111111"))
    assert "newPhoneCode" in wrong.violations
    changed = identity.call("CreatePhoneChange", pb.CreatePhoneChangeRequest(
        identifier=person.login_name, old_phone=person.phone, old_phone_code=old_code, new_phone=new_phone,
        new_phone_code=new_code))
    assert changed.masked_phone == new_phone[:3] + "****" + new_phone[-4:]
    person.phone = new_phone
    identity.age_codes()
    # the new phone is lost as well: the legal-person details stand in for its code
    third = support.phone()
    code = identity.send_code(third, "CHANGE_PHONE")
    identity.call("CreatePhoneChange", pb.CreatePhoneChangeRequest(
        identifier=person.login_name, new_phone=third, new_phone_code=code, uscc=person.uscc,
        legal_rep_name=person.legal_rep_name, legal_rep_id_number=person.id_number))
    person.phone = third
    identity.login(person)


def test_profile_phone_and_email_changes_need_codes(identity):
    person = identity.register_natural_person()
    identity.login(person)
    address = support.email()
    missing = identity.refused("UpdateMe", pb.UpdateMeRequest(email=address), person.access)
    assert "emailCode" in missing.violations
    code = identity.send_code(address, "CHANGE_EMAIL", "EMAIL")
    me = identity.call("UpdateMe", pb.UpdateMeRequest(email=address, email_code=code, name="赵新名"), person.access)
    assert me.account.email == address and me.account.name == "赵新名"


def test_account_deletion_erases_personal_data_and_publishes_the_event(identity):
    person = identity.register_natural_person()
    session = identity.login(person)
    code = identity.send_code("", "DELETE_ACCOUNT", token=person.access)
    wrong = identity.refused("DeleteMe", pb.DeleteMeRequest(sms_code="000000" if code != "000000" else "111111"),
                             person.access)
    assert "smsCode" in wrong.violations
    identity.call("DeleteMe", pb.DeleteMeRequest(sms_code=code), person.access)
    with identity.context.engine.connect() as conn:
        row = conn.execute(text("SELECT login_name, phone, email, name, id_number_encrypted, id_number_lookup, "
                                "password_hash, status FROM accounts WHERE id = :i"),
                           {"i": person.account_id}).one()
    assert tuple(row) == (None, None, None, "", None, None, None, "DELETED")
    events = [m for m in identity.outbox() if m["routing_key"] == "identity.account.deleted"]
    assert events[-1]["accountId"] == person.account_id
    assert identity.refused("RefreshSession", pb.RefreshSessionRequest(
        refresh_token=session.refresh_token)).code == grpc.StatusCode.UNAUTHENTICATED
    gone = identity.refused("CreateSession", pb.CreateSessionRequest(identifier=person.login_name,
                                                                     password=person.password, sms_code=code))
    assert gone.message == "账号或密码错误"


def test_owner_with_active_members_cannot_delete_the_account(identity):
    from services.identity.tests.test_organizations import _approved_agent, _owner

    owner = _owner(identity)
    _approved_agent(identity, owner)
    code = identity.send_code("", "DELETE_ACCOUNT", token=owner.access)
    refused = identity.refused("DeleteMe", pb.DeleteMeRequest(sms_code=code), owner.access)
    assert refused.code == grpc.StatusCode.FAILED_PRECONDITION and refused.reason == "ORGANIZATION_HAS_MEMBERS"


def test_no_response_carries_a_full_id_number_password_hash_or_code(identity):
    person = identity.register_legal_person()
    session = identity.login(person)
    responses = [session,
                 identity.call("GetMe", pb.GetMeRequest(), person.access),
                 identity.call("GetOrganization", pb.GetOrganizationRequest(id=person.organization_id), person.access),
                 identity.call("GetAccount", pb.GetAccountRequest(id=person.account_id)),
                 identity.call("BatchGetOrganizations", pb.BatchGetOrganizationsRequest(ids=[person.organization_id]))]
    with identity.context.engine.connect() as conn:
        password_hash = conn.execute(text("SELECT password_hash FROM accounts WHERE id = :i"),
                                     {"i": person.account_id}).scalar_one()
    codes = identity.sent_codes(person.phone) + identity.sent_codes(person.email)
    for response in responses:
        body = str(response) + json.dumps(str(response.SerializeToString()))
        assert person.id_number not in body
        assert password_hash not in body and "$argon2" not in body
        assert not any(f'"{code}"' in body for code in codes)
