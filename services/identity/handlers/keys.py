"""Reading and rotating the signing keys, each in a unit of work of its own, never inside a use case.

The key store signs from memory (keys.py). It is filled when the service starts
(:func:`keep_keys_fresh`, the definition's ``before_serving`` hook) and read again every
``IDENTITY_KEY_CACHE_SECONDS`` by a thread of its own, so a key that ``rotate-keys``
added in another process is known here before it activates, 60 s after it was made.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from services.chassis.db import utcnow
from services.identity.handlers.common import audit
from services.identity.keys import ACTIVATION_DELAY, new_signing_key
from services.identity.models import SigningKey
from services.identity.providers import IdentityContext

log = logging.getLogger(__name__)


def ensure_signing_key(context: IdentityContext) -> None:
    """Make the first key, signing at once, when there is none yet."""
    with context.unit_of_work() as uow:
        if uow.session.scalar(select(SigningKey.kid).limit(1)) is None:
            uow.session.add(new_signing_key(context.providers.secrets, utcnow()))
            uow.commit()


def load_signing_keys(context: IdentityContext) -> None:
    """Read every key into the key store (a read-only unit of work: it never waits for a writer)."""
    with context.unit_of_work(read_only=True) as uow:
        rows = list(uow.session.scalars(select(SigningKey)))
    context.providers.keys.load(rows)


def published_keys(context: IdentityContext) -> dict[str, Any]:
    """The JWKS read afresh: how identity's own token verifier meets a key it does not know yet.

    It runs in the auth interceptor, before any use case opens its unit of work.
    """
    load_signing_keys(context)
    return context.providers.keys.jwks()


def rotate_signing_key(context: IdentityContext, *, immediately: bool = False) -> SigningKey:
    """Add a key that signs after ACTIVATION_DELAY (or at once); earlier keys stay published."""
    with context.unit_of_work() as uow:
        now = utcnow()
        first = uow.session.scalar(select(SigningKey.kid).limit(1)) is None
        key = new_signing_key(context.providers.secrets, now if immediately or first else now + ACTIVATION_DELAY)
        uow.session.add(key)
        audit(uow.session, "KEY_ROTATED", target=key.kid, detail=f"activates {key.activates_at.isoformat()}")
        uow.commit()
    # This process knows the new key at once; the others at their next refresh, before it activates.
    load_signing_keys(context)
    return key


def keep_keys_fresh(context: IdentityContext) -> Callable[[], None]:
    """Load the keys before the first call, then keep reloading them; answers how to stop."""
    ensure_signing_key(context)
    load_signing_keys(context)
    stopping = threading.Event()

    def refresh() -> None:
        while not stopping.wait(context.config.key_cache_seconds):
            try:
                load_signing_keys(context)
            except Exception:  # the keys already loaded keep signing; the next round tries again
                log.warning("reloading the signing keys failed", exc_info=True)

    thread = threading.Thread(target=refresh, name="identity-signing-keys", daemon=True)
    thread.start()

    def stop() -> None:
        stopping.set()
        thread.join(timeout=5)

    return stop
