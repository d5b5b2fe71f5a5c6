"""Signing keys for access tokens: kept in identity's database, private halves encrypted at rest.

A new key is published at once but signs only from its activation time, a little later,
so verifiers that cache the JWKS know it before they meet a token it signed. A key stops
signing when the next one activates and stays published until the last token it signed
has expired: rotation logs nobody out.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from services.chassis.auth import AUDIENCE, ISSUER
from services.chassis.db import utcnow
from services.identity.models import SigningKey
from services.identity.secrets import Secrets

ALGORITHM = "EdDSA"
# Services refetch the JWKS at most every 30 s on an unknown kid; publish a new key longer ahead.
ACTIVATION_DELAY = timedelta(seconds=60)
# Verifiers accept a little clock leeway; keep superseded keys published a bit past the token lifetime.
PUBLISH_MARGIN = timedelta(minutes=2)
_PURPOSE = "signing-key"


def _aware(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes; everything here is UTC.
    from datetime import UTC

    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def signing_and_published(keys: list[SigningKey], now: datetime,
                          access_ttl: timedelta) -> tuple[SigningKey | None, list[SigningKey]]:
    """The key that signs now, and the keys a verifier must know (no I/O; keys in any order)."""
    ordered = sorted(keys, key=lambda k: _aware(k.activates_at))
    active = [k for k in ordered if _aware(k.activates_at) <= now]
    signing = active[-1] if active else None
    published = []
    for index, key in enumerate(ordered):
        successor = next((k for k in ordered[index + 1:] if _aware(k.activates_at) <= now), None)
        if successor is None or _aware(successor.activates_at) > now - access_ttl - PUBLISH_MARGIN:
            published.append(key)
    return signing, published


class KeyStore:
    """The signing key and the published set, cached briefly per process."""

    def __init__(self, session_factory: Callable[[], Session], secrets: Secrets, access_token_seconds: int,
                 cache_seconds: float = 10.0):
        self._session_factory = session_factory
        self._secrets = secrets
        self._access_ttl = timedelta(seconds=access_token_seconds)
        self._cache_seconds = cache_seconds
        self._lock = threading.Lock()
        self._loaded_at = 0.0
        self._signing: tuple[str, Any] | None = None
        self._published: list[dict[str, str]] = []

    def rotate(self, session: Session, *, immediately: bool = False) -> SigningKey:
        """Add a key that signs after ACTIVATION_DELAY (or at once); the caller commits."""
        now = utcnow()
        key = self._add_key(session, now if immediately else now + ACTIVATION_DELAY)
        self.invalidate()
        return key

    def ensure_key(self) -> None:
        """Make the first key, activated at once, if there is none yet."""
        with self._session_factory() as session:
            if session.scalar(select(SigningKey.kid).limit(1)) is None:
                self._add_key(session, utcnow())
                session.commit()

    def _add_key(self, session: Session, activates_at: datetime) -> SigningKey:
        private = Ed25519PrivateKey.generate()
        kid = f"{utcnow():%Y%m%d}-{uuid.uuid4().hex[:12]}"
        pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption()).decode()
        public = json.loads(jwt.algorithms.OKPAlgorithm.to_jwk(private.public_key()))
        public.update({"kid": kid, "alg": ALGORITHM, "use": "sig"})
        key = SigningKey(kid=kid, algorithm=ALGORITHM, created_at=utcnow(), activates_at=activates_at,
                         public_jwk=json.dumps(public),
                         private_key_encrypted=self._secrets.encrypt(pem, _PURPOSE))
        session.add(key)
        session.flush()
        return key

    def invalidate(self) -> None:
        self._loaded_at = 0.0

    def _fresh(self) -> bool:
        return self._signing is not None and time.monotonic() - self._loaded_at < self._cache_seconds

    def _load(self) -> None:
        if self._fresh():
            return
        with self._lock:
            if self._fresh():
                return
            self.ensure_key()
            with self._session_factory() as session:
                keys = list(session.scalars(select(SigningKey)))
            signing, published = signing_and_published(keys, utcnow(), self._access_ttl)
            if signing is None:  # only future keys (clock skew between pods): sign with the earliest
                signing = min(keys, key=lambda k: _aware(k.activates_at))
            pem = self._secrets.decrypt(signing.private_key_encrypted, _PURPOSE).encode()
            self._signing = (signing.kid, serialization.load_pem_private_key(pem, password=None))
            self._published = [json.loads(k.public_jwk) for k in published]
            self._loaded_at = time.monotonic()

    def jwks(self, *, fresh: bool = False) -> dict[str, list[dict[str, str]]]:
        if fresh:
            self.invalidate()
        self._load()
        return {"keys": list(self._published)}

    def sign(self, claims: dict[str, Any]) -> str:
        self._load()
        assert self._signing is not None
        kid, key = self._signing
        return jwt.encode({"iss": ISSUER, "aud": AUDIENCE, **claims}, key, algorithm=ALGORITHM,
                          headers={"kid": kid})
