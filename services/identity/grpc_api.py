"""gRPC servicer: proto <-> use cases, nothing else."""

from __future__ import annotations

from google.protobuf import json_format

from protos.identity.v1 import identity_pb2 as pb
from protos.identity.v1 import identity_pb2_grpc
from services.chassis.http_metadata import set_http_status
from services.chassis.runtime import ServiceContext
from services.chassis.server import ServiceBinding
from services.identity.handlers import accounts, codes, organizations, queries, registration, sessions, staff
from services.identity.handlers.common import IdentityApp
from services.identity.views import (
    account_pb,
    application_pb,
    audit_pb,
    member_pb,
    membership_pb,
    organization_pb,
)


class IdentityService(identity_pb2_grpc.IdentityServiceServicer):
    def __init__(self, app: IdentityApp):
        self._app = app
        self._secrets = app.secrets

    # ---- keys ----
    def GetJwks(self, request, context):
        return json_format.ParseDict(self._app.keys.jwks(), pb.Jwks(), ignore_unknown_fields=True)

    # ---- codes and registration ----
    def CreateVerificationCode(self, request, context):
        sent = codes.request_code(self._app, request.channel, request.target, request.purpose)
        return pb.VerificationCodeSent(masked_destination=sent.masked_destination,
                                       resend_after_seconds=sent.resend_after_seconds,
                                       expires_in_seconds=sent.expires_in_seconds)

    def _registration(self, registered, context) -> pb.Registration:
        set_http_status(context, 201)
        response = pb.Registration(account_id=registered.account.id,
                                   account=account_pb(registered.account, self._secrets))
        if registered.organization is not None:
            response.organization_id = registered.organization.id
            response.organization.CopyFrom(organization_pb(registered.organization, self._secrets))
        return response

    def RegisterLegalPerson(self, request, context):
        return self._registration(registration.register_legal_person(self._app, request), context)

    def RegisterNaturalPerson(self, request, context):
        return self._registration(registration.register_natural_person(self._app, request), context)

    def RegisterInstitution(self, request, context):
        return self._registration(registration.register_institution(self._app, request), context)

    # ---- sessions ----
    def _session(self, issued: sessions.IssuedSession) -> pb.Session:
        return pb.Session(access_token=issued.access_token, refresh_token=issued.refresh_token,
                          expires_in=issued.expires_in, token_type="Bearer",
                          account=account_pb(issued.account, self._secrets),
                          organizations=[membership_pb(m, o) for m, o in issued.memberships],
                          organization_id=issued.organization_id or "")

    def CreateSession(self, request, context):
        return self._session(sessions.create_session(self._app, request.identifier, request.password,
                                                     request.sms_code, request.organization_id))

    def RefreshSession(self, request, context):
        return self._session(sessions.refresh_session(self._app, request.refresh_token))

    def SwitchOrganization(self, request, context):
        return self._session(sessions.switch_organization(self._app, request.organization_id,
                                                          request.refresh_token))

    def DeleteCurrentSession(self, request, context):
        sessions.logout(self._app, request.refresh_token)
        return pb.DeleteCurrentSessionResponse()

    # ---- me ----
    def _me(self, account, memberships) -> pb.Me:
        return pb.Me(account=account_pb(account, self._secrets),
                     organizations=[membership_pb(m, o) for m, o in memberships])

    def GetMe(self, request, context):
        return self._me(*accounts.get_me(self._app))

    def UpdateMe(self, request, context):
        return self._me(*accounts.update_me(self._app, request))

    def DeleteMe(self, request, context):
        return pb.DeleteMeResponse(account_id=accounts.delete_me(self._app, request.sms_code))

    # ---- organisations, agents, members ----
    def GetOrganization(self, request, context):
        return organization_pb(organizations.get_visible_organization(self._app, request.id), self._secrets)

    def UpdateOrganization(self, request, context):
        return organization_pb(organizations.update_organization(self._app, request), self._secrets)

    def CreateAgentApplication(self, request, context):
        return application_pb(*organizations.apply_as_agent(self._app, request.organization_name, request.uscc))

    def ListAgentApplications(self, request, context):
        page = organizations.list_agent_applications(self._app, request.status, request.page_size,
                                                     request.page_token)
        return pb.ListAgentApplicationsResponse(agent_applications=[application_pb(*row) for row in page.items],
                                                next_page_token=page.next_page_token, total_size=page.total_size)

    def ApproveAgentApplication(self, request, context):
        return application_pb(*organizations.decide_agent_application(self._app, request.id, True, request.reason))

    def RejectAgentApplication(self, request, context):
        return application_pb(*organizations.decide_agent_application(self._app, request.id, False,
                                                                      request.reason))

    def _members(self, page) -> pb.ListMembersResponse:
        return pb.ListMembersResponse(members=[member_pb(m, a) for m, a in page.items],
                                      next_page_token=page.next_page_token, total_size=page.total_size)

    def ListMembers(self, request, context):
        return self._members(organizations.list_members(self._app, request.organization_id, request.status,
                                                        request.page_size, request.page_token))

    def SetMemberScopes(self, request, context):
        return member_pb(*organizations.set_member_scopes(self._app, request.organization_id, request.account_id,
                                                         list(request.scopes)))

    def SetMemberRole(self, request, context):
        return member_pb(*organizations.set_member_role(self._app, request.organization_id, request.account_id,
                                                       request.role))

    def DisableMember(self, request, context):
        return member_pb(*organizations.change_member_status(self._app, request.organization_id,
                                                            request.account_id, "DISABLED"))

    def EnableMember(self, request, context):
        return member_pb(*organizations.change_member_status(self._app, request.organization_id,
                                                            request.account_id, "ACTIVE"))

    def RemoveMember(self, request, context):
        return member_pb(*organizations.change_member_status(self._app, request.organization_id,
                                                            request.account_id, "REMOVED"))

    def TransferAdmin(self, request, context):
        return self._members(organizations.transfer_admin(self._app, request.id, request.to_account_id))

    # ---- recovery ----
    def CreatePasswordReset(self, request, context):
        accounts.reset_password(self._app, request.identifier, request.channel, request.code, request.new_password)
        return pb.PasswordResetDone()

    def CreateAccountRecovery(self, request, context):
        return pb.AccountRecovered(login_name=accounts.recover_account(self._app, request))

    def CreatePhoneChange(self, request, context):
        return pb.PhoneChanged(masked_phone=accounts.change_phone(self._app, request))

    # ---- staff and audit ----
    def CreateStaff(self, request, context):
        return account_pb(staff.create_staff(self._app, request), self._secrets)

    def ListStaff(self, request, context):
        page = staff.list_staff(self._app, request.agency, request.page_size, request.page_token)
        return pb.ListStaffResponse(staff=[account_pb(a, self._secrets) for a in page.items],
                                    next_page_token=page.next_page_token, total_size=page.total_size)

    def DisableAccount(self, request, context):
        return account_pb(staff.set_account_status(self._app, request.id, "DISABLED", request.reason), self._secrets)

    def EnableAccount(self, request, context):
        return account_pb(staff.set_account_status(self._app, request.id, "ACTIVE", request.reason), self._secrets)

    def ListAuditEvents(self, request, context):
        start = request.start_time.ToDatetime(tzinfo=_utc()) if request.HasField("start_time") else None
        end = request.end_time.ToDatetime(tzinfo=_utc()) if request.HasField("end_time") else None
        page = staff.list_audit_events(self._app, request.account_id, request.action, start, end,
                                       request.page_size, request.page_token)
        return pb.ListAuditEventsResponse(audit_events=[audit_pb(e) for e in page.items],
                                          next_page_token=page.next_page_token, total_size=page.total_size)

    # ---- gRPC only ----
    def GetAccount(self, request, context):
        return account_pb(queries.account_by_id(self._app, request.id), self._secrets)

    def BatchGetOrganizations(self, request, context):
        found = queries.organizations_by_ids(self._app, list(request.ids))
        return pb.BatchGetOrganizationsResponse(organizations=[organization_pb(o, self._secrets) for o in found])

    def CheckScope(self, request, context):
        result = queries.check_scope(self._app, request.account_id, request.organization_id, request.scope)
        return pb.CheckScopeResponse(allowed=result.allowed, role=result.role, reason=result.reason)

    def ResolveRecipients(self, request, context):
        found = queries.resolve_recipients(
            self._app, [(q.account_id, q.organization_id, q.scope, q.agency) for q in request.queries])
        return pb.ResolveRecipientsResponse(recipients=[_recipient_pb(r) for r in found])

    def ListAudience(self, request, context):
        found, token = queries.list_audience(
            self._app, pb.AudienceKind.Name(request.kind), request.system, list(request.org_types),
            list(request.organization_ids), request.page_size, request.page_token)
        return pb.ListAudienceResponse(recipients=[_recipient_pb(r) for r in found], next_page_token=token)


def _utc():
    from datetime import UTC

    return UTC


def _recipient_pb(recipient: queries.Recipient) -> pb.ResolvedRecipient:
    return pb.ResolvedRecipient(account_id=recipient.account_id, organization_id=recipient.organization_id,
                                name=recipient.name, phone=recipient.phone, email=recipient.email)


def bindings(context: ServiceContext) -> list[ServiceBinding]:
    servicer = IdentityService(IdentityApp.for_context(context))
    add_to_server = identity_pb2_grpc.add_IdentityServiceServicer_to_server
    return [ServiceBinding.of(pb, "IdentityService", add_to_server, servicer)]
