"""The account itself: profile, password reset, account recovery, phone change and deletion."""

from __future__ import annotations

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from services.chassis.auth import Caller, require_authenticated
from services.chassis.db import utcnow
from services.chassis.errors import FailedPrecondition, InvalidArgument, Unauthenticated, Violations
from services.chassis.messages import domain_event, notification_request, phone_recipient
from services.chassis.uow import UnitOfWork
from services.identity import domain, events
from services.identity.handlers.codes import CodeCheck, check_code, check_codes
from services.identity.handlers.common import (
    audit,
    find_account_by_identifier,
    memberships_of_account,
)
from services.identity.handlers.sessions import revoke_families
from services.identity.models import Account, LoginFailure, Membership, Organization
from services.identity.providers import IdentityContext
from services.identity.secrets import Secrets

MISMATCH = "填写的信息与注册信息不一致"
Memberships = list[tuple[Membership, Organization]]
# The account, its memberships and the entrance the caller's session logged in at.
Me = tuple[Account, Memberships, str]


def _own_account(session: Session, account_id: str | None, *, for_update: bool = False) -> Account:
    account = session.get(Account, account_id, with_for_update=for_update) if account_id else None
    if account is None or account.status == domain.DELETED:
        raise Unauthenticated("账号不存在或已注销", reason="ACCOUNT_NOT_ACTIVE")
    return account


def _entrance(caller: Caller) -> str:
    return caller.claims.get("entrance") or domain.PLATFORM_ENTRANCE


def get_me(context: IdentityContext) -> Me:
    caller = require_authenticated()
    with context.unit_of_work(read_only=True) as uow:
        account = _own_account(uow.session, caller.account_id)
        return account, memberships_of_account(uow.session, account.id), _entrance(caller)


def update_me(context: IdentityContext, *, name: str = "", email: str = "", email_code: str = "", phone: str = "",
              phone_code: str = "") -> Me:
    """Empty fields are left unchanged; a new e-mail or phone comes with the code sent to it."""
    caller = require_authenticated()
    v = Violations()
    if name:
        domain.check(v, "name", domain.text_problem(name, "姓名"))
    if email:
        domain.check(v, "email", domain.email_problem(email))
        if not email_code:
            v.add("emailCode", "更换邮箱须输入发送到新邮箱的验证码")
    if phone:
        domain.check(v, "phone", domain.phone_problem(phone))
        if not phone_code:
            v.add("phoneCode", "更换手机号须输入发送到新手机号的验证码")
    v.raise_if_any()
    with context.unit_of_work() as uow:
        session = uow.session
        account = _own_account(session, caller.account_id)
        checks = []
        if email and email != account.email:
            checks.append(CodeCheck("CHANGE_EMAIL", email, email_code, "emailCode"))
        if phone and phone != account.phone:
            checks.append(CodeCheck("CHANGE_PHONE", phone, phone_code, "phoneCode"))
        if wrong := check_codes(context.providers.secrets, session, checks):
            uow.commit_refusal(wrong)
        changed = []
        if name and name.strip() != account.name:
            account.name = name.strip()
            changed.append("name")
        if email and email != account.email:
            account.email = email
            changed.append("email")
        if phone and phone != account.phone:
            account.phone = phone
            changed.append("phone")
        if changed:
            account.updated_at = utcnow()
            audit(session, "PROFILE_UPDATED", target=account.id, detail=",".join(changed))
        memberships = memberships_of_account(session, account.id)
        uow.commit()
    return account, memberships, _entrance(caller)


def reset_password(context: IdentityContext, identifier: str, channel: str, code: str, new_password: str) -> None:
    v = Violations()
    if not identifier.strip():
        v.add("identifier", "请输入登录名、统一社会信用代码或身份证号")
    domain.check(v, "channel", domain.choice_problem(channel, domain.CHANNELS, "验证方式"))
    domain.check(v, "newPassword", domain.password_problem(new_password))
    if not code:
        v.add("code", "请输入验证码")
    v.raise_if_any()
    secrets = context.providers.secrets
    with context.unit_of_work() as uow:
        session = uow.session
        account = find_account_by_identifier(session, secrets, identifier)
        destination = None
        if account is not None:
            destination = account.phone if channel == "SMS" else account.email
        # An unknown identifier fails exactly like a wrong code.
        if wrong := check_code(secrets, session, CodeCheck("RESET_PASSWORD", destination, code, "code")):
            uow.commit_refusal(wrong)
        assert account is not None  # a code matched, so it went to this account's phone or e-mail
        account.password_hash = secrets.hash_password(new_password)
        account.locked_until = None
        account.updated_at = utcnow()
        session.execute(delete(LoginFailure).where(LoginFailure.account_id == account.id))
        revoke_families(session, account.id, "PASSWORD_RESET")
        audit(session, "PASSWORD_RESET", target=account.id, actor_id=account.id, detail=f"by {channel}")
        uow.commit()


def _legal_person_matches(secrets: Secrets, session: Session, uscc: str, legal_rep_name: str,
                          legal_rep_id_number: str) -> tuple[Account | None, Organization | None]:
    """The organisation of ``uscc``, and its OWNER account when the legal-person details all match."""
    organization = session.scalar(select(Organization).where(Organization.uscc == domain.normalize_uscc(uscc)))
    if organization is None or organization.legal_rep_name.strip() != (legal_rep_name or "").strip():
        return None, organization
    if organization.legal_rep_id_lookup != secrets.lookup_hash(domain.normalize_id_number(legal_rep_id_number)):
        return None, organization
    owner_id = session.scalar(select(Membership.account_id).where(Membership.organization_id == organization.id,
                                                                  Membership.role == domain.OWNER))
    account = session.get(Account, owner_id) if owner_id else None
    return (account if account is not None and account.status != domain.DELETED else None), organization


def recover_account(context: IdentityContext, *, uscc: str, legal_rep_name: str, legal_rep_id_number: str,
                    phone: str, sms_code: str, organization_name: str = "", legal_person_type: str = "",
                    legal_rep_id_type: str = "") -> str:
    """The login name of the legal person whose details and phone code match.

    The optional fields (organisation name, legal-person type, ID type) are checked too when given: a
    mismatch in any is refused exactly like a wrong ID number, so the answer never tells which was wrong.
    """
    v = Violations()
    if legal_person_type:
        domain.check(v, "legalPersonType", domain.choice_problem(legal_person_type, domain.LEGAL_PERSON_TYPES,
                                                                   "法人类型"))
    if legal_rep_id_type:
        domain.check(v, "legalRepIdType", domain.choice_problem(legal_rep_id_type, domain.ID_TYPES, "证件类型"))
    domain.check(v, "uscc", domain.uscc_problem(uscc))
    domain.check(v, "legalRepName", domain.text_problem(legal_rep_name, "法定代表人姓名"))
    if not legal_rep_id_number:
        v.add("legalRepIdNumber", "请输入法定代表人证件号码")
    domain.check(v, "phone", domain.phone_problem(phone))
    if not sms_code:
        v.add("smsCode", "请输入短信验证码")
    v.raise_if_any()
    secrets = context.providers.secrets
    with context.unit_of_work() as uow:
        session = uow.session
        if wrong := check_code(secrets, session, CodeCheck("RECOVER", phone, sms_code, "smsCode")):
            uow.commit_refusal(wrong)
        account, organization = _legal_person_matches(secrets, session, uscc, legal_rep_name,
                                                      legal_rep_id_number)
        given = {"name": (organization_name or "").strip(), "legal_person_type": legal_person_type,
                 "legal_rep_id_type": legal_rep_id_type}
        if account is None or organization is None or account.phone != phone or any(
                value and (getattr(organization, field) or "").strip() != value for field, value in given.items()):
            audit(session, "ACCOUNT_RECOVERY", target=None, result="FAILURE", detail="details did not match")
            uow.commit_refusal(FailedPrecondition(MISMATCH, reason="DETAILS_MISMATCH"))
        # Whoever held the account before its legal person recovered it is signed out.
        revoke_families(session, account.id, "ACCOUNT_RECOVERED")
        audit(session, "ACCOUNT_RECOVERY", target=account.id, actor_id=account.id)
        uow.commit()
    return account.login_name or ""


def change_phone(context: IdentityContext, *, identifier: str, new_phone: str, new_phone_code: str,
                 old_phone: str = "", old_phone_code: str = "", uscc: str = "", legal_rep_name: str = "",
                 legal_rep_id_number: str = "") -> str:
    """Bind a new phone, proven by the old phone's code or, when that phone is gone, the legal-person details."""
    v = Violations()
    if not identifier.strip():
        v.add("identifier", "请输入登录名、统一社会信用代码或身份证号")
    domain.check(v, "newPhone", domain.phone_problem(new_phone))
    if not new_phone_code:
        v.add("newPhoneCode", "请输入新手机号收到的验证码")
    by_details = not old_phone_code
    if by_details:
        if not (uscc and legal_rep_name and legal_rep_id_number):
            v.add("oldPhoneCode", "请输入原手机号收到的验证码；原手机号已停用时请填写法人信息（uscc、legalRepName、"
                                  "legalRepIdNumber）")
    else:
        domain.check(v, "oldPhone", domain.phone_problem(old_phone))
    v.raise_if_any()
    secrets = context.providers.secrets
    with context.unit_of_work() as uow:
        session = uow.session
        checks = [CodeCheck("CHANGE_PHONE", new_phone, new_phone_code, "newPhoneCode")]
        if not by_details:
            checks.append(CodeCheck("CHANGE_PHONE", old_phone, old_phone_code, "oldPhoneCode"))
        if wrong := check_codes(secrets, session, checks):
            uow.commit_refusal(wrong)
        account = find_account_by_identifier(session, secrets, identifier)
        if by_details:
            owner, _organization = _legal_person_matches(secrets, session, uscc, legal_rep_name,
                                                         legal_rep_id_number)
            matches = account is not None and owner is not None and owner.id == account.id
        else:
            matches = account is not None and account.phone == old_phone
        if account is None or not matches:
            audit(session, "PHONE_CHANGE", target=None, result="FAILURE", detail="details did not match")
            uow.commit_refusal(FailedPrecondition(MISMATCH, reason="DETAILS_MISMATCH"))
        account.phone = new_phone
        account.updated_at = utcnow()
        audit(session, "PHONE_CHANGE", target=account.id, actor_id=account.id,
              detail="by legal-person details" if by_details else "by old phone")
        uow.commit()
    return domain.mask_phone(account.phone)


def _departure_refusal(session: Session, account: Account) -> FailedPrecondition | None:
    """Why the account may not leave yet (§1.2.1): an ADMIN transfers first; an OWNER hands administration over."""
    memberships = session.scalars(select(Membership).where(
        Membership.account_id == account.id, Membership.role.in_(domain.MANAGER_ROLES),
        Membership.status == domain.ACTIVE)).all()
    for membership in memberships:
        if membership.role == domain.ADMIN_ROLE:
            return FailedPrecondition("管理员离职，需提前转移管理员身份，再由新的管理员注销原管理员账号",
                                      reason="ADMIN_MUST_TRANSFER",
                                      metadata={"organizationId": membership.organization_id})
        others = session.execute(select(Membership.role, Membership.status).where(
            Membership.organization_id == membership.organization_id, Membership.account_id != account.id,
            Membership.status.in_(domain.BINDING_STATUSES))).all()
        # With an active ADMIN in place the organisation keeps a manager when its legal-person account leaves.
        if others and (domain.ADMIN_ROLE, domain.ACTIVE) not in [tuple(row) for row in others]:
            return FailedPrecondition("单位仍有成员或待审核的经办人申请：请先将管理员身份移交给其他成员，"
                                      "或移除全部成员后再注销法人账号", reason="ORGANIZATION_HAS_MEMBERS",
                                      metadata={"organizationId": membership.organization_id})
    return None


def erase_account(uow: UnitOfWork, account: Account, *, actor_id: str, action: str, detail: str = "") -> None:
    """The account's personal data erased, its memberships removed and sessions ended, in the caller's unit of work.

    The person is told by SMS to the phone itself: after erasure nothing links the account to a contact point.
    """
    session = uow.session
    now = utcnow()
    if account.phone:
        uow.publish(notification_request(
            system="identity", category="account", template="identity.account.deleted",
            recipients=[phone_recipient(account.phone)], channels=["SMS"], mandatory=True,
            params={"loginName": account.login_name or "",
                    "deletedAt": f"{now.astimezone(domain.CST):%Y-%m-%d %H:%M}"}))
    memberships = session.execute(select(Membership.organization_id, Membership.role)
                                  .where(Membership.account_id == account.id)).all()
    domain.MEMBERSHIP.update(session, Membership, domain.REMOVED, Membership.account_id == account.id,
                             scopes="", updated_at=now)
    for organization_id, role in memberships:
        if role == domain.OWNER:
            # The legal representative's ID number is personal data of the person leaving.
            session.execute(update(Organization).where(Organization.id == organization_id)
                            .values(legal_rep_id_encrypted=None, legal_rep_id_lookup=None, updated_at=now))
    revoke_families(session, account.id, "ACCOUNT_DELETED")
    session.execute(delete(LoginFailure).where(LoginFailure.account_id == account.id))
    domain.ACCOUNT.move(account, domain.DELETED, f"账号当前状态为{domain.ACCOUNT.label(account.status)}，不能注销")
    account.deleted_at, account.updated_at = now, now
    account.login_name = None
    account.password_hash = None
    account.name = ""
    account.phone = account.email = None
    account.id_type = account.id_number_encrypted = account.id_number_lookup = None
    audit(session, action, target=account.id, actor_id=actor_id, detail=detail)
    uow.publish(domain_event(events.ACCOUNT_DELETED, {
        "accountId": account.id, "organizationIds": [o for o, _role in memberships], "deletedAt": now.isoformat()}))


def delete_me(context: IdentityContext, sms_code: str) -> str:
    """Erase the caller's personal data and end its sessions; answers the account id."""
    caller = require_authenticated()
    if not sms_code:
        raise InvalidArgument.for_field("smsCode", "请输入短信验证码")
    with context.unit_of_work() as uow:
        session = uow.session
        account = _own_account(session, caller.account_id, for_update=True)
        if account.kind == domain.ADMIN:
            raise FailedPrecondition("平台管理员账号不能注销", reason="ADMIN_UNDELETABLE")
        if refusal := _departure_refusal(session, account):
            raise refusal
        if wrong := check_code(context.providers.secrets, session,
                               CodeCheck("DELETE_ACCOUNT", account.phone, sms_code, "smsCode")):
            uow.commit_refusal(wrong)
        erase_account(uow, account, actor_id=account.id, action="ACCOUNT_DELETED")
        uow.commit()
    return account.id
