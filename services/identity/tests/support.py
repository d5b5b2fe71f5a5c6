"""Identity under test: a real gRPC server on a fresh PostgreSQL database, and valid test data."""

from __future__ import annotations

import itertools
import json
import os
import random
from dataclasses import dataclass, field

import grpc
from sqlalchemy import select, update

from protos.identity.v1 import identity_pb2 as pb
from protos.identity.v1 import identity_pb2_grpc
from services.chassis.grpc_errors import status_from_rpc_error
from services.chassis.runtime import ServiceContext
from services.identity import domain
from services.identity.models import VerificationCode

PASSWORD = "Passw0rd1"
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


class Failed(Exception):
    def __init__(self, error: grpc.RpcError):
        super().__init__(f"{error.code()}: {error.details()}")
        self.code = error.code()
        self.status = status_from_rpc_error(error)
        self.message = error.details()
        self.violations: dict[str, str] = {}
        self.reason = ""
        self.metadata: dict[str, str] = {}
        from google.rpc import error_details_pb2

        for detail in self.status.details:
            if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
                bad = error_details_pb2.BadRequest()
                detail.Unpack(bad)
                self.violations.update({v.field: v.description for v in bad.field_violations})
            if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
                info = error_details_pb2.ErrorInfo()
                detail.Unpack(info)
                self.reason = info.reason
                self.metadata = dict(info.metadata)


class IdentityClient:
    """Calls identity over real gRPC and reads the codes it wrote to its outbox."""

    def __init__(self, address: str, context: ServiceContext):
        self.channel = grpc.insecure_channel(address)
        self.stub = identity_pb2_grpc.IdentityServiceStub(self.channel)
        self.context = context

    def call(self, method: str, request, token: str | None = None, *, metadata=()):
        md = list(metadata)
        if token:
            md.append(("authorization", f"Bearer {token}"))
        try:
            return getattr(self.stub, method)(request, timeout=30, metadata=md)
        except grpc.RpcError as error:
            raise Failed(error) from None

    def call_with_call(self, method: str, request, token: str | None = None):
        md = [("authorization", f"Bearer {token}")] if token else []
        return getattr(self.stub, method).with_call(request, timeout=30, metadata=md)

    def refused(self, method: str, request, token: str | None = None, *, metadata=()) -> Failed:
        try:
            self.call(method, request, token, metadata=metadata)
        except Failed as failure:
            return failure
        raise AssertionError(f"{method} was expected to fail")

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
        self.call("CreateVerificationCode", pb.CreateVerificationCodeRequest(channel=channel, target=target,
                                                                             purpose=purpose), token)
        sent = [m for m in self.outbox()[before:] if m.get("category") == "verification_code"]
        assert sent, f"no code was sent for {purpose} to {target}"
        return sent[-1]["params"]["code"]

    def age_codes(self, destination: str | None = None, seconds: int = 61) -> None:
        """Move codes back in time, so the 60-second resend limit does not slow tests down."""
        from datetime import timedelta

        from sqlalchemy import func

        with self.context.engine.begin() as conn:
            statement = update(VerificationCode).values(
                created_at=VerificationCode.created_at - timedelta(seconds=seconds))
            if destination:
                statement = statement.where(VerificationCode.destination == destination)
            conn.execute(statement)
            del func

    # ---- flows ----
    def register_legal_person(self, **overrides) -> Person:
        person = Person(login_name=overrides.pop("login_name", login_name("corp")), phone=phone(), email=email(),
                        uscc=overrides.pop("uscc", uscc()), id_number=resident_id(), legal_rep_name="王法人",
                        organization_name=f"测试企业{unique()}有限公司")
        code = self.send_code(person.email, "REGISTER", "EMAIL")
        request = pb.RegisterLegalPersonRequest(
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
        response = self.call("RegisterNaturalPerson", pb.RegisterNaturalPersonRequest(
            login_name=person.login_name, password=person.password, name="赵自然", id_type="RESIDENT_ID",
            id_number=person.id_number, phone=person.phone, sms_code=code, email=person.email))
        person.account_id = response.account_id
        return person

    def login(self, person: Person, identifier: str | None = None, organization_id: str = "") -> pb.Session:
        identifier = identifier or person.login_name
        code = self.send_code(identifier, "LOGIN")
        session = self.call("CreateSession", pb.CreateSessionRequest(
            identifier=identifier, password=person.password, sms_code=code, organization_id=organization_id))
        person.tokens = {"access": session.access_token, "refresh": session.refresh_token}
        self.age_codes(person.phone)
        return session
