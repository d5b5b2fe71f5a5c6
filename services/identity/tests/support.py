"""Identity under test: the chassis service harness, plus valid test data and the codes identity sent."""

from __future__ import annotations

import itertools
import json
import os
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta

from google.protobuf import json_format
from sqlalchemy import select

from protos.identity.v1 import directory_pb2, registration_pb2, sessions_pb2
from services.chassis.auth import TokenVerifier
from services.chassis.db import aware
from services.chassis.testing.service import ServiceHarness
from services.identity import domain
from services.identity.definition import DEFINITION
from services.identity.models import VerificationCode

PASSWORD = "Passw0rd1"
# Cheap argon2 costs keep the suite fast; the production defaults are checked in test_domain.
TEST_ENVIRONMENT = {
    "IDENTITY_SECRET_KEY": "identity-test-secret-key-0123456789",
    "IDENTITY_PASSWORD_TIME_COST": "1",
    "IDENTITY_PASSWORD_MEMORY_KIB": "1024",
}
_counter = itertools.count(1)
_rng = random.Random(os.getpid())
# Resident IDs have three free digits per birth date: count through them instead of drawing,
# so two people in one run never share an ID number.
_id_serials = itertools.count(1)


def unique() -> int:
    return next(_counter) * 1000 + _rng.randrange(1000)


def phone() -> str:
    return f"13{_rng.randrange(10**9):09d}"


def email() -> str:
    return f"user{unique()}@example.com"


def login_name(prefix: str = "user") -> str:
    return f"{prefix}{unique()}"[:15]


def uscc(first: str = "9") -> str:
    body = first + "1" + f"{_rng.randrange(10**6):06d}" + "".join(_rng.choice("0123456789ABCDEFGHJKLMNPQRTUWXY")
                                                                  for _ in range(9))
    return domain.uscc_with_check_character(body)


def resident_id(birth: str = "19900307") -> str:
    from stdnum.cn import ric

    first = "110101" + birth + f"{next(_id_serials) % 1000:03d}"
    return first + ric.calc_check_digit(first + "0")


def other_code(code: str) -> str:
    """A well-formed code that is not ``code``."""
    return "000000" if code != "000000" else "111111"


@dataclass
class Person:
    login_name: str
    phone: str
    email: str
    password: str = PASSWORD
    account_id: str = ""
    organization_id: str = ""
    uscc: str = ""
    id_number: str = ""
    legal_rep_name: str = ""
    organization_name: str = ""
    tokens: dict = field(default_factory=dict)

    @property
    def access(self) -> str:
        return self.tokens["access"]


class IdentityHarness(ServiceHarness):
    """Identity served over real gRPC (verifying its own tokens), and the codes it asked notify to send."""

    def __init__(self, database_url: str, environ: Mapping[str, str] | None = None):
        super().__init__(DEFINITION, database_url, environ={**TEST_ENVIRONMENT, **(environ or {})},
                         identity=False)

    def claims(self, token: str) -> dict:
        """An access token's claims, verified the way another service would: against the published JWKS."""
        jwks = json_format.MessageToDict(self.call("GetJwks", directory_pb2.GetJwksRequest()))
        return TokenVerifier(lambda: jwks).verify(token)

    # ---- the outbox: what identity asked notify to send ----
    def outbox(self) -> list[dict]:
        outbox = self.context.tables.outbox
        with self.context.engine.connect() as conn:
            rows = conn.execute(select(outbox.c.routing_key, outbox.c.payload).order_by(outbox.c.id)).all()
        return [{"routing_key": r.routing_key, **json.loads(r.payload)} for r in rows]

    def sent_codes(self, destination: str) -> list[str]:
        codes = []
        for message in self.outbox():
            recipients = message.get("recipients", [])
            if (message.get("category") == "verification_code"
                    and any(destination in (r.get("phone"), r.get("email")) for r in recipients)):
                codes.append(message["params"]["code"])
        return codes

    def send_code(self, target: str, purpose: str, channel: str = "SMS", token: str | None = None) -> str:
        """Request a code and return the one that went out (to the bound phone for identifiers)."""
        before = len(self.outbox())
        self.call("CreateVerificationCode", registration_pb2.CreateVerificationCodeRequest(
            channel=channel, target=target, purpose=purpose), token)
        sent = [m for m in self.outbox()[before:] if m.get("category") == "verification_code"]
        assert sent, f"no code was sent for {purpose} to {target}"
        return sent[-1]["params"]["code"]

    def age_codes(self, destination: str | None = None, seconds: int = 61) -> None:
        """Move codes back in time, so the 60-second resend limit does not slow tests down."""
        with self.context.session_factory() as session:
            query = select(VerificationCode)
            if destination:
                query = query.where(VerificationCode.destination == destination)
            for row in session.scalars(query):
                row.created_at = aware(row.created_at) - timedelta(seconds=seconds)
            session.commit()

    # ---- flows ----
    def register_legal_person(self, **overrides) -> Person:
        person = Person(login_name=overrides.pop("login_name", login_name("corp")), phone=phone(), email=email(),
                        uscc=overrides.pop("uscc", uscc()), id_number=resident_id(), legal_rep_name="王法人",
                        organization_name=f"测试企业{unique()}有限公司")
        code = self.send_code(person.email, "REGISTER", "EMAIL")
        request = registration_pb2.RegisterLegalPersonRequest(
            login_name=person.login_name, password=person.password, legal_person_type="ENTERPRISE",
            uscc=person.uscc, organization_name=person.organization_name, legal_rep_name=person.legal_rep_name,
            legal_rep_id_type="RESIDENT_ID", legal_rep_id_number=person.id_number, industry="C32",
            enterprise_size="SMALL", holding="PRIVATE", phone=person.phone, email=person.email, email_code=code,
            agreement_accepted=True)
        for key, value in overrides.items():
            setattr(request, key, value)
        response = self.call("RegisterLegalPerson", request)
        person.account_id, person.organization_id = response.account_id, response.organization_id
        return person

    def register_natural_person(self) -> Person:
        person = Person(login_name=login_name("nat"), phone=phone(), email=email(), id_number=resident_id("19850615"))
        code = self.send_code(person.phone, "REGISTER")
        response = self.call("RegisterNaturalPerson", registration_pb2.RegisterNaturalPersonRequest(
            login_name=person.login_name, password=person.password, name="赵自然", id_type="RESIDENT_ID",
            id_number=person.id_number, phone=person.phone, sms_code=code, email=person.email))
        person.account_id = response.account_id
        return person

    def login(self, person: Person, identifier: str | None = None, organization_id: str = "") -> sessions_pb2.Session:
        identifier = identifier or person.login_name
        code = self.send_code(identifier, "LOGIN")
        session = self.call("CreateSession", sessions_pb2.CreateSessionRequest(
            identifier=identifier, password=person.password, sms_code=code, organization_id=organization_id))
        person.tokens = {"access": session.access_token, "refresh": session.refresh_token}
        self.age_codes(person.phone)
        return session
