"""Signing keys for access tokens: kept in identity's database, private halves encrypted at rest.

A new key is published at once but signs only from its activation time, a little later,
so verifiers that cache the JWKS know it before they meet a token it signed. A key stops
signing when the next one activates and stays published until the last token it signed
has expired: rotation logs nobody out.

The :class:`KeyStore` holds the keys in memory and never reads the database itself:
signing happens inside a login's transaction, and a second transaction opened there
would wait (on SQLite) for the write lock its own caller holds. The keys are read in
units of work of their own, when the service starts and then every
``IDENTITY_KEY_CACHE_SECONDS`` (handlers/keys.py), well before a rotated key activates.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol, TypeVar

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from services.chassis.auth import AUDIENCE, ISSUER
from services.chassis.db import aware, utcnow
from services.identity.models import SigningKey
from services.identity.secrets import Secrets

ALGORITHM = "EdDSA"
# Services refetch the JWKS at most every 30 s on an unknown kid; publish a new key longer ahead.
ACTIVATION_DELAY = timedelta(seconds=60)
# Verifiers accept a little clock leeway; keep superseded keys published a bit past the token lifetime.
PUBLISH_MARGIN = timedelta(minutes=2)
_PURPOSE = "signing-key"


class KeysNotLoaded(RuntimeError):
    """Nothing to sign with: the service signs only after its keys were loaded at start."""


class _Activating(Protocol):
    kid: str
    activates_at: datetime


K = TypeVar("K", bound=_Activating)


def signing_and_published(keys: Sequence[K], now: datetime, access_ttl: timedelta) -> tuple[K | None, list[K]]:
    """The key that signs now, and the keys a verifier must know (no I/O; keys in any order)."""
    ordered = sorted(keys, key=lambda k: aware(k.activates_at))
    active = [k for k in ordered if aware(k.activates_at) <= now]
    signing = active[-1] if active else None
    published = []
    for index, key in enumerate(ordered):
        successor = next((k for k in ordered[index + 1:] if aware(k.activates_at) <= now), None)
        if successor is None or aware(successor.activates_at) > now - access_ttl - PUBLISH_MARGIN:
            published.append(key)
    return signing, published


def new_signing_key(secrets: Secrets, activates_at: datetime) -> SigningKey:
    """A fresh Ed25519 key, its private half encrypted; the caller adds it to its unit of work."""
    private = Ed25519PrivateKey.generate()
    kid = f"{utcnow():%Y%m%d}-{uuid.uuid4().hex[:12]}"
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    public = json.loads(jwt.algorithms.OKPAlgorithm.to_jwk(private.public_key()))
    public.update({"kid": kid, "alg": ALGORITHM, "use": "sig"})
    return SigningKey(kid=kid, algorithm=ALGORITHM, created_at=utcnow(), activates_at=activates_at,
                      public_jwk=json.dumps(public), private_key_encrypted=secrets.encrypt(pem, _PURPOSE))


@dataclass(frozen=True)
class _LoadedKey:
    kid: str
    activates_at: datetime
    public_jwk: dict[str, str]
    # None for a key that can no longer sign (a later key has activated): never decrypted.
    private: Any


class KeyStore:
    """The keys as last loaded: :meth:`sign` and :meth:`jwks` answer from memory, choosing by the clock."""

    def __init__(self, secrets: Secrets, access_token_seconds: int, *,
                 clock: Callable[[], datetime] = utcnow):
        self._secrets = secrets
        self._access_ttl = timedelta(seconds=access_token_seconds)
        self._clock = clock
        self._keys: tuple[_LoadedKey, ...] = ()
        self._loaded_at: float | None = None
        self._lock = threading.Lock()

    @property
    def loaded_at(self) -> float | None:
        """When the keys were last loaded (``time.monotonic()``), None before the first load."""
        return self._loaded_at

    def load(self, rows: Sequence[SigningKey]) -> None:
        """Replace the keys with ``rows`` (all of them, as read); decrypts only those that may still sign."""
        signing, _published = signing_and_published(rows, self._clock(), self._access_ttl)
        from_time = aware(signing.activates_at) if signing is not None else None
        with self._lock:
            known = {key.kid: key.private for key in self._keys if key.private is not None}
            keys = []
            for row in rows:
                may_sign = from_time is None or aware(row.activates_at) >= from_time
                private = (known.get(row.kid) or self._private_key(row)) if may_sign else None
                keys.append(_LoadedKey(row.kid, aware(row.activates_at), json.loads(row.public_jwk), private))
            # One assignment: a concurrent sign() sees the old set or the new one, never half of each.
            self._keys = tuple(sorted(keys, key=lambda k: k.activates_at))
            self._loaded_at = time.monotonic()

    def _private_key(self, row: SigningKey) -> Any:
        pem = self._secrets.decrypt(row.private_key_encrypted, _PURPOSE).encode()
        return serialization.load_pem_private_key(pem, password=None)

    def jwks(self) -> dict[str, list[dict[str, str]]]:
        _signing, published = signing_and_published(self._keys, self._clock(), self._access_ttl)
        return {"keys": [dict(key.public_jwk) for key in published]}

    def sign(self, claims: dict[str, Any]) -> str:
        """A JWT signed by the latest key activated by now (the earliest, when every key is still ahead)."""
        keys = self._keys
        if not keys:
            raise KeysNotLoaded("identity's signing keys were not loaded before serving")
        signing, _published = signing_and_published(keys, self._clock(), self._access_ttl)
        # Only keys ahead of the clock (another pod's clock ran early): sign with the first of them.
        chosen = signing or keys[0]
        if chosen.private is None:
            raise KeysNotLoaded(f"signing key {chosen.kid} was loaded without its private half")
        return jwt.encode({"iss": ISSUER, "aud": AUDIENCE, **claims}, chosen.private, algorithm=ALGORITHM,
                          headers={"kid": chosen.kid})
