"""The account itself: profile, password reset, account recovery, phone change and deletion."""

from __future__ import annotations

from datetime import timedelta, timezone

from sqlalchemy import delete, select, update

from services.chassis.auth import require_authenticated
from services.chassis.db import utcnow
from services.chassis.errors import FailedPrecondition, InvalidArgument, Unauthenticated, Violations
from services.chassis.messages import domain_event, notification_request, phone_recipient
from services.identity import domain, events
from services.identity.handlers.codes import check_codes, verify_code
from services.identity.handlers.common import (
    IdentityApp,
    audit,
    commit_and_raise,
    find_account_by_identifier,
    memberships_of_account,
)
from services.identity.handlers.sessions import revoke_families
from services.identity.models import Account, LoginFailure, Membership, Organization

CST = timezone(timedelta(hours=8), "CST")
MISMATCH = "填写的信息与注册信息不一致"


def get_me(app: IdentityApp) -> tuple[Account, list]:
    caller = require_authenticated()
    with app.unit_of_work() as uow:
        account = uow.session.get(Account, caller.account_id)
        if account is None or account.status == "DELETED":
            raise Unauthenticated("账号不存在或已注销", reason="ACCOUNT_NOT_ACTIVE")
        return account, memberships_of_account(uow.session, account.id)


def update_me(app: IdentityApp, r) -> tuple[Account, list]:
    caller = require_authenticated()
    v = Violations()
    if r.name:
        domain.check(v, "name", domain.text_problem(r.name, "姓名"))
    if r.email:
        domain.check(v, "email", domain.email_problem(r.email))
        if not r.email_code:
            v.add("emailCode", "更换邮箱须输入发送到新邮箱的验证码")
    if r.phone:
        domain.check(v, "phone", domain.phone_problem(r.phone))
        if not r.phone_code:
            v.add("phoneCode", "更换手机号须输入发送到新手机号的验证码")
    v.raise_if_any()
    with app.unit_of_work() as uow:
        session = uow.session
        account = session.get(Account, caller.account_id)
        if account is None or account.status == "DELETED":
            raise Unauthenticated("账号不存在或已注销", reason="ACCOUNT_NOT_ACTIVE")
        checks = []
        if r.email and r.email != account.email:
            checks.append({"purpose": "CHANGE_EMAIL", "destination": r.email, "code": r.email_code,
                           "field_name": "emailCode"})
        if r.phone and r.phone != account.phone:
            checks.append({"purpose": "CHANGE_PHONE", "destination": r.phone, "code": r.phone_code,
                           "field_name": "phoneCode"})
        check_codes(app, uow, checks)
        changed = []
        if r.name and r.name.strip() != account.name:
            account.name = r.name.strip()
            changed.append("name")
        if r.email and r.email != account.email:
            account.email = r.email
            changed.append("email")
        if r.phone and r.phone != account.phone:
            account.phone = r.phone
            changed.append("phone")
        if changed:
            account.updated_at = utcnow()
            audit(session, "PROFILE_UPDATED", target=account.id, detail=",".join(changed))
        uow.commit()
        return account, memberships_of_account(session, account.id)


def reset_password(app: IdentityApp, identifier: str, channel: str, code: str, new_password: str) -> None:
    v = Violations()
    if not identifier.strip():
        v.add("identifier", "请输入登录名、统一社会信用代码或身份证号")
    domain.check(v, "channel", domain.choice_problem(channel, domain.CHANNELS, "验证方式"))
    domain.check(v, "newPassword", domain.password_problem(new_password))
    if not code:
        v.add("code", "请输入验证码")
    v.raise_if_any()
    with app.unit_of_work() as uow:
        session = uow.session
        account = find_account_by_identifier(session, app.secrets, identifier)
        destination = None
        if account is not None:
            destination = account.phone if channel == "SMS" else account.email
        # An unknown identifier fails exactly like a wrong code.
        verify_code(app, uow, purpose="RESET_PASSWORD", destination=destination, code=code, field_name="code")
        account.password_hash = app.secrets.hash_password(new_password)
        account.locked_until = None
        account.updated_at = utcnow()
        session.execute(delete(LoginFailure).where(LoginFailure.account_id == account.id))
        revoke_families(session, account.id, "PASSWORD_RESET")
        audit(session, "PASSWORD_RESET", target=account.id, actor_id=account.id, detail=f"by {channel}")
        uow.commit()


def _legal_person_matches(app: IdentityApp, session, uscc: str, legal_rep_name: str,
                          legal_rep_id_number: str) -> Account | None:
    """The OWNER account of the organisation whose legal-person details all match, else None."""
    organization = session.scalar(select(Organization).where(Organization.uscc == domain.normalize_uscc(uscc)))
    if organization is None or organization.legal_rep_name.strip() != (legal_rep_name or "").strip():
        return None
    if organization.legal_rep_id_lookup != app.secrets.lookup_hash(domain.normalize_id_number(legal_rep_id_number)):
        return None
    owner_id = session.scalar(select(Membership.account_id).where(Membership.organization_id == organization.id,
                                                                  Membership.role == "OWNER"))
    account = session.get(Account, owner_id) if owner_id else None
    return account if account is not None and account.status != "DELETED" else None


def recover_account(app: IdentityApp, r) -> str:
    v = Violations()
    domain.check(v, "uscc", domain.uscc_problem(r.uscc))
    domain.check(v, "legalRepName", domain.text_problem(r.legal_rep_name, "法定代表人姓名"))
    if not r.legal_rep_id_number:
        v.add("legalRepIdNumber", "请输入法定代表人证件号码")
    domain.check(v, "phone", domain.phone_problem(r.phone))
    if not r.sms_code:
        v.add("smsCode", "请输入短信验证码")
    v.raise_if_any()
    with app.unit_of_work() as uow:
        session = uow.session
        verify_code(app, uow, purpose="RECOVER", destination=r.phone, code=r.sms_code, field_name="smsCode")
        account = _legal_person_matches(app, session, r.uscc, r.legal_rep_name, r.legal_rep_id_number)
        organization = session.scalar(select(Organization).where(Organization.uscc == domain.normalize_uscc(r.uscc)))
        if account is None or account.phone != r.phone or (
                r.organization_name and organization.name.strip() != r.organization_name.strip()):
            audit(session, "ACCOUNT_RECOVERY", target=None, result="FAILURE", detail="details did not match")
            commit_and_raise(uow, FailedPrecondition(MISMATCH, reason="DETAILS_MISMATCH"))
        audit(session, "ACCOUNT_RECOVERY", target=account.id, actor_id=account.id)
        uow.commit()
        return account.login_name


def change_phone(app: IdentityApp, r) -> str:
    v = Violations()
    if not r.identifier.strip():
        v.add("identifier", "请输入登录名、统一社会信用代码或身份证号")
    domain.check(v, "newPhone", domain.phone_problem(r.new_phone))
    if not r.new_phone_code:
        v.add("newPhoneCode", "请输入新手机号收到的验证码")
    by_details = not r.old_phone_code
    if by_details:
        if not (r.uscc and r.legal_rep_name and r.legal_rep_id_number):
            v.add("oldPhoneCode", "请输入原手机号收到的验证码；原手机号已停用时请填写法人信息（uscc、legalRepName、"
                                  "legalRepIdNumber）")
    else:
        domain.check(v, "oldPhone", domain.phone_problem(r.old_phone))
    v.raise_if_any()
    with app.unit_of_work() as uow:
        session = uow.session
        checks = [{"purpose": "CHANGE_PHONE", "destination": r.new_phone, "code": r.new_phone_code,
                   "field_name": "newPhoneCode"}]
        if not by_details:
            checks.append({"purpose": "CHANGE_PHONE", "destination": r.old_phone, "code": r.old_phone_code,
                           "field_name": "oldPhoneCode"})
        check_codes(app, uow, checks)
        account = find_account_by_identifier(session, app.secrets, r.identifier)
        if by_details:
            owner = _legal_person_matches(app, session, r.uscc, r.legal_rep_name, r.legal_rep_id_number)
            matches = account is not None and owner is not None and owner.id == account.id
        else:
            matches = account is not None and account.phone == r.old_phone
        if not matches:
            audit(session, "PHONE_CHANGE", target=None, result="FAILURE", detail="details did not match")
            commit_and_raise(uow, FailedPrecondition(MISMATCH, reason="DETAILS_MISMATCH"))
        account.phone = r.new_phone
        account.updated_at = utcnow()
        audit(session, "PHONE_CHANGE", target=account.id, actor_id=account.id,
              detail="by legal-person details" if by_details else "by old phone")
        uow.commit()
        return domain.mask_phone(account.phone)


def delete_me(app: IdentityApp, sms_code: str) -> str:
    caller = require_authenticated()
    if not sms_code:
        raise InvalidArgument.for_field("smsCode", "请输入短信验证码")
    with app.unit_of_work() as uow:
        session = uow.session
        account = session.get(Account, caller.account_id, with_for_update=True)
        if account is None or account.status == "DELETED":
            raise Unauthenticated("账号不存在或已注销", reason="ACCOUNT_NOT_ACTIVE")
        if account.kind == "ADMIN":
            raise FailedPrecondition("平台管理员账号不能注销", reason="ADMIN_UNDELETABLE")
        owned = session.scalars(select(Membership.organization_id).where(
            Membership.account_id == account.id, Membership.role == "OWNER")).all()
        for organization_id in owned:
            others = session.scalar(select(Membership.id).where(
                Membership.organization_id == organization_id, Membership.account_id != account.id,
                Membership.status.in_(("ACTIVE", "DISABLED", "PENDING"))).limit(1))
            if others is not None:
                raise FailedPrecondition("单位仍有成员或待审核的经办人申请，请先移除后再注销法人账号",
                                         reason="ORGANIZATION_HAS_MEMBERS",
                                         metadata={"organizationId": organization_id})
        verify_code(app, uow, purpose="DELETE_ACCOUNT", destination=account.phone, code=sms_code,
                    field_name="smsCode")
        now = utcnow()
        if account.phone:
            # Sent to the phone itself: after erasure nothing links the account to a contact point.
            uow.publish(notification_request(
                system="identity", category="account", template="identity.account.deleted",
                recipients=[phone_recipient(account.phone)], channels=["SMS"], mandatory=True,
                params={"loginName": account.login_name or "", "deletedAt": f"{now.astimezone(CST):%Y-%m-%d %H:%M}"}))
        organization_ids = session.scalars(select(Membership.organization_id)
                                           .where(Membership.account_id == account.id)).all()
        session.execute(update(Membership).where(Membership.account_id == account.id)
                        .values(status="REMOVED", scopes="", updated_at=now))
        for organization_id in owned:
            # The legal representative's ID number is personal data of the person leaving.
            session.execute(update(Organization).where(Organization.id == organization_id)
                            .values(legal_rep_id_encrypted=None, legal_rep_id_lookup=None, updated_at=now))
        revoke_families(session, account.id, "ACCOUNT_DELETED")
        session.execute(delete(LoginFailure).where(LoginFailure.account_id == account.id))
        account.status, account.deleted_at, account.updated_at = "DELETED", now, now
        account.login_name = None
        account.password_hash = None
        account.name = ""
        account.phone = account.email = None
        account.id_type = account.id_number_encrypted = account.id_number_lookup = None
        audit(session, "ACCOUNT_DELETED", target=account.id, actor_id=account.id)
        uow.publish(domain_event(events.ACCOUNT_DELETED, {
            "accountId": account.id, "organizationIds": list(organization_ids), "deletedAt": now.isoformat()}))
        uow.commit()
        return account.id
