"""The audience gate: who may call a routed method at all, from the method's declared audience."""

from __future__ import annotations

import pytest

from protos.common.v1 import options_pb2
from services.chassis.audience import Gate, gate_of
from services.chassis.auth import ANONYMOUS, Caller
from services.chassis.errors import PermissionDenied, Unauthenticated

MEMBER = Caller(account_id="a1", organization_id="org-1", roles=frozenset({"OWNER"}),
                scopes=frozenset({"rare_earth", "inspection"}), kind="LEGAL_PERSON")
RE_OFFICE = Caller(account_id="s1", roles=frozenset({"STAFF"}), scopes=frozenset({"rare_earth"}), kind="STAFF",
                   agency="MIIT_RE_OFFICE")
CUSTOMS = Caller(account_id="s2", roles=frozenset({"STAFF"}), scopes=frozenset({"inspection", "origin_cert"}),
                 kind="STAFF", agency="CUSTOMS:0100")
ADMIN = Caller(account_id="p1", roles=frozenset({"PLATFORM_ADMIN"}), kind="ADMIN")
NATURAL = Caller(account_id="n1", kind="NATURAL_PERSON")


def admitted(audience: int, system: str | None) -> set[str]:
    callers = {"anonymous": ANONYMOUS, "member": MEMBER, "re_office": RE_OFFICE, "customs": CUSTOMS,
               "admin": ADMIN, "natural": NATURAL}
    return {name for name, caller in callers.items() if Gate(audience, system).refusal(caller) is None}


@pytest.mark.parametrize(("audience", "system", "expected"), [
    (options_pb2.PUBLIC, None, {"anonymous", "member", "re_office", "customs", "admin", "natural"}),
    (options_pb2.SIGNED_IN, None, {"member", "re_office", "customs", "admin", "natural"}),
    (options_pb2.ORGANIZATION, "rare_earth", {"member", "admin"}),
    (options_pb2.ORGANIZATION_ADMIN, None, {"member", "admin"}),
    (options_pb2.STAFF, "inspection", {"customs", "admin"}),
    (options_pb2.STAFF, None, {"re_office", "customs", "admin"}),
    (options_pb2.ORGANIZATION_OR_STAFF, "rare_earth", {"member", "re_office", "admin"}),
    (options_pb2.PLATFORM_ADMIN, None, {"admin"}),
])
def test_each_audience_admits_its_callers_and_the_platform_admin(audience, system, expected):
    assert admitted(audience, system) == expected


def test_an_anonymous_caller_is_told_to_log_in_and_one_outside_the_audience_is_refused():
    staff_route = Gate(options_pb2.STAFF, "inspection")
    anonymous = staff_route.refusal(ANONYMOUS)
    assert isinstance(anonymous, Unauthenticated) and anonymous.reason == "LOGIN_REQUIRED"
    outsider = staff_route.refusal(RE_OFFICE)
    assert isinstance(outsider, PermissionDenied) and outsider.reason == "OUTSIDE_AUDIENCE"
    # The half a service applies itself: only the anonymous caller is refused.
    assert staff_route.login_refusal(ANONYMOUS).reason == "LOGIN_REQUIRED"
    assert staff_route.login_refusal(RE_OFFICE) is None
    assert Gate(options_pb2.PUBLIC, None).login_refusal(ANONYMOUS) is None


def test_a_routed_method_gates_by_its_declared_audience_and_system_and_a_grpc_only_one_is_not_gated():
    from protos.identity.v1 import directory_pb2, sessions_pb2  # noqa: F401 - their descriptors in the pool
    from protos.rare_earth.v1 import quota_pb2  # noqa: F401

    plans = gate_of("/tongban.rare_earth.v1.QuotaService/CreateQuotaPlan")
    assert plans is not None and (plans.name, plans.system) == ("STAFF", "rare_earth")
    login = gate_of("/tongban.identity.v1.SessionService/CreateSession")
    assert login is not None and login.name == "PUBLIC"
    assert gate_of("/tongban.identity.v1.DirectoryService/CheckScope") is None
