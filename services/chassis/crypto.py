"""Personal data at rest: ID and passport numbers encrypted, found again by keyed hashes, never stored in clear.

A service's secret key (``<SERVICE>_SECRET_KEY``) is the master; separate keys are derived
from it for separate uses, so a lookup hash says nothing about the ciphertext. AES-256-GCM
with a random nonce, and the purpose (``id-number``) as associated data, so a value
encrypted for one purpose cannot be passed off as another.

A column of type :class:`Encrypted` encrypts on write and decrypts on read with the cipher
its service put in the column's :class:`CipherSlot` when its context was made, so use cases
read and write plain values and the database only ever holds ciphertext.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import LargeBinary
from sqlalchemy.types import TypeDecorator

from services.chassis.config import REQUIRED, Env

# Only for TONGBAN_ENV=dev: a published value must never protect real data.
DEV_SECRET_KEY = "tongban-dev-secret-key-not-for-production"
MIN_SECRET_KEY_LENGTH = 16
NONCE_BYTES = 12


def secret_key(env: Env, name: str) -> str:
    """``name`` from the environment: a published key in dev only, at least 16 characters, required elsewhere
    (and never the published one in production)."""
    environment = env.environment()
    value = env.str(name, DEV_SECRET_KEY if environment == "dev" else REQUIRED)
    if value and len(value) < MIN_SECRET_KEY_LENGTH:
        env.problems.append(f"{name} must be at least {MIN_SECRET_KEY_LENGTH} characters")
    if environment == "prod" and value == DEV_SECRET_KEY:
        env.problems.append(f"{name} is the published development key: production needs a secret of its own")
    return value


def derive(master: str, namespace: str, label: str) -> bytes:
    """A key for one use of a master key: HMAC-SHA256 of ``namespace:label`` under the master."""
    return hmac.new(master.encode(), f"{namespace}:{label}".encode(), hashlib.sha256).digest()


class FieldCipher:
    """Encryption at rest and keyed lookup hashes under one master key (``namespace`` separates services)."""

    def __init__(self, master: str, namespace: str):
        self._aead = AESGCM(derive(master, namespace, "encryption"))
        self._lookup_key = derive(master, namespace, "lookup")

    def encrypt(self, plaintext: str, purpose: str) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        return nonce + self._aead.encrypt(nonce, plaintext.encode(), purpose.encode())

    def decrypt(self, blob: bytes, purpose: str) -> str:
        return self._aead.decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], purpose.encode()).decode()

    def lookup_hash(self, value: str) -> str:
        """The same value always gives the same hash, so a record is found by it; the value cannot be read back."""
        return hmac.new(self._lookup_key, value.encode(), hashlib.sha256).hexdigest()


class CipherSlot:
    """Where a service's cipher is put when its context is made, for the columns that encrypt with it."""

    def __init__(self, service: str):
        self.service = service
        self._cipher: FieldCipher | None = None

    def use(self, cipher: FieldCipher) -> None:
        self._cipher = cipher

    @property
    def cipher(self) -> FieldCipher:
        if self._cipher is None:
            raise RuntimeError(f"{self.service}'s cipher is not set: its context puts it there when it is made")
        return self._cipher


class Encrypted(TypeDecorator):
    """A text column stored as AES-GCM ciphertext; reads and writes plain ``str``."""

    impl = LargeBinary
    cache_ok = True

    def __init__(self, slot: CipherSlot, purpose: str):
        super().__init__()
        self.slot = slot
        self.purpose = purpose

    def process_bind_param(self, value: Any, dialect: Any) -> bytes | None:
        return None if value is None else self.slot.cipher.encrypt(str(value), self.purpose)

    def process_result_value(self, value: Any, dialect: Any) -> str | None:
        return None if value is None else self.slot.cipher.decrypt(bytes(value), self.purpose)
