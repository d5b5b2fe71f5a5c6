"""The six gRPC services: request -> plain values -> use case -> view, nothing else."""

from __future__ import annotations

from protos.identity.v1 import (
    accounts_pb2,
    accounts_pb2_grpc,
    directory_pb2,
    directory_pb2_grpc,
    organizations_pb2_grpc,
    registration_pb2,
    registration_pb2_grpc,
    sessions_pb2,
    sessions_pb2_grpc,
    staff_pb2,
    staff_pb2_grpc,
)
from services.chassis import wire
from services.chassis.http_metadata import set_http_status
from services.chassis.server import ServiceBinding
from services.chassis.wire import enum_name, moment, page_fields
from services.identity import domain, views
from services.identity.handlers import (
    accounts,
    applications,
    codes,
    members,
    organizations,
    queries,
    registration,
    revocations,
    sessions,
    signers,
    staff,
)
from services.identity.providers import IdentityContext


class _Servicer:
    def __init__(self, context: IdentityContext):
        self._context = context
        self._secrets = context.providers.secrets


class DirectoryServicer(_Servicer, directory_pb2_grpc.DirectoryServiceServicer):
    def GetJwks(self, request, context):
        return views.jwks_pb(self._context.providers.keys.jwks())

    def ResolveRecipients(self, request, context):
        found = queries.resolve_recipients(self._context, views.recipient_queries(request))
        return directory_pb2.ResolveRecipientsResponse(recipients=[views.recipient_pb(c) for c in found])

    def ListAudience(self, request, context):
        found, following = queries.list_audience(
            self._context, enum_name(directory_pb2.AudienceKind, request.kind), request.system,
            list(request.org_types), list(request.organization_ids), request.page_size, request.page_token)
        return directory_pb2.ListAudienceResponse(recipients=[views.recipient_pb(c) for c in found],
                                                  next_page_token=following)

    def GetAccount(self, request, context):
        return views.account_pb(queries.account_by_id(self._context, request.id), self._secrets)

    def BatchGetOrganizations(self, request, context):
        found = queries.organizations_by_ids(self._context, list(request.ids))
        return directory_pb2.BatchGetOrganizationsResponse(
            organizations=[views.organization_pb(o, self._secrets) for o in found])

    def CheckScope(self, request, context):
        decision = queries.check_scope(self._context, request.account_id, request.organization_id, request.scope)
        return directory_pb2.CheckScopeResponse(allowed=decision.allowed, role=decision.role, reason=decision.reason)

    def ListRevocations(self, request, context):
        page = revocations.list_revocations(self._context, request.since_ms, request.page_size, request.page_token)
        return directory_pb2.ListRevocationsResponse(
            revocations=[views.revocation_pb(listed.revocation, listed.expires_at_ms) for listed in page.items],
            next_page_token=page.next_page_token, as_of_ms=page.as_of_ms)


class RegistrationServicer(_Servicer, registration_pb2_grpc.RegistrationServiceServicer):
    def CreateVerificationCode(self, request, context):
        sent = codes.request_code(self._context, request.channel, request.target, request.purpose)
        return registration_pb2.VerificationCodeSent(masked_destination=sent.masked_destination,
                                                     resend_after_seconds=sent.resend_after_seconds,
                                                     expires_in_seconds=sent.expires_in_seconds)

    def _created(self, registered: registration.Registered, context) -> registration_pb2.Registration:
        set_http_status(context, 201)
        return views.registration_pb(registered, self._secrets)

    def _register(self, use_case, request, context) -> registration_pb2.Registration:
        return self._created(use_case(self._context, **wire.arguments(request, use_case)), context)

    def RegisterLegalPerson(self, request, context):
        return self._register(registration.register_legal_person, request, context)

    def RegisterNaturalPerson(self, request, context):
        return self._register(registration.register_natural_person, request, context)

    def LookupOrganization(self, request, context):
        return views.registered_organization_pb(registration.lookup_organization(self._context, request.uscc))

    def RegisterOrganizationUser(self, request, context):
        registered = registration.register_organization_user(
            self._context, **wire.arguments(request, registration.register_organization_user))
        set_http_status(context, 201)
        # The organisation's id only: its fields are shown to members, and this user is not one yet.
        return views.registration_pb(registration.Registered(registered.account, None), self._secrets,
                                     organization_id=registered.organization.id)

    def RegisterInstitution(self, request, context):
        return self._register(registration.register_institution, request, context)


class SessionServicer(_Servicer, sessions_pb2_grpc.SessionServiceServicer):
    def CreateSession(self, request, context):
        issued = sessions.create_session(self._context, request.identifier, request.password, request.sms_code,
                                         request.organization_id, request.entrance)
        return views.session_pb(issued, self._secrets)

    def RefreshSession(self, request, context):
        return views.session_pb(sessions.refresh_session(self._context, request.refresh_token), self._secrets)

    def SwitchOrganization(self, request, context):
        issued = sessions.switch_organization(self._context, request.organization_id, request.refresh_token)
        return views.session_pb(issued, self._secrets)

    def DeleteCurrentSession(self, request, context):
        sessions.logout(self._context, request.refresh_token)
        return sessions_pb2.DeleteCurrentSessionResponse()


class AccountServicer(_Servicer, accounts_pb2_grpc.AccountServiceServicer):
    def GetMe(self, request, context):
        return views.me_pb(*accounts.get_me(self._context), self._secrets)

    def UpdateMe(self, request, context):
        changed = accounts.update_me(self._context, **wire.arguments(request, accounts.update_me))
        return views.me_pb(*changed, self._secrets)

    def DeleteMe(self, request, context):
        return accounts_pb2.DeleteMeResponse(account_id=accounts.delete_me(self._context, request.sms_code))

    def CreatePasswordReset(self, request, context):
        accounts.reset_password(self._context, request.identifier, request.channel, request.code,
                                request.new_password)
        return accounts_pb2.PasswordResetDone()

    def CreateAccountRecovery(self, request, context):
        login_name = accounts.recover_account(self._context, **wire.arguments(request, accounts.recover_account))
        return accounts_pb2.AccountRecovered(login_name=login_name)

    def CreatePhoneChange(self, request, context):
        masked = accounts.change_phone(self._context, **wire.arguments(request, accounts.change_phone))
        return accounts_pb2.PhoneChanged(masked_phone=masked)


class OrganizationServicer(_Servicer, organizations_pb2_grpc.OrganizationServiceServicer):
    def GetOrganization(self, request, context):
        found = organizations.get_visible_organization(self._context, request.id)
        return views.organization_pb(found, self._secrets)

    def UpdateOrganization(self, request, context):
        changes = wire.fields_of(request, organizations.EDITABLE_FIELDS)
        return views.organization_pb(organizations.update_organization(self._context, request.id, **changes),
                                     self._secrets)

    def CreateAgentApplication(self, request, context):
        return views.application_pb(*applications.apply_as_agent(self._context, request.organization_name,
                                                                  request.uscc))

    def ListAgentApplications(self, request, context):
        return views.applications_pb(applications.list_agent_applications(
            self._context, request.status, request.page_size, request.page_token))

    def ApproveAgentApplication(self, request, context):
        return views.application_pb(*applications.decide_agent_application(self._context, request.id, True,
                                                                            request.reason))

    def RejectAgentApplication(self, request, context):
        return views.application_pb(*applications.decide_agent_application(self._context, request.id, False,
                                                                            request.reason))

    def ListMembers(self, request, context):
        return views.members_pb(members.list_members(self._context, request.organization_id, request.status,
                                                     request.page_size, request.page_token, request.role))

    def SetMemberScopes(self, request, context):
        return views.member_pb(*members.set_member_scopes(self._context, request.organization_id,
                                                          request.account_id, list(request.scopes)))

    def SetMemberRole(self, request, context):
        return views.member_pb(*members.set_member_role(self._context, request.organization_id,
                                                        request.account_id, request.role))

    def _move(self, request, target: str):
        return views.member_pb(*members.change_member_status(self._context, request.organization_id,
                                                             request.account_id, target))

    def DisableMember(self, request, context):
        return self._move(request, domain.DISABLED)

    def EnableMember(self, request, context):
        return self._move(request, domain.ACTIVE)

    def RemoveMember(self, request, context):
        return self._move(request, domain.REMOVED)

    def TransferAdmin(self, request, context):
        return views.members_pb(members.transfer_admin(self._context, request.id, request.to_account_id,
                                                       request.former_admin_role))

    def CreateSigner(self, request, context):
        created = signers.create_signer(self._context, **wire.arguments(request, signers.create_signer))
        set_http_status(context, 201)
        return views.member_pb(*created)

    def DeleteMemberAccount(self, request, context):
        return views.member_pb(*signers.delete_member_account(self._context, request.organization_id,
                                                              request.account_id))


class AdminServicer(_Servicer, staff_pb2_grpc.AdminServiceServicer):
    def CreateStaff(self, request, context):
        created = staff.create_staff(self._context, **wire.arguments(request, staff.create_staff))
        return views.account_pb(created, self._secrets)

    def UpdateStaff(self, request, context):
        updated = staff.update_staff(self._context, request.id, name=request.name, phone=request.phone,
                                     agency=request.agency, roles=tuple(request.roles),
                                     fields=tuple(request.update_mask.paths))
        return views.account_pb(updated, self._secrets)

    def ListStaff(self, request, context):
        page = staff.list_staff(self._context, request.agency, request.page_size, request.page_token)
        return staff_pb2.ListStaffResponse(staff=[views.account_pb(a, self._secrets) for a in page.items],
                                           **page_fields(page))

    def DisableAccount(self, request, context):
        disabled = staff.set_account_status(self._context, request.id, domain.DISABLED, request.reason)
        return views.account_pb(disabled, self._secrets)

    def EnableAccount(self, request, context):
        enabled = staff.set_account_status(self._context, request.id, domain.ACTIVE, request.reason)
        return views.account_pb(enabled, self._secrets)

    def ListAuditEvents(self, request, context):
        page = staff.list_audit_events(self._context, request.account_id, request.action,
                                       moment(request, "start_time"), moment(request, "end_time"),
                                       request.page_size, request.page_token)
        return staff_pb2.ListAuditEventsResponse(audit_events=[views.audit_pb(e) for e in page.items],
                                                 **page_fields(page))


SERVICERS = (DirectoryServicer, RegistrationServicer, SessionServicer, AccountServicer, OrganizationServicer,
             AdminServicer)


def bindings(context: IdentityContext) -> list[ServiceBinding]:
    return [ServiceBinding.of(servicer(context)) for servicer in SERVICERS]
