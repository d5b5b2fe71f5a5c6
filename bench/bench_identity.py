"""Identity: login throughput (sessions/s over gRPC, production argon2id costs) beside argon2-cffi's raw
hash rate, and access-token verification beside a bare ``jwt.decode``, each measured in the same run.

Runs identity on a fresh local PostgreSQL database. Each login checks the password (one argon2id
verification), spends an SMS code and issues a token pair, so the password hash is the floor it is
compared with. ``BENCH_IDENTITY_LOGINS`` sets the logins per run.

Goal: a token's verification at first sight (no cache) at least 0.9x a bare ``jwt.decode`` of it.
Profiled (pyinstrument, 20,000 first-sight verifications): half the time is the Ed25519
signature check, which the floor pays too; the rest was PyJWT's parsing, and it parsed the
token twice, ``jwt.get_unverified_header`` for the ``kid`` (10% of the call) and then
``jwt.decode``, with its options merged again on every call. Now the ``kid`` comes from the
header segment alone through a small cache (one identity key signs every token with the same
header), the options are merged once in a ``jwt.PyJWT`` of the verifier's own, and a verifier
without a cache does not copy the claims it returns: 0.81x -> 0.93-1.0x. The full reading of
the token's form runs only on the paths that refuse it, so its refusals say what they said.
"""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor

import grpc
import jwt
from argon2 import PasswordHasher
from google.protobuf import json_format

from bench import goals
from bench.report import Figure, print_figure, print_header, repeat
from protos.identity.v1 import directory_pb2, directory_pb2_grpc, sessions_pb2, sessions_pb2_grpc
from services.chassis import testing
from services.chassis.auth import AUDIENCE, ISSUER, TokenVerifier
from services.chassis.config import ServiceSettings
from services.chassis.db import new_id, utcnow

LOGINS = int(os.environ.get("BENCH_IDENTITY_LOGINS", "40"))
CLIENT_THREADS = 4
VERIFICATIONS = 5000
RUNS = 3
VERIFICATION_RUNS = 7


def _start(url: str):
    from services.chassis.cli import migrate, serve
    from services.chassis.context import build_context
    from services.identity.definition import DEFINITION

    # Production argon2id costs (the identity defaults): only the secret key is the bench's own.
    environ = {"IDENTITY_DATABASE_URL": url, "TONGBAN_ENV": "test",
               "IDENTITY_SECRET_KEY": os.environ.get("IDENTITY_SECRET_KEY", "bench-identity-secret-key-0123456789")}
    context = build_context(DEFINITION, ServiceSettings.from_env("identity", environ), environ=environ)
    migrate(DEFINITION, context)
    return context, serve(DEFINITION, context, port=0)


def _prepare_logins(context, count: int, password: str) -> list[tuple[str, str]]:
    """Accounts sharing one password hash and one fresh LOGIN code each: the costly parts stay in the login."""
    from services.identity.models import Account, VerificationCode

    secrets = context.providers.secrets
    password_hash = secrets.hash_password(password)
    now = utcnow()
    logins = []
    with context.unit_of_work() as uow:
        session = uow.session
        for index in range(count):
            name, phone, code, code_id = f"b{new_id()[:12]}", f"137{index:08d}", f"{index % 10**6:06d}", new_id()
            session.add(Account(id=new_id(), login_name=name, kind="NATURAL_PERSON", status="ACTIVE",
                                password_hash=password_hash, name="压测", phone=phone, created_at=now, updated_at=now))
            session.add(VerificationCode(id=code_id, purpose="LOGIN", channel="SMS", destination=phone,
                                         code_hash=secrets.code_hash(code_id, code), attempts=0, created_at=now,
                                         expires_at=now.replace(year=now.year + 1)))
            logins.append((name, code))
        uow.commit()
    return logins


def _login_rate(context, stub, password: str) -> float:
    logins = _prepare_logins(context, LOGINS, password)

    def one(login: tuple[str, str]) -> None:
        stub.CreateSession(sessions_pb2.CreateSessionRequest(identifier=login[0], password=password,
                                                             sms_code=login[1]), timeout=60)

    started = time.perf_counter()
    with ThreadPoolExecutor(CLIENT_THREADS) as pool:
        list(pool.map(one, logins))
    return LOGINS / (time.perf_counter() - started)


def _hash_rate(password: str) -> float:
    hasher = PasswordHasher()  # argon2-cffi defaults, as identity uses in production
    count = max(8, LOGINS // 4)
    started = time.perf_counter()
    for _ in range(count):
        hasher.hash(password)
    return count / (time.perf_counter() - started)


def _verification_rates(stub, directory, context, password: str) -> tuple[Figure, Figure, Figure]:
    name, code = _prepare_logins(context, 1, password)[0]
    token = stub.CreateSession(sessions_pb2.CreateSessionRequest(identifier=name, password=password, sms_code=code),
                               timeout=60).access_token
    jwks = json_format.MessageToDict(directory.GetJwks(directory_pb2.GetJwksRequest(), timeout=10))
    verifier = TokenVerifier(lambda: jwks)
    # cache_size=0: every call checks the signature, as for a token the gateway sees first.
    first_sight = TokenVerifier(lambda: jwks, cache_size=0)
    kid = jwt.get_unverified_header(token)["kid"]
    key = next(jwt.PyJWK(k).key for k in jwks["keys"] if k["kid"] == kid)

    def verify_rate(chosen: TokenVerifier) -> float:
        started = time.perf_counter()
        for _ in range(VERIFICATIONS):
            chosen.verify(token)
        return VERIFICATIONS / (time.perf_counter() - started)

    def decode_rate() -> float:
        started = time.perf_counter()
        for _ in range(VERIFICATIONS):
            jwt.decode(token, key, algorithms=["EdDSA"], audience=AUDIENCE, issuer=ISSUER)
        return VERIFICATIONS / (time.perf_counter() - started)

    cached, first, decode = [], [], []
    for _ in range(VERIFICATION_RUNS):  # interleaved, so a busy moment of the machine hits both alike
        first.append(verify_rate(first_sight))
        decode.append(decode_rate())
        cached.append(verify_rate(verifier))
    return (Figure("TokenVerifier.verify, token seen before", cached, "verifications/s"),
            Figure("TokenVerifier.verify, first sight", first, "verifications/s"),
            Figure("raw jwt.decode (EdDSA)", decode, "decodes/s"))


def main() -> None:
    url = testing.create_postgres_database("bench_identity")
    password = "Bench2026pw"
    context = running = None
    try:
        context, running = _start(url)
        channel = grpc.insecure_channel(f"127.0.0.1:{running.port}")
        stub = sessions_pb2_grpc.SessionServiceStub(channel)
        directory = directory_pb2_grpc.DirectoryServiceStub(channel)
        print_header(f"identity login ({LOGINS} logins per run, {CLIENT_THREADS} client threads, argon2id defaults)")
        logins = Figure("login over gRPC", repeat(lambda: _login_rate(context, stub, password), RUNS), "sessions/s")
        hashes = Figure("argon2-cffi raw hash", repeat(lambda: _hash_rate(password), RUNS), "hashes/s")
        print_figure(logins, hashes)
        print_header(f"access-token verification ({VERIFICATIONS} per run, one token)")
        cached, first, decode = _verification_rates(stub, directory, context, password)
        print_figure(first, decode)
        print_figure(cached, decode)
        goals.check("token verification, first sight", first, decode, at_least=0.9)
        channel.close()
    finally:
        if running is not None:
            running.stop(0)
        if context is not None:
            context.engine.dispose()
        testing.drop_postgres_database(url)


if __name__ == "__main__":
    main()
