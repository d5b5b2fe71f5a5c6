"""Who may call a routed method at all: the ``tongban.common.v1.audience`` option its proto declares.

The gate is coarse on purpose and comes before the request is read, so a caller outside a route's
audience learns nothing of the request's shape: anonymous callers of anything but a PUBLIC method are
told to log in, enterprise members are kept off staff routes and staff off the routes of systems they
do not work in. What a caller may do with a given record stays the use case's to decide. The platform
admin passes every gate: the use cases already say what it may do.

The gateway, the one door from outside, applies the whole gate (``refusal``) before it transcodes; a
service applies its login half (``login_refusal``) to every routed call, and leaves roles to its use
cases, whose own refusals (and reasons) callers inside the cluster see.
"""

from __future__ import annotations

from google.api import annotations_pb2
from google.protobuf import descriptor_pool
from google.protobuf.descriptor import MethodDescriptor

from protos.common.v1 import options_pb2
from services.chassis.auth import Caller
from services.chassis.errors import DomainError, PermissionDenied, Unauthenticated
from services.chassis.registry import REGISTRY

PUBLIC = options_pb2.PUBLIC
_ADMIN_ROLE = "PLATFORM_ADMIN"
_ORGANIZATION_SIDE = (options_pb2.ORGANIZATION, options_pb2.ORGANIZATION_ADMIN, options_pb2.ORGANIZATION_OR_STAFF)
_STAFF_SIDE = (options_pb2.STAFF, options_pb2.ORGANIZATION_OR_STAFF)


class Gate:
    """A routed method's audience and the system it belongs to (None for identity's and notify's own)."""

    def __init__(self, audience: int, system: str | None):
        self.audience = audience
        self.system = system

    @property
    def name(self) -> str:
        return options_pb2.Audience.Name(self.audience)

    def login_refusal(self, caller: Caller) -> DomainError | None:
        """Why an anonymous ``caller`` may not call the method, or None."""
        if self.audience == PUBLIC or caller.is_authenticated:
            return None
        # Authentication comes before validation: an anonymous call learns nothing of the request's shape.
        return Unauthenticated("请先登录", reason="LOGIN_REQUIRED")

    def refusal(self, caller: Caller) -> DomainError | None:
        """Why ``caller`` may not call the method, or None when it may."""
        if self.audience == PUBLIC:
            return None
        if not caller.is_authenticated:
            return self.login_refusal(caller)
        if self.audience == options_pb2.SIGNED_IN or _ADMIN_ROLE in caller.roles:
            return None
        if self.audience in _ORGANIZATION_SIDE and caller.organization_id and not caller.agency:
            return None
        if self.audience in _STAFF_SIDE and caller.agency and (self.system is None or self.system in caller.scopes):
            return None
        staff = _STAFF_TITLE.get(self.system or "", "本系统主管部门")
        message = _MESSAGES.get(self.audience, "无权执行此操作").format(staff=staff)
        return PermissionDenied(message, reason="OUTSIDE_AUDIENCE")


# {staff}: the system's staff as its refusals name them (the registry's staff_title).
_MESSAGES = {
    options_pb2.ORGANIZATION: "仅限企业（机构）用户操作：请以企业身份登录",
    options_pb2.ORGANIZATION_ADMIN: "仅限企业（机构）管理员操作",
    options_pb2.STAFF: "仅限{staff}工作人员操作",
    options_pb2.ORGANIZATION_OR_STAFF: "仅限企业（机构）用户或{staff}工作人员操作",
    options_pb2.PLATFORM_ADMIN: "仅限平台管理员操作",
}
_SYSTEM_OF_PACKAGE = {f"tongban.{spec.name}.v1": spec.scope for spec in REGISTRY}
_STAFF_TITLE = {spec.scope: spec.staff_title for spec in REGISTRY if spec.scope}


def gate_of(method: str) -> Gate | None:
    """The gate of ``method`` (``/pkg.Service/Method``) when it has a REST route (``google.api.http``), else
    None: gRPC-only methods are for services inside the cluster, which call without a user's token, and
    their use cases decide. A routed method without a declared audience needs a token and nothing more."""
    try:
        found = descriptor_pool.Default().FindMethodByName(method.strip("/").replace("/", "."))
    except KeyError:
        return None
    return gate_for(found) if found.GetOptions().HasExtension(annotations_pb2.http) else None


def gate_for(method: MethodDescriptor) -> Gate:
    """The gate of a routed method's descriptor: one without a declared audience needs a token."""
    return declared_gate(method) or Gate(options_pb2.SIGNED_IN, _system_of(method))


def declared_gate(method: MethodDescriptor) -> Gate | None:
    """The gate of a method that declares its audience, else None."""
    audience = method.GetOptions().Extensions[options_pb2.audience]
    return Gate(audience, _system_of(method)) if audience else None


def _system_of(method: MethodDescriptor) -> str | None:
    return _SYSTEM_OF_PACKAGE.get(method.containing_service.file.package)
