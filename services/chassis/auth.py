"""Who is calling: the verified access token's claims, available to every use case.

Identity signs access tokens (EdDSA or ES256, ``kid`` in the header) and publishes
its public keys as a JWKS. Services and the gateway verify tokens themselves
against that key set, cached, and fetch it again when an unknown ``kid`` appears
(key rotation) — at most once per ``refetch_interval`` so bad tokens cannot make
them hammer identity.
"""

from __future__ import annotations

import base64
import binascii
import contextvars
import json
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import jwt

from services.chassis.errors import PermissionDenied, Unauthenticated, Unavailable
from services.chassis.revocations import RevocationList

log = logging.getLogger(__name__)

ISSUER = "tongban-identity"
AUDIENCE = "tongban"
ALGORITHMS = ("EdDSA", "ES256")
# The verifiers' leeway on a token's expiry: identity keeps a revocation listed this much past the token lifetime.
REVOCATION_LEEWAY_SECONDS = 5
REVOKED_MESSAGE = "会话已失效，请重新登录"


@dataclass(frozen=True)
class Caller:
    """The verified identity behind a request; ``account_id`` is None for anonymous callers."""

    account_id: str | None = None
    organization_id: str | None = None
    roles: frozenset[str] = frozenset()
    scopes: frozenset[str] = frozenset()
    token_id: str | None = None
    kind: str | None = None
    # Staff agency, e.g. "MIIT_RE_OFFICE" or "CIQ:110000"; None for enterprise accounts.
    agency: str | None = None
    client_ip: str | None = None
    user_agent: str | None = None
    claims: Mapping[str, Any] = field(default_factory=dict)

    @property
    def is_authenticated(self) -> bool:
        return self.account_id is not None

    def has_role(self, role: str) -> bool:
        return role in self.roles

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes

    @classmethod
    def from_claims(cls, claims: Mapping[str, Any], client_ip: str | None = None,
                    user_agent: str | None = None) -> Caller:
        return cls(
            account_id=claims.get("sub"),
            organization_id=claims.get("org"),
            roles=frozenset(claims.get("roles") or ()),
            scopes=frozenset(claims.get("scopes") or ()),
            token_id=claims.get("jti"),
            kind=claims.get("kind"),
            agency=claims.get("agency"),
            client_ip=client_ip,
            user_agent=user_agent,
            claims=dict(claims),
        )


ANONYMOUS = Caller()
_current: contextvars.ContextVar[Caller] = contextvars.ContextVar("tongban_caller", default=ANONYMOUS)


def current_caller() -> Caller:
    return _current.get()


def act_as(caller: Caller) -> contextvars.Token:
    """Make ``caller`` current until :func:`stop_acting` with the token answered (what :func:`acting_as` does)."""
    return _current.set(caller)


def stop_acting(token: contextvars.Token) -> None:
    _current.reset(token)


@contextmanager
def acting_as(caller: Caller) -> Iterator[Caller]:
    token = act_as(caller)
    try:
        yield caller
    finally:
        stop_acting(token)


def require_authenticated() -> Caller:
    caller = current_caller()
    if not caller.is_authenticated:
        raise Unauthenticated("请先登录")
    return caller


def require_scope(scope: str) -> Caller:
    """The caller must be logged in and authorised for ``scope`` in the organisation it acts for."""
    caller = require_authenticated()
    if not caller.has_scope(scope):
        raise PermissionDenied(f"当前账号未获得该系统（{scope}）的授权", reason="SCOPE_REQUIRED",
                               metadata={"scope": scope})
    return caller


def require_role(*roles: str) -> Caller:
    caller = require_authenticated()
    if not caller.roles.intersection(roles):
        raise PermissionDenied("无权执行此操作", reason="ROLE_REQUIRED", metadata={"roles": ",".join(roles)})
    return caller


JwksFetcher = Callable[[], Mapping[str, Any]]
REQUIRED_CLAIMS = ("exp", "iat", "sub", "jti", "iss", "aud")


@lru_cache(maxsize=64)
def _key_choice(header_segment: str) -> tuple[Any, Any] | None:
    """``(kid, alg)`` of a token's header segment, or None when this quick reading cannot tell.

    Cached: every token one identity key signs carries the same header, so at first sight of a
    token only its payload and signature are new. The choice only picks the key: ``jwt.decode``
    reads the header again, strictly, and the signature covers it.
    """
    try:
        header = json.loads(base64.urlsafe_b64decode(header_segment + "=" * (-len(header_segment) % 4)))
    except (ValueError, binascii.Error, RecursionError):
        return None
    return (header.get("kid"), header.get("alg")) if isinstance(header, dict) else None


def _malformed(token: str) -> bool:
    """PyJWT's own reading of the token's form (segments, base64, header): only asked on the paths that refuse."""
    try:
        jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        return True
    return False


class TokenVerifier:
    """Verifies access tokens against identity's JWKS, cached and refreshed on an unknown ``kid``."""

    def __init__(self, fetch_jwks: JwksFetcher, *, refetch_interval: float = 30.0,
                 leeway: float = REVOCATION_LEEWAY_SECONDS, clock: Callable[[], float] = time.monotonic,
                 wall_clock: Callable[[], float] = time.time, cache_size: int = 4096,
                 revocations: RevocationList | None = None):
        self._fetch_jwks = fetch_jwks
        # Consulted on every call, cached token or not: a revoked token is refused though its signature holds.
        self._revocations = revocations
        # Verified claims by token: a client sends the same token with every request for its
        # lifetime, and checking the signature again each time is most of the cost of a call.
        self._verified: OrderedDict[str, dict[str, Any]] = OrderedDict()
        # The caller each (token, client address, user agent) stands for, made once: a call then allocates none.
        # With it, the version of the revocations it was last found clear of: checked again only when they change.
        self._callers: dict[tuple[str, str | None, str | None], tuple[Caller, int]] = {}
        self._cache_size = cache_size
        self._wall_clock = wall_clock
        self._refetch_interval = refetch_interval
        self._leeway = leeway
        self._clock = clock
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at: float | None = None
        # A failed fetch counts too, so a down identity is not asked again on every request.
        self._attempted_at: float | None = None
        self._last_fetch_error: Exception | None = None
        self._lock = threading.Lock()
        # Options merged once, not on every call. A PyJWK key admits only its own algorithm, so a
        # token cannot pick a weaker way to be checked.
        self._decoder = jwt.PyJWT(options={"require": list(REQUIRED_CLAIMS)})

    def _refresh(self) -> None:
        self._attempted_at = self._clock()
        document = self._fetch_jwks()
        keys = {}
        for jwk in document.get("keys", []):
            jwk = {k: v for k, v in dict(jwk).items() if v}
            try:
                keys[jwk["kid"]] = jwt.PyJWK.from_json(json.dumps(jwk))
            except (KeyError, jwt.PyJWTError, ValueError, TypeError):
                log.warning("ignoring an unusable key in the JWKS (kid %r)", jwk.get("kid"))
        self._keys = keys
        self._fetched_at = self._clock()

    def _key_for(self, kid: str) -> jwt.PyJWK:
        key = self._keys.get(kid)
        if key is not None:
            return key
        with self._lock:
            key = self._keys.get(kid)
            stale = self._attempted_at is None or self._clock() - self._attempted_at >= self._refetch_interval
            if key is None and stale:
                try:
                    self._refresh()
                    self._last_fetch_error = None
                except Exception as exc:
                    self._last_fetch_error = exc
                    log.warning("fetching the JWKS failed: %s", exc)
                    raise Unavailable("无法获取令牌公钥，请稍后重试", reason="JWKS_UNAVAILABLE") from exc
                key = self._keys.get(kid)
        if key is None and self._last_fetch_error is not None:
            # Chained to the fetch's error, so callers can tell identity is unreachable, not the token bad.
            raise Unavailable("无法获取令牌公钥，请稍后重试", reason="JWKS_UNAVAILABLE") from self._last_fetch_error
        if key is None:
            raise Unauthenticated("令牌签名密钥未知", reason="UNKNOWN_KEY")
        return key

    def verify(self, token: str) -> dict[str, Any]:
        cached = self._verified.get(token)
        if cached is not None:
            if self._wall_clock() > cached["exp"] + self._leeway:
                self._verified.pop(token, None)
                raise Unauthenticated("访问令牌已过期", reason="TOKEN_EXPIRED")
            if self._revocations is not None and self._revocations.covers(cached):
                raise Unauthenticated(REVOKED_MESSAGE, reason="TOKEN_REVOKED")
            return dict(cached)
        if self._revocations is not None:
            # Here, not at construction: a forked worker (gunicorn) polls from a thread of its own.
            self._revocations.ensure_polling()
        claims = self._verify_signed(token)
        if self._revocations is not None and self._revocations.covers(claims):
            raise Unauthenticated(REVOKED_MESSAGE, reason="TOKEN_REVOKED")
        if not self._cache_size:
            return claims  # decoded for this call alone: nobody else holds it
        with self._lock:
            self._verified[token] = claims
            while len(self._verified) > self._cache_size:
                self._verified.popitem(last=False)
        return dict(claims)

    def close(self) -> None:
        """Stop polling for revocations (the server is stopping)."""
        if self._revocations is not None:
            self._revocations.stop()

    def caller(self, token: str, client_ip: str | None = None, user_agent: str | None = None) -> Caller:
        """The caller ``token`` stands for (as :meth:`verify` checks it), the same object while it is valid."""
        key = (token, client_ip, user_agent)
        known = self._callers.get(key)
        revocations = self._revocations
        if known is not None:
            caller, cleared_in = known
            if self._wall_clock() <= caller.claims["exp"] + self._leeway:
                if revocations is None or cleared_in == revocations.version:
                    return caller
                # The list changed since this caller was last found clear of it.
                version = revocations.version
                if revocations.covers(caller.claims):
                    raise Unauthenticated(REVOKED_MESSAGE, reason="TOKEN_REVOKED")
                self._callers[key] = (caller, version)
                return caller
        self._callers.pop(key, None)
        # Read before the check, so a change that lands during it is checked again on the next call.
        version = revocations.version if revocations is not None else 0
        caller = Caller.from_claims(self.verify(token), client_ip=client_ip, user_agent=user_agent)
        if self._cache_size:
            with self._lock:
                self._callers[key] = (caller, version)
                while len(self._callers) > self._cache_size:
                    del self._callers[next(iter(self._callers))]
        return caller

    def _verify_signed(self, token: str) -> dict[str, Any]:
        choice = _key_choice(token.partition(".")[0])
        if choice is None:
            try:
                header = jwt.get_unverified_header(token)
            except jwt.PyJWTError as exc:
                raise Unauthenticated("访问令牌格式错误") from exc
            choice = (header.get("kid"), header.get("alg"))
        kid, algorithm = choice
        if not isinstance(kid, str) or not kid or algorithm not in ALGORITHMS:
            raise Unauthenticated("访问令牌格式错误")
        key = self._keys.get(kid)
        if key is None:
            # A malformed token is refused as such before it can make us fetch the JWKS.
            if _malformed(token):
                raise Unauthenticated("访问令牌格式错误")
            key = self._key_for(kid)
        try:
            return self._decoder.decode(token, key, audience=AUDIENCE, issuer=ISSUER, leeway=self._leeway)
        except jwt.ExpiredSignatureError as exc:
            raise Unauthenticated("访问令牌已过期", reason="TOKEN_EXPIRED") from exc
        except (jwt.PyJWTError, ValueError, TypeError) as exc:
            if _malformed(token):
                raise Unauthenticated("访问令牌格式错误") from exc
            raise Unauthenticated("访问令牌无效") from exc
