"""Every route of the gateway's OpenAPI document, called as each kind of caller, against its declared audience.

The operations are read from ``/openapi.json`` at test time, so a route added later is covered without
touching this file. Each carries ``x-tongban-audience`` (the ``tongban.common.v1.audience`` option of its
method); one without fails the test. Path parameters get a made-up id and bodies are minimal, so the right
actor may well get 400, 404 or 409: what matters is who is let in at all.

- anonymous: a PUBLIC operation never answers 401; every other answers 401, before it reads a bad body;
- an enterprise member on a STAFF or PLATFORM_ADMIN operation, staff on a PLATFORM_ADMIN one, and staff of
  an agency outside the route's system on a STAFF one: 403 or 404, never a success;
- the right actor (a token of the declared audience): never 401 or 403.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import pytest
import requests

from services.chassis.registry import REGISTRY, systems_of_agency
from services.chassis.testing.stack import DemoLogin
from tests.e2e.support import claims

# Room for the session stack to start when this file runs alone; the calls themselves take well under a minute.
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(360)]

AUDIENCES = {"PUBLIC", "SIGNED_IN", "ORGANIZATION", "ORGANIZATION_ADMIN", "STAFF", "ORGANIZATION_OR_STAFF",
             "PLATFORM_ADMIN"}
MADE_UP_ID = "0badc0de0badc0de0badc0de0badc0d"
_VARIABLE = re.compile(r"\{([^{}]+)\}")
# The system of each REST area (None: the platform's own services, identity and notify).
_SYSTEM_OF_AREA = {spec.rest_area: spec.scope for spec in REGISTRY}
# The enterprise side: the demo organisation's owner, then the overseas institution's.
ORGANIZATION_LOGINS = ("demo_enterprise", "demo_institute")


@dataclass(frozen=True)
class Actor:
    login: str
    token: str
    claims: dict

    @property
    def agency(self) -> str | None:
        return self.claims.get("agency")

    @property
    def systems(self) -> tuple[str, ...]:
        return systems_of_agency(self.agency or "")

    @property
    def is_admin(self) -> bool:
        return "PLATFORM_ADMIN" in (self.claims.get("roles") or ())


@dataclass(frozen=True)
class Operation:
    verb: str
    path: str
    audience: str | None
    has_body: bool
    parameters: dict = field(hash=False, compare=False)

    @property
    def name(self) -> str:
        return f"{self.verb.upper()} {self.path}"

    @property
    def system(self) -> str | None:
        area = "/".join(self.path.split("/", 3)[:3])
        return _SYSTEM_OF_AREA.get(area)

    def url(self, base: str) -> str:
        def value(match: re.Match) -> str:
            schema = self.parameters.get(match.group(1), {})
            if schema.get("enum"):
                return str(next(v for v in schema["enum"] if not str(v).endswith("UNSPECIFIED")))
            if schema.get("type") == "integer" or schema.get("format") in ("int32", "int64", "uint32"):
                return "1"
            return MADE_UP_ID
        return base + _VARIABLE.sub(value, self.path)


def operations(document: dict) -> list[Operation]:
    found = []
    for path, item in document["paths"].items():
        for verb, op in item.items():
            parameters = {p["name"]: p.get("schema", {}) for p in op.get("parameters", ()) if p["in"] == "path"}
            found.append(Operation(verb, path, op.get("x-tongban-audience"), "requestBody" in op, parameters))
    return found


def log_in_everyone(stack) -> dict[str, Actor]:
    """The platform admin, every demo login, and a CCPIT head-office officer (reference data is the head
    office's alone, and no demo login works there), made by the admin."""
    logins = stack.demo_logins()

    def one(login) -> Actor:
        token = stack.login(login.login, login.password, login.phone)["accessToken"]
        return Actor(login.login, token, claims(token))
    with ThreadPoolExecutor(max_workers=4) as pool:
        actors = {actor.login: actor for actor in pool.map(one, logins)}
    admin = next(a for a in actors.values() if a.is_admin)
    officer = DemoLogin(f"mx_hq_{uuid.uuid4().hex[:8]}", "Matrix2026hq", f"135{uuid.uuid4().int % 10**8:08d}")
    created = requests.post(f"{stack.url}/v1/identity/staff", headers={"Authorization": f"Bearer {admin.token}"},
                            json={"loginName": officer.login, "password": officer.password, "name": "贸促会总会",
                                  "phone": officer.phone, "agency": "CCPIT:HQ"}, timeout=30)
    assert created.status_code in (200, 201), created.text
    actors[officer.login] = one(officer)
    return actors


def send(session: requests.Session, base: str, operation: Operation, actor: Actor | None, *,
         bad: bool = False) -> int:
    """One call: a minimal body (``{}``), or with ``bad`` one no parser accepts and an unknown query parameter."""
    headers = {"Authorization": f"Bearer {actor.token}"} if actor else {}
    url = operation.url(base) + ("?noSuchParameter=1" if bad else "")
    data = None
    if operation.has_body:
        headers["Content-Type"] = "application/json"
        data = b'{"' if bad else b"{}"
    return session.request(operation.verb.upper(), url, data=data, headers=headers, timeout=30).status_code


@dataclass
class Matrix:
    """Which actors each operation is called as, and what each call must not answer."""

    actors: dict[str, Actor]

    def staff(self, system: str | None) -> list[Actor]:
        return [a for a in self.actors.values() if a.agency and (system is None or system in a.systems)]

    def foreign_staff(self, system: str | None) -> Actor | None:
        if system is None:
            return None
        return next((a for a in self.actors.values() if a.agency and system not in a.systems), None)

    def organization_members(self) -> list[Actor]:
        return [self.actors[login] for login in ORGANIZATION_LOGINS if login in self.actors]

    def admin(self) -> Actor:
        return next(a for a in self.actors.values() if a.is_admin)

    def right_actors(self, operation: Operation) -> list[Actor]:
        audience, system = operation.audience, operation.system
        if audience == "SIGNED_IN":
            return [a for a in self.actors.values() if not a.is_admin]
        if audience in ("ORGANIZATION", "ORGANIZATION_ADMIN"):
            return self.organization_members()
        if audience == "STAFF":
            return self.staff(system)
        if audience == "ORGANIZATION_OR_STAFF":
            return [*self.organization_members(), *self.staff(system)]
        if audience == "PLATFORM_ADMIN":
            return [self.admin()]
        return []

    def wrong_actors(self, operation: Operation) -> list[tuple[str, Actor]]:
        audience, system = operation.audience, operation.system
        wrong = []
        if audience in ("STAFF", "PLATFORM_ADMIN"):
            wrong.append(("an enterprise member", self.actors["demo_enterprise"]))
        if audience == "PLATFORM_ADMIN":
            wrong.append(("staff", self.staff(None)[0]))
        foreign = self.foreign_staff(system) if audience in ("STAFF", "ORGANIZATION_OR_STAFF") else None
        if foreign is not None:
            wrong.append((f"staff of {foreign.agency}, outside {system}", foreign))
        return wrong


def check(matrix: Matrix, base: str, operation: Operation, session: requests.Session) -> Iterator[str]:
    """What is wrong with one operation, if anything: each a line naming it."""
    if operation.audience not in AUDIENCES:
        yield f"{operation.name}: no declared audience (option (tongban.common.v1.audience) on its method)"
        return
    if operation.audience == "PUBLIC":
        # Not 403 as well: a public route may still refuse a wrong secret of its own body (a receipt's token).
        status = send(session, base, operation, None)
        if status == 401:
            yield f"{operation.name}: PUBLIC, yet 401 anonymously"
        return
    status = send(session, base, operation, None, bad=True)
    if status != 401:
        yield f"{operation.name}: {status} anonymously with a bad request, not 401"
    for who, actor in matrix.wrong_actors(operation):
        status = send(session, base, operation, actor)
        if status not in (403, 404):
            yield f"{operation.name} ({operation.audience}): {status} for {who} ({actor.login}), not 403 or 404"
    answers = {}
    for actor in matrix.right_actors(operation):
        answers[actor.login] = send(session, base, operation, actor)
        if answers[actor.login] not in (401, 403):
            return
    yield f"{operation.name} ({operation.audience}): no caller of its audience let in: {answers}"


def test_every_route_admits_its_declared_audience_and_refuses_everyone_else(stack):
    session = requests.Session()
    document = session.get(f"{stack.url}/openapi.json", timeout=30).json()
    matrix = Matrix(log_in_everyone(stack))
    found = operations(document)
    assert len(found) > 300
    # A few operations at a time: the calls of one operation stay in order, and the gateway's workers all serve.
    with ThreadPoolExecutor(max_workers=4) as pool:
        problems = [line for lines in pool.map(lambda op: list(check(matrix, stack.url, op, session)), found)
                    for line in lines]
    assert not problems, f"{len(problems)} of {len(found)} operations:\n" + "\n".join(problems)
