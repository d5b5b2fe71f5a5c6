"""Identity's secrets: the master key, encryption at rest, keyed hashes, passwords and token hashes."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from services.chassis.config import Env
from services.chassis.crypto import FieldCipher, derive, secret_key

# Keys derived from IDENTITY_SECRET_KEY are labelled with this, apart from every other service's.
NAMESPACE = "tongban-identity"


@dataclass(frozen=True)
class IdentityConfig:
    secret_key: str
    # argon2id costs; tests lower them so a suite does not spend minutes hashing.
    password_time_cost: int
    password_memory_kib: int
    access_token_seconds: int
    refresh_token_seconds: int
    # How often the signing keys are read again from the database (handlers/keys.py): well under
    # the 60 s between a rotation and the new key's first token, so every process knows it by then.
    key_cache_seconds: float = 10.0

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> IdentityConfig:
        env = Env(environ)
        config = cls(
            secret_key=secret_key(env, "IDENTITY_SECRET_KEY"),
            password_time_cost=env.int("IDENTITY_PASSWORD_TIME_COST", 3, minimum=1),
            password_memory_kib=env.int("IDENTITY_PASSWORD_MEMORY_KIB", 65536, minimum=8),
            access_token_seconds=env.int("IDENTITY_ACCESS_TOKEN_SECONDS", 900, minimum=30, maximum=86400),
            refresh_token_seconds=env.int("IDENTITY_REFRESH_TOKEN_SECONDS", 14 * 86400, minimum=60),
            key_cache_seconds=env.float("IDENTITY_KEY_CACHE_SECONDS", 10.0, minimum=0.05),
        )
        if config.key_cache_seconds > 30:
            env.problems.append("IDENTITY_KEY_CACHE_SECONDS must be at most 30: a rotated key activates after 60 s")
        env.check()
        return config


class Secrets:
    """Everything derived from IDENTITY_SECRET_KEY; separate derived keys for separate uses."""

    def __init__(self, config: IdentityConfig):
        self._fields = FieldCipher(config.secret_key, NAMESPACE)
        self._code_key = derive(config.secret_key, NAMESPACE, "codes")
        # argon2-cffi's defaults (RFC 9106 low-memory profile) unless the environment lowers them.
        self._passwords = PasswordHasher(time_cost=config.password_time_cost,
                                         memory_cost=config.password_memory_kib)

    # ---- encryption at rest and keyed lookup hashes (services.chassis.crypto) ----
    def encrypt(self, plaintext: str, purpose: str) -> bytes:
        return self._fields.encrypt(plaintext, purpose)

    def decrypt(self, blob: bytes, purpose: str) -> str:
        return self._fields.decrypt(blob, purpose)

    def lookup_hash(self, value: str) -> str:
        return self._fields.lookup_hash(value)

    def code_hash(self, code_id: str, code: str) -> str:
        return hmac.new(self._code_key, f"{code_id}:{code}".encode(), hashlib.sha256).hexdigest()

    # ---- passwords (argon2id) ----
    def hash_password(self, password: str) -> str:
        return self._passwords.hash(password)

    def verify_password(self, stored: str | None, password: str) -> bool:
        if not stored:
            # Same work for a missing account, so timing does not tell it apart.
            self._passwords.hash(password)
            return False
        try:
            return self._passwords.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return False


def new_code() -> str:
    return f"{secrets.randbelow(10**6):06d}"


def new_refresh_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    # Refresh tokens carry 256 random bits: a plain SHA-256 is as good as a slow hash here.
    return hashlib.sha256(token.encode()).hexdigest()
