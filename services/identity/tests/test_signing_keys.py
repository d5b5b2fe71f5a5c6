"""Signing keys on the embedded default (SQLite): loaded at start, refreshed outside every use case.

Signing used to read the key table inside the login's own transaction; on SQLite that
second transaction waited for the write lock its caller held, and every login after the
key cache expired answered "database is locked" half a minute later.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import jwt
import pytest

from protos.identity.v1 import accounts_pb2, directory_pb2, sessions_pb2
from services.chassis.context import build_context
from services.chassis.testing import wait_until
from services.chassis.uow import NestedUnitOfWork
from services.identity.definition import DEFINITION
from services.identity.handlers import sessions
from services.identity.handlers.keys import load_signing_keys, rotate_signing_key
from services.identity.tests.support import IdentityHarness, Person

# The key cache's lifetime here; in production 10 s.
CACHE_SECONDS = 0.2
# Far below the 30 s a login waited for its own lock, with room for a busy test machine.
PROMPT_SECONDS = 2.0


@pytest.fixture
def embedded(tmp_path) -> Iterator[IdentityHarness]:
    harness = IdentityHarness(f"sqlite:///{tmp_path / 'identity.db'}",
                              {"IDENTITY_KEY_CACHE_SECONDS": str(CACHE_SECONDS)})
    yield harness
    harness.close()


def _past_the_cache_lifetime(harness: IdentityHarness) -> None:
    """Wait until the keys have been reloaded since now: the cache has outlived its lifetime."""
    keys = harness.context.providers.keys
    before = time.monotonic()
    wait_until(lambda: (keys.loaded_at or 0) > before + CACHE_SECONDS / 2, timeout=10,
               what="the signing keys to be reloaded")


def _timed_login(harness: IdentityHarness, person: Person) -> tuple[sessions_pb2.Session, float]:
    code = harness.send_code(person.login_name, "LOGIN")
    started = time.monotonic()
    session = harness.call("CreateSession", sessions_pb2.CreateSessionRequest(
        identifier=person.login_name, password=person.password, sms_code=code))
    elapsed = time.monotonic() - started
    harness.age_codes(person.phone)
    return session, elapsed


def test_two_logins_on_sqlite_answer_promptly_with_the_key_cache_expired_between_them(embedded):
    person = embedded.register_natural_person()
    for _ in range(2):
        _past_the_cache_lifetime(embedded)
        session, elapsed = _timed_login(embedded, person)
        assert elapsed < PROMPT_SECONDS
        # The token verifies too (identity's own verifier reads the keys outside the call's use case).
        me = embedded.call("GetMe", accounts_pb2.GetMeRequest(), session.access_token)
        assert me.account.id == person.account_id


def test_the_login_use_case_opens_one_session_and_never_reads_the_keys(embedded, monkeypatch):
    person = embedded.register_natural_person()
    code = embedded.send_code(person.login_name, "LOGIN")
    _past_the_cache_lifetime(embedded)
    factory = embedded.context.session_factory
    this_thread = threading.current_thread()
    opened = []

    def counted():
        if threading.current_thread() is this_thread:
            opened.append(time.monotonic())
        return factory()

    monkeypatch.setattr(embedded.context, "session_factory", counted)
    # Called here, with no unit of work open around it: a second one inside would raise NestedUnitOfWork.
    issued = sessions.create_session(embedded.context, person.login_name, person.password, code)
    assert len(opened) == 1
    assert jwt.get_unverified_header(issued.access_token)["kid"]


def test_reading_the_keys_inside_a_login_is_refused_at_once_instead_of_waiting(embedded, monkeypatch):
    """The deadlock's shape rebuilt: signing that reads the key table from inside the login."""
    person = embedded.register_natural_person()
    code = embedded.send_code(person.login_name, "LOGIN")
    keys = embedded.context.providers.keys
    sign = keys.sign

    def sign_after_reading(claims):
        load_signing_keys(embedded.context)
        return sign(claims)

    monkeypatch.setattr(keys, "sign", sign_after_reading)
    started = time.monotonic()
    with pytest.raises(NestedUnitOfWork):
        sessions.create_session(embedded.context, person.login_name, person.password, code)
    assert time.monotonic() - started < PROMPT_SECONDS


def test_a_key_rotated_by_another_process_is_published_here_before_it_signs(embedded):
    person = embedded.register_natural_person()
    before, _elapsed = _timed_login(embedded, person)
    old_kid = jwt.get_unverified_header(before.access_token)["kid"]
    # `python -m services.identity rotate-keys` elsewhere: its own context on the same database.
    elsewhere = build_context(DEFINITION, embedded.context.settings, environ=embedded.environ)
    try:
        rotated = rotate_signing_key(elsewhere)
    finally:
        elsewhere.engine.dispose()

    def published() -> set[str]:
        return {k.kid for k in embedded.call("GetJwks", directory_pb2.GetJwksRequest()).keys}

    wait_until(lambda: rotated.kid in published(), timeout=10, what="the rotated key to be published")
    after, _elapsed = _timed_login(embedded, person)
    # It activates 60 s after it was made; until then the old key signs.
    assert jwt.get_unverified_header(after.access_token)["kid"] == old_kid
    assert old_kid in published()
