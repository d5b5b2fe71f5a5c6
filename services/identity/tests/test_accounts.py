"""Password reset, account recovery, phone change, profile changes and account deletion."""

from __future__ import annotations

import json

import grpc
from sqlalchemy import text

from protos.identity.v1 import accounts_pb2, directory_pb2, organizations_pb2, sessions_pb2
from services.identity.tests import support


def test_password_reset_by_sms_revokes_sessions_and_refuses_a_wrong_code(identity):
    person = identity.register_legal_person()
    session = identity.login(person)
    code = identity.send_code(person.login_name, "RESET_PASSWORD")
    wrong = identity.refused("CreatePasswordReset", accounts_pb2.CreatePasswordResetRequest(
        identifier=person.login_name, channel="SMS", code=support.other_code(code),
        new_password="NewPass99"))
    assert "code" in wrong.fields
    identity.call("CreatePasswordReset", accounts_pb2.CreatePasswordResetRequest(
        identifier=person.login_name, channel="SMS", code=code, new_password="NewPass99"))
    revoked = identity.refused("RefreshSession",
                               sessions_pb2.RefreshSessionRequest(refresh_token=session.refresh_token))
    assert revoked.reason == "SESSION_REVOKED"
    old = identity.refused("CreateSession", sessions_pb2.CreateSessionRequest(
        identifier=person.login_name, password=person.password, sms_code="123456"))
    assert old.code == grpc.StatusCode.UNAUTHENTICATED
    person.password = "NewPass99"
    identity.login(person)


def test_password_reset_by_email_and_for_an_unknown_identifier(identity):
    person = identity.register_legal_person()
    code = identity.send_code(person.uscc, "RESET_PASSWORD", "EMAIL")
    assert code in identity.sent_codes(person.email)
    identity.call("CreatePasswordReset", accounts_pb2.CreatePasswordResetRequest(
        identifier=person.uscc, channel="EMAIL", code=code, new_password="Mail2026x"))
    unknown = identity.refused("CreatePasswordReset", accounts_pb2.CreatePasswordResetRequest(
        identifier="no_such_user1", channel="SMS", code="123456", new_password="Mail2026x"))
    assert unknown.code == grpc.StatusCode.INVALID_ARGUMENT and "code" in unknown.fields


def test_account_recovery_answers_the_login_name_for_matching_details(identity):
    person = identity.register_legal_person()
    code = identity.send_code(person.phone, "RECOVER")
    request = accounts_pb2.CreateAccountRecoveryRequest(
        uscc=person.uscc, legal_rep_name=person.legal_rep_name, legal_rep_id_number=person.id_number,
        phone=person.phone, sms_code=code)
    wrong_code = identity.refused("CreateAccountRecovery", accounts_pb2.CreateAccountRecoveryRequest(
        uscc=person.uscc, legal_rep_name=person.legal_rep_name, legal_rep_id_number=person.id_number,
        phone=person.phone, sms_code=support.other_code(code)))
    assert "smsCode" in wrong_code.fields
    assert identity.call("CreateAccountRecovery", request).login_name == person.login_name
    identity.age_codes(person.phone)
    code = identity.send_code(person.phone, "RECOVER")
    mismatch = identity.refused("CreateAccountRecovery", accounts_pb2.CreateAccountRecoveryRequest(
        uscc=person.uscc, legal_rep_name="别人", legal_rep_id_number=person.id_number, phone=person.phone,
        sms_code=code))
    assert mismatch.code == grpc.StatusCode.FAILED_PRECONDITION and person.login_name not in mismatch.message


def test_account_recovery_refuses_a_wrong_legal_person_type_or_id_type_like_a_wrong_id_number(identity):
    person = identity.register_legal_person()

    def recover(**changes):
        identity.age_codes(person.phone)
        fields = dict(uscc=person.uscc, legal_rep_name=person.legal_rep_name, legal_rep_id_number=person.id_number,
                      legal_person_type="ENTERPRISE", legal_rep_id_type="RESIDENT_ID", phone=person.phone)
        fields.update(changes)
        return accounts_pb2.CreateAccountRecoveryRequest(sms_code=identity.send_code(person.phone, "RECOVER"),
                                                         **fields)

    wrong_id = identity.refused("CreateAccountRecovery", recover(legal_rep_id_number=support.resident_id()))
    wrong_type = identity.refused("CreateAccountRecovery", recover(legal_person_type="SOCIAL_ORGANIZATION"))
    wrong_id_type = identity.refused("CreateAccountRecovery", recover(legal_rep_id_type="PASSPORT"))
    assert wrong_id.code == grpc.StatusCode.FAILED_PRECONDITION and wrong_id.reason == "DETAILS_MISMATCH"
    for refusal in (wrong_type, wrong_id_type):
        assert (refusal.code, refusal.message, refusal.reason, refusal.fields) == (
            wrong_id.code, wrong_id.message, wrong_id.reason, wrong_id.fields)
    unknown = identity.refused("CreateAccountRecovery", recover(legal_person_type="MOON", legal_rep_id_type="X"))
    assert unknown.code == grpc.StatusCode.INVALID_ARGUMENT
    assert {"legalPersonType", "legalRepIdType"} <= set(unknown.fields)
    assert identity.call("CreateAccountRecovery", recover()).login_name == person.login_name


def test_phone_change_with_old_phone_code_and_with_legal_person_details(identity):
    person = identity.register_legal_person()
    new_phone = support.phone()
    old_code = identity.send_code(person.phone, "CHANGE_PHONE")
    new_code = identity.send_code(new_phone, "CHANGE_PHONE")
    wrong = identity.refused("CreatePhoneChange", accounts_pb2.CreatePhoneChangeRequest(
        identifier=person.login_name, old_phone=person.phone, old_phone_code=old_code, new_phone=new_phone,
        new_phone_code=support.other_code(new_code)))
    assert "newPhoneCode" in wrong.fields
    changed = identity.call("CreatePhoneChange", accounts_pb2.CreatePhoneChangeRequest(
        identifier=person.login_name, old_phone=person.phone, old_phone_code=old_code, new_phone=new_phone,
        new_phone_code=new_code))
    assert changed.masked_phone == new_phone[:3] + "****" + new_phone[-4:]
    person.phone = new_phone
    identity.age_codes()
    # the new phone is lost as well: the legal-person details stand in for its code
    third = support.phone()
    code = identity.send_code(third, "CHANGE_PHONE")
    identity.call("CreatePhoneChange", accounts_pb2.CreatePhoneChangeRequest(
        identifier=person.login_name, new_phone=third, new_phone_code=code, uscc=person.uscc,
        legal_rep_name=person.legal_rep_name, legal_rep_id_number=person.id_number))
    person.phone = third
    identity.login(person)


def test_profile_phone_and_email_changes_need_codes(identity):
    person = identity.register_natural_person()
    identity.login(person)
    address = support.email()
    missing = identity.refused("UpdateMe", accounts_pb2.UpdateMeRequest(email=address), person.access)
    assert "emailCode" in missing.fields
    code = identity.send_code(address, "CHANGE_EMAIL", "EMAIL")
    me = identity.call("UpdateMe", accounts_pb2.UpdateMeRequest(email=address, email_code=code, name="赵新名"),
                       person.access)
    assert me.account.email == address and me.account.name == "赵新名"


def test_account_deletion_erases_personal_data_and_publishes_the_event(identity):
    person = identity.register_natural_person()
    session = identity.login(person)
    code = identity.send_code("", "DELETE_ACCOUNT", token=person.access)
    wrong = identity.refused("DeleteMe",
                             accounts_pb2.DeleteMeRequest(sms_code=support.other_code(code)),
                             person.access)
    assert "smsCode" in wrong.fields
    identity.call("DeleteMe", accounts_pb2.DeleteMeRequest(sms_code=code), person.access)
    with identity.context.engine.connect() as conn:
        row = conn.execute(text("SELECT login_name, phone, email, name, id_number_encrypted, id_number_lookup, "
                                "password_hash, status FROM accounts WHERE id = :i"),
                           {"i": person.account_id}).one()
    assert tuple(row) == (None, None, None, "", None, None, None, "DELETED")
    events = [m for m in identity.outbox() if m["routing_key"] == "identity.account.deleted"]
    assert events[-1]["accountId"] == person.account_id
    assert identity.refused("RefreshSession", sessions_pb2.RefreshSessionRequest(
        refresh_token=session.refresh_token)).code == grpc.StatusCode.UNAUTHENTICATED
    gone = identity.refused("CreateSession", sessions_pb2.CreateSessionRequest(identifier=person.login_name,
                                                                               password=person.password, sms_code=code))
    assert gone.message == "账号或密码错误"


def test_owner_with_active_members_cannot_delete_the_account(identity):
    from services.identity.tests.test_organizations import _approved_agent, _owner

    owner = _owner(identity)
    _approved_agent(identity, owner)
    code = identity.send_code("", "DELETE_ACCOUNT", token=owner.access)
    refused = identity.refused("DeleteMe", accounts_pb2.DeleteMeRequest(sms_code=code), owner.access)
    assert refused.code == grpc.StatusCode.FAILED_PRECONDITION and refused.reason == "ORGANIZATION_HAS_MEMBERS"


def test_no_response_carries_a_full_id_number_password_hash_or_code(identity):
    person = identity.register_legal_person()
    session = identity.login(person)
    responses = [session,
                 identity.call("GetMe", accounts_pb2.GetMeRequest(), person.access),
                 identity.call("GetOrganization", organizations_pb2.GetOrganizationRequest(id=person.organization_id),
                               person.access),
                 identity.call("GetAccount", directory_pb2.GetAccountRequest(id=person.account_id)),
                 identity.call("BatchGetOrganizations",
                               directory_pb2.BatchGetOrganizationsRequest(ids=[person.organization_id]))]
    with identity.context.engine.connect() as conn:
        password_hash = conn.execute(text("SELECT password_hash FROM accounts WHERE id = :i"),
                                     {"i": person.account_id}).scalar_one()
    codes = identity.sent_codes(person.phone) + identity.sent_codes(person.email)
    for response in responses:
        body = str(response) + json.dumps(str(response.SerializeToString()))
        assert person.id_number not in body
        assert password_hash not in body and "$argon2" not in body
        assert not any(f'"{code}"' in body for code in codes)
