"""Revoked access tokens: each change records its revocation in its own transaction, ListRevocations
lists them from a cursor a page at a time, and identity's own verifier refuses a revoked token."""

from __future__ import annotations

import time
from datetime import timedelta

import grpc
from sqlalchemy import select

from protos.identity.v1 import accounts_pb2, directory_pb2, organizations_pb2, sessions_pb2, staff_pb2
from services.chassis.db import utcnow
from services.identity.handlers.revocations import KEPT_FOR, SUBJECT
from services.identity.handlers.sessions import revoke_families
from services.identity.models import SessionFamily, TokenRevocation
from services.identity.tests import support
from services.identity.tests.support import Person
from services.identity.tests.test_organizations import _approved_agent, _owner
from services.identity.tests.test_staff_and_queries import _admin


def _rows(identity, key: str) -> list[tuple[str, str, str | None]]:
    with identity.context.session_factory() as session:
        rows = session.scalars(select(TokenRevocation).where(TokenRevocation.key == key)
                               .order_by(TokenRevocation.id)).all()
        return [(r.kind, r.reason, r.organization_id) for r in rows]


def _refused_within(identity, token: str, seconds: float = 5.0) -> tuple[float, object]:
    """How long until identity refuses ``token`` on GetMe (polling every 0.2 s), and the refusal."""
    started = time.monotonic()
    while True:
        try:
            identity.call("GetMe", accounts_pb2.GetMeRequest(), token)
        except grpc.RpcError:
            return time.monotonic() - started, identity.refused("GetMe", accounts_pb2.GetMeRequest(), token)
        assert time.monotonic() - started < seconds, f"the token still works after {seconds} s"
        time.sleep(0.2)


def test_logout_revokes_its_session_and_identity_refuses_the_token_within_seconds(identity):
    person = identity.register_legal_person()
    first = identity.login(person).access_token
    second = identity.login(person).access_token
    sid = identity.claims(first)["sid"]
    assert identity.call("GetMe", accounts_pb2.GetMeRequest(), first).account.id == person.account_id
    identity.call("DeleteCurrentSession", sessions_pb2.DeleteCurrentSessionRequest(), first)
    assert _rows(identity, sid) == [("SESSION", "LOGOUT", None)]
    delay, refusal = _refused_within(identity, first)
    assert delay < 5.0
    assert (refusal.code, refusal.reason) == (grpc.StatusCode.UNAUTHENTICATED, "TOKEN_REVOKED")
    assert refusal.message == "会话已失效，请重新登录"
    # The same account's other session is its own.
    assert identity.call("GetMe", accounts_pb2.GetMeRequest(), second).account.id == person.account_id


def test_member_changes_that_take_rights_away_revoke_the_members_tokens_for_that_organisation(identity):
    owner = _owner(identity)
    agent = _approved_agent(identity, owner, scopes=["rare_earth", "origin_cert"])
    identity.login(agent, organization_id=owner.organization_id)
    org = owner.organization_id
    # A grant alone leaves the tokens: they claim less than the member may now do.
    identity.call("SetMemberScopes", organizations_pb2.SetMemberScopesRequest(
        organization_id=org, account_id=agent.account_id, scopes=["rare_earth", "origin_cert", "inspection"]),
        owner.access)
    assert _rows(identity, agent.account_id) == []
    identity.call("SetMemberScopes", organizations_pb2.SetMemberScopesRequest(
        organization_id=org, account_id=agent.account_id, scopes=["rare_earth"]), owner.access)
    identity.call("SetMemberRole", organizations_pb2.SetMemberRoleRequest(
        organization_id=org, account_id=agent.account_id, role="SIGNER"), owner.access)
    identity.call("DisableMember", organizations_pb2.MemberActionRequest(
        organization_id=org, account_id=agent.account_id), owner.access)
    assert _rows(identity, agent.account_id) == [
        ("SUBJECT", "SCOPES_CHANGED", org), ("SUBJECT", "ROLE_CHANGED", org), ("SUBJECT", "MEMBER_DISABLED", org)]
    assert _refused_within(identity, agent.access)[1].reason == "TOKEN_REVOKED"
    # A refused change records nothing: the owner cannot be disabled.
    identity.refused("DisableMember", organizations_pb2.MemberActionRequest(
        organization_id=org, account_id=owner.account_id), owner.access)
    assert _rows(identity, owner.account_id) == []


def test_account_changes_revoke_every_token_of_the_account(identity, monkeypatch):
    admin = _admin(identity, monkeypatch)
    person = identity.register_legal_person()
    identity.login(person)
    identity.call("DisableAccount", staff_pb2.AccountActionRequest(id=person.account_id, reason="冒用"),
                  admin.access)
    identity.call("EnableAccount", staff_pb2.AccountActionRequest(id=person.account_id), admin.access)
    code = identity.send_code(person.login_name, "RESET_PASSWORD")
    identity.call("CreatePasswordReset", accounts_pb2.CreatePasswordResetRequest(
        identifier=person.login_name, channel="SMS", code=code, new_password="NewPass99"))
    staff = Person(login_name=support.login_name("staff"), phone=support.phone(), email="")
    created = identity.call("CreateStaff", staff_pb2.CreateStaffRequest(
        login_name=staff.login_name, password=staff.password, name="审核员", phone=staff.phone,
        agency="LOCAL_AUTHORITY:110000", roles=["REVIEWER"]), admin.access)
    identity.call("UpdateStaff", staff_pb2.UpdateStaffRequest(id=created.id, name="复核员"), admin.access)
    assert _rows(identity, created.id) == []  # a new name leaves the claims that matter as they were
    identity.call("UpdateStaff", staff_pb2.UpdateStaffRequest(id=created.id, roles=["FIRST_REVIEW"]), admin.access)
    assert _rows(identity, person.account_id) == [("SUBJECT", "ACCOUNT_DISABLED", None),
                                                  ("SUBJECT", "PASSWORD_RESET", None)]
    assert _rows(identity, created.id) == [("SUBJECT", "STAFF_CHANGED", None)]
    assert _refused_within(identity, person.access)[1].reason == "TOKEN_REVOKED"


def test_a_revocation_is_written_in_the_changes_unit_of_work_and_goes_with_its_rollback(identity):
    person = identity.register_legal_person()
    identity.login(person)
    with identity.context.unit_of_work() as uow:
        revoke_families(uow.session, person.account_id, "ACCOUNT_DISABLED")
        uow.session.flush()
        assert _rows(identity, person.account_id) == []  # not visible outside the transaction before it commits
        # Leaving without commit rolls back: the sessions stay open and nothing is revoked.
    assert _rows(identity, person.account_id) == []
    with identity.context.session_factory() as session:
        families = session.scalars(select(SessionFamily).where(SessionFamily.account_id == person.account_id)).all()
        assert families and all(f.revoked_at is None for f in families)
    assert identity.call("GetMe", accounts_pb2.GetMeRequest(), person.access).account.id == person.account_id


def test_list_revocations_answers_from_a_cursor_a_page_at_a_time(identity):
    person = identity.register_legal_person()
    tokens = [identity.login(person).access_token for _ in range(3)]
    start = identity.call("ListRevocations", directory_pb2.ListRevocationsRequest(since_ms=0)).as_of_ms
    sids = []
    for token in tokens:
        sids.append(identity.claims(token)["sid"])
        identity.call("DeleteCurrentSession", sessions_pb2.DeleteCurrentSessionRequest(), token)
    first = identity.call("ListRevocations", directory_pb2.ListRevocationsRequest(since_ms=start, page_size=2))
    assert first.next_page_token and len(first.revocations) == 2
    second = identity.call("ListRevocations", directory_pb2.ListRevocationsRequest(
        since_ms=start, page_size=2, page_token=first.next_page_token))
    listed = [r for r in [*first.revocations, *second.revocations] if r.key in sids]
    assert [r.key for r in listed] == sids
    assert all(r.kind == directory_pb2.REVOKED_SESSION for r in listed)
    # Each is forgotten when the longest token it could cover has expired: the lifetime plus the leeway.
    lifetime_ms = (identity.context.config.access_token_seconds + 5) * 1000
    assert all(r.expires_at_ms - r.recorded_at_ms == lifetime_ms for r in listed)
    later = identity.call("ListRevocations", directory_pb2.ListRevocationsRequest(since_ms=first.as_of_ms + 1))
    assert not [r for r in later.revocations if r.key in sids]


def test_a_transfer_of_the_admin_role_revokes_the_former_admins_tokens_and_not_the_new_admins(identity):
    owner = _owner(identity)
    first, second = _approved_agent(identity, owner), _approved_agent(identity, owner)
    org = owner.organization_id
    for member in (first, second):
        identity.call("TransferAdmin", organizations_pb2.TransferAdminRequest(
            id=org, to_account_id=member.account_id), owner.access)
    assert _rows(identity, first.account_id) == [("SUBJECT", "ROLE_CHANGED", org)]
    assert _rows(identity, second.account_id) == []


def test_a_new_revocation_removes_the_rows_that_can_no_longer_cover_a_token_and_keeps_the_rest(identity):
    person = identity.register_legal_person()
    token = identity.login(person).access_token
    now = utcnow()
    with identity.context.unit_of_work() as uow:
        uow.session.add_all([
            TokenRevocation(kind=SUBJECT, key="expired-account", reason="TEST", issued_before_ms=0,
                            recorded_at=now - KEPT_FOR - timedelta(minutes=1)),
            TokenRevocation(kind=SUBJECT, key="recent-account", reason="TEST", issued_before_ms=0,
                            recorded_at=now - timedelta(minutes=10))])
        uow.commit()
    identity.call("DeleteCurrentSession", sessions_pb2.DeleteCurrentSessionRequest(), token)
    assert _rows(identity, "expired-account") == []
    assert _rows(identity, "recent-account") == [("SUBJECT", "TEST", None)]
    assert _rows(identity, identity.claims(token)["sid"]) == [("SESSION", "LOGOUT", None)]
