"""Revoked tokens, polled from a real gRPC identity stand-in: refused after a poll, cached or not; others kept."""

from __future__ import annotations

import logging
import time

import pytest

from protos.identity.v1 import directory_pb2
from services.chassis.auth import TokenVerifier
from services.chassis.clients.identity import IdentityClient
from services.chassis.errors import Unauthenticated
from services.chassis.grpc_client import ChannelFactory
from services.chassis.revocations import Revocation, RevocationList
from services.chassis.testing.identity import IdentityStandIn


def _later(seconds: float = 600) -> int:
    return int((time.time() + seconds) * 1000)


@pytest.fixture
def identity():
    stand_in = IdentityStandIn().start()
    yield stand_in
    stand_in.stop()


@pytest.fixture
def verifier_of(identity):
    made: list[RevocationList] = []

    def make() -> tuple[TokenVerifier, RevocationList]:
        client = IdentityClient(ChannelFactory.static({"identity": identity.address}), timeout=2.0)
        # A long interval: the tests poll by hand, so nothing races them.
        revocations = RevocationList(client.revocations, interval=3600)
        made.append(revocations)
        return TokenVerifier(identity.minter.jwks, revocations=revocations), revocations

    yield make
    for revocations in made:
        revocations.stop()


def _refused(verifier: TokenVerifier, token: str) -> Unauthenticated:
    with pytest.raises(Unauthenticated) as refused:
        verifier.caller(token, "10.0.0.1", "test")
    return refused.value


def test_a_revoked_session_is_refused_after_a_poll_though_its_token_was_cached(identity, verifier_of):
    verifier, revocations = verifier_of()
    revoked = identity.minter.mint("acc-1", sid="session-1")
    other_session = identity.minter.mint("acc-1", sid="session-2")
    assert verifier.caller(revoked, "10.0.0.1", "test").account_id == "acc-1"
    identity.revocations.append(directory_pb2.Revocation(
        id="1", kind=directory_pb2.REVOKED_SESSION, key="session-1", expires_at_ms=_later()))
    assert revocations.poll_once()
    refusal = _refused(verifier, revoked)
    assert (refusal.reason, refusal.message) == ("TOKEN_REVOKED", "会话已失效，请重新登录")
    with pytest.raises(Unauthenticated):
        verifier.verify(revoked)
    assert verifier.caller(other_session, "10.0.0.1", "test").account_id == "acc-1"


def test_an_account_revoked_at_a_moment_loses_the_tokens_signed_before_it_and_keeps_later_ones(identity,
                                                                                              verifier_of):
    verifier, revocations = verifier_of()
    moment = int(time.time() * 1000)
    before = identity.minter.mint("acc-1", iat_ms=moment - 1)
    after = identity.minter.mint("acc-1", iat_ms=moment + 1)
    someone_else = identity.minter.mint("acc-2", iat_ms=moment - 1)
    identity.revocations.append(directory_pb2.Revocation(
        id="2", kind=directory_pb2.REVOKED_SUBJECT, key="acc-1", issued_before_ms=moment, expires_at_ms=_later()))
    revocations.poll_once()
    assert _refused(verifier, before).reason == "TOKEN_REVOKED"
    assert verifier.verify(after)["sub"] == "acc-1"
    assert verifier.verify(someone_else)["sub"] == "acc-2"


def test_a_verifier_whose_identity_is_down_keeps_its_last_list_and_accepts_other_tokens(identity, verifier_of,
                                                                                       caplog):
    verifier, revocations = verifier_of()
    revoked = identity.minter.mint("acc-1", sid="session-1")
    fine = identity.minter.mint("acc-2", sid="session-9")
    identity.revocations.append(directory_pb2.Revocation(
        id="1", kind=directory_pb2.REVOKED_SESSION, key="session-1", expires_at_ms=_later()))
    assert revocations.poll_once()
    identity.down = True
    with caplog.at_level(logging.WARNING, logger="services.chassis.revocations"):
        assert not revocations.poll_once()
    assert "fetching revoked tokens failed" in caplog.text
    assert _refused(verifier, revoked).reason == "TOKEN_REVOKED"
    assert verifier.caller(fine).account_id == "acc-2"


def test_the_first_verification_polls_and_then_a_thread_keeps_polling(identity):
    client = IdentityClient(ChannelFactory.static({"identity": identity.address}), timeout=2.0)
    revocations = RevocationList(client.revocations, interval=0.05)
    verifier = TokenVerifier(identity.minter.jwks, revocations=revocations)
    try:
        token = identity.minter.mint("acc-1", sid="session-1")
        assert verifier.verify(token)["sub"] == "acc-1"
        identity.revocations.append(directory_pb2.Revocation(
            id="1", kind=directory_pb2.REVOKED_SESSION, key="session-1", expires_at_ms=_later()))
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and "session-1" not in revocations.sessions:
            time.sleep(0.02)
        assert _refused(verifier, token).reason == "TOKEN_REVOKED"
    finally:
        revocations.stop()


def test_entries_are_forgotten_once_every_token_they_could_cover_has_expired():
    now = [1000.0]
    answers = [[Revocation("1", "SESSION", "s-old", 0, 1010.0), Revocation("2", "SUBJECT", "acc-1", 5, 1100.0)]]

    def fetch(since_ms: int, page_token: str):
        return (answers.pop() if answers else []), "", int(now[0] * 1000)

    revocations = RevocationList(fetch, wall_clock=lambda: now[0])
    revocations.poll_once()
    assert set(revocations.sessions) == {"s-old"} and set(revocations.subjects) == {"acc-1"}
    now[0] = 1050.0
    revocations.poll_once()
    assert revocations.sessions == {} and set(revocations.subjects) == {"acc-1"}


def test_a_poll_reads_every_page_and_asks_again_from_a_little_before_the_last_answer():
    asked: list[tuple[int, str]] = []
    pages = {"": ([Revocation("1", "SESSION", "s-1", 0, time.time() + 60)], "p2"),
             "p2": ([Revocation("2", "SESSION", "s-2", 0, time.time() + 60)], "")}

    def fetch(since_ms: int, page_token: str):
        asked.append((since_ms, page_token))
        return (*pages[page_token], 1_000_000)

    revocations = RevocationList(fetch)
    revocations.poll_once()
    revocations.poll_once()
    assert set(revocations.sessions) == {"s-1", "s-2"}
    assert asked == [(0, ""), (0, "p2"), (1_000_000 - 30_000, ""), (1_000_000 - 30_000, "p2")]


def test_a_member_revoked_in_one_organisation_keeps_its_tokens_for_another(identity, verifier_of):
    verifier, revocations = verifier_of()
    moment = int(time.time() * 1000)
    there = identity.minter.mint("acc-1", org="org-1", iat_ms=moment - 1)
    elsewhere = identity.minter.mint("acc-1", org="org-2", iat_ms=moment - 1)
    identity.revocations.append(directory_pb2.Revocation(
        id="3", kind=directory_pb2.REVOKED_SUBJECT, key="acc-1", issued_before_ms=moment, organization_id="org-1",
        expires_at_ms=_later()))
    revocations.poll_once()
    assert _refused(verifier, there).reason == "TOKEN_REVOKED"
    assert verifier.verify(elsewhere)["org"] == "org-2"
