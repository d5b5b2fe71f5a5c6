"""Login, lockout, refresh rotation and reuse, organisation switch, logout, keys."""

from __future__ import annotations

import grpc
import jwt
from sqlalchemy import text

from protos.identity.v1 import accounts_pb2, directory_pb2, registration_pb2, sessions_pb2
from services.identity.tests import support


def test_login_by_login_name_uscc_and_id_number_issues_eddsa_tokens_with_claims(identity):
    person = identity.register_legal_person()
    for identifier in (person.login_name, person.uscc, person.id_number):
        session = identity.login(person, identifier=identifier)
        assert session.account.id == person.account_id
    header = jwt.get_unverified_header(session.access_token)
    assert header["alg"] == "EdDSA" and header["kid"]
    claims = identity.claims(session.access_token)
    assert claims["sub"] == person.account_id and claims["org"] == person.organization_id
    assert claims["roles"] == ["OWNER"] and "rare_earth" in claims["scopes"]
    assert claims["kind"] == "LEGAL_PERSON" and claims["exp"] - claims["iat"] == 900
    assert session.expires_in == 900 and session.refresh_token


def test_wrong_password_and_unknown_account_get_the_same_answer(identity):
    person = identity.register_legal_person()
    wrong = identity.refused("CreateSession", sessions_pb2.CreateSessionRequest(
        identifier=person.login_name, password="Wrong1234", sms_code="123456"))
    unknown = identity.refused("CreateSession", sessions_pb2.CreateSessionRequest(
        identifier="nobody_here_1", password="Wrong1234", sms_code="123456"))
    assert wrong.code == unknown.code == grpc.StatusCode.UNAUTHENTICATED
    assert wrong.message == unknown.message == "账号或密码错误"


def test_code_request_for_unknown_identifier_answers_the_same_shape_without_sending(identity):
    before = len(identity.outbox())
    response = identity.call("CreateVerificationCode", registration_pb2.CreateVerificationCodeRequest(
        channel="SMS", target="ghost_account_9", purpose="LOGIN"))
    assert len(identity.outbox()) == before
    assert len(response.masked_destination) == 11 and "****" in response.masked_destination
    assert response.resend_after_seconds == 60
    again = identity.refused("CreateVerificationCode", registration_pb2.CreateVerificationCodeRequest(
        channel="SMS", target="ghost_account_9", purpose="LOGIN"))
    assert again.code == grpc.StatusCode.RESOURCE_EXHAUSTED


def test_code_resend_waits_60_seconds_and_stops_at_10_a_day(identity):
    number = support.phone()
    identity.send_code(number, "REGISTER")
    failure = identity.refused("CreateVerificationCode", registration_pb2.CreateVerificationCodeRequest(
        channel="SMS", target=number, purpose="REGISTER"))
    assert failure.code == grpc.StatusCode.RESOURCE_EXHAUSTED and failure.reason == "CODE_RATE_LIMITED"
    for _ in range(9):
        identity.age_codes(number)
        identity.send_code(number, "REGISTER")
    identity.age_codes(number)
    failure = identity.refused("CreateVerificationCode", registration_pb2.CreateVerificationCodeRequest(
        channel="SMS", target=number, purpose="REGISTER"))
    assert failure.reason == "CODE_DAILY_LIMIT"


def test_a_code_allows_five_tries_and_is_single_use(identity):
    person = identity.register_natural_person()
    code = identity.send_code(person.login_name, "LOGIN")
    for _ in range(5):
        failure = identity.refused("CreateSession", sessions_pb2.CreateSessionRequest(
            identifier=person.login_name, password=person.password, sms_code="999999" if code != "999999" else "1"))
        assert "smsCode" in failure.fields
    failure = identity.refused("CreateSession", sessions_pb2.CreateSessionRequest(
        identifier=person.login_name, password=person.password, sms_code=code))
    assert failure.fields["smsCode"] == "验证码错误次数过多，请重新获取"
    identity.age_codes(person.phone)
    code = identity.send_code(person.login_name, "LOGIN")
    identity.call("CreateSession", sessions_pb2.CreateSessionRequest(identifier=person.login_name,
                                                                     password=person.password,
                                                                     sms_code=code))
    reused = identity.refused("CreateSession", sessions_pb2.CreateSessionRequest(
        identifier=person.login_name, password=person.password, sms_code=code))
    assert "smsCode" in reused.fields


def test_an_expired_code_is_refused(identity):
    person = identity.register_natural_person()
    code = identity.send_code(person.login_name, "LOGIN")
    with identity.context.engine.begin() as conn:
        conn.execute(text("UPDATE verification_codes SET expires_at = now() - interval '1 second' "
                          "WHERE destination = :d"), {"d": person.phone})
    failure = identity.refused("CreateSession", sessions_pb2.CreateSessionRequest(
        identifier=person.login_name, password=person.password, sms_code=code))
    assert failure.fields["smsCode"] == "验证码错误或已过期，请重新获取"


def test_five_failures_lock_the_account_for_15_minutes(identity):
    person = identity.register_natural_person()
    for attempt in range(5):
        failure = identity.refused("CreateSession", sessions_pb2.CreateSessionRequest(
            identifier=person.login_name, password="Wrong1234", sms_code="123456"))
        if attempt < 4:
            assert failure.code == grpc.StatusCode.UNAUTHENTICATED
    assert failure.code == grpc.StatusCode.RESOURCE_EXHAUSTED and failure.reason == "ACCOUNT_LOCKED"
    assert "unlockAt" in failure.metadata and 880 <= int(failure.metadata["retryAfterSeconds"]) <= 900
    code = identity.send_code(person.login_name, "LOGIN")
    locked = identity.refused("CreateSession", sessions_pb2.CreateSessionRequest(
        identifier=person.login_name, password=person.password, sms_code=code))
    assert locked.reason == "ACCOUNT_LOCKED"
    with identity.context.engine.begin() as conn:
        conn.execute(text("UPDATE accounts SET locked_until = now() - interval '1 second' WHERE id = :i"),
                     {"i": person.account_id})
    identity.call("CreateSession", sessions_pb2.CreateSessionRequest(identifier=person.login_name,
                                                                     password=person.password,
                                                                     sms_code=code))


def test_refresh_rotates_and_reuse_revokes_the_family(identity):
    person = identity.register_legal_person()
    first = identity.login(person)
    second = identity.call("RefreshSession", sessions_pb2.RefreshSessionRequest(refresh_token=first.refresh_token))
    assert second.refresh_token != first.refresh_token and second.access_token
    reused = identity.refused("RefreshSession", sessions_pb2.RefreshSessionRequest(refresh_token=first.refresh_token))
    assert reused.code == grpc.StatusCode.UNAUTHENTICATED and reused.reason == "REFRESH_TOKEN_REUSED"
    revoked = identity.refused("RefreshSession", sessions_pb2.RefreshSessionRequest(refresh_token=second.refresh_token))
    assert revoked.reason == "SESSION_REVOKED"
    with identity.context.engine.connect() as conn:
        stored = conn.execute(text("SELECT token_hash FROM refresh_tokens")).scalars().all()
    assert second.refresh_token not in stored


def test_logout_revokes_the_refresh_family(identity):
    person = identity.register_legal_person()
    session = identity.login(person)
    identity.call("DeleteCurrentSession", sessions_pb2.DeleteCurrentSessionRequest(), session.access_token)
    failure = identity.refused("RefreshSession",
                               sessions_pb2.RefreshSessionRequest(refresh_token=session.refresh_token))
    assert failure.reason == "SESSION_REVOKED"


def test_bad_token_is_unauthenticated_and_me_needs_login(identity):
    failure = identity.refused("GetMe", accounts_pb2.GetMeRequest(), "not.a.token")
    assert failure.code == grpc.StatusCode.UNAUTHENTICATED
    failure = identity.refused("GetMe", accounts_pb2.GetMeRequest())
    assert failure.code == grpc.StatusCode.UNAUTHENTICATED


def test_key_rotation_keeps_old_tokens_valid_and_publishes_both_keys(identity):
    from services.identity.cli import rotate_keys

    person = identity.register_legal_person()
    old = identity.login(person)
    old_kid = jwt.get_unverified_header(old.access_token)["kid"]
    assert rotate_keys(identity.context, ["--now"]) == 0
    kids = {k.kid for k in identity.call("GetJwks", directory_pb2.GetJwksRequest()).keys}
    assert old_kid in kids and len(kids) >= 2
    assert identity.call("GetMe", accounts_pb2.GetMeRequest(), old.access_token).account.id == person.account_id
    new = identity.login(person)
    new_kid = jwt.get_unverified_header(new.access_token)["kid"]
    assert new_kid != old_kid
    assert identity.call("GetMe", accounts_pb2.GetMeRequest(), new.access_token).account.id == person.account_id


def test_private_keys_are_encrypted_at_rest(identity):
    identity.call("GetJwks", directory_pb2.GetJwksRequest())
    with identity.context.engine.connect() as conn:
        blobs = conn.execute(text("SELECT private_key_encrypted FROM signing_keys")).scalars().all()
    assert blobs and all(b"PRIVATE KEY" not in bytes(blob) for blob in blobs)
