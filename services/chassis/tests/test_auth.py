import json
import time
import uuid

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from services.chassis.auth import (
    AUDIENCE,
    ISSUER,
    Caller,
    TokenVerifier,
    acting_as,
    current_caller,
    require_authenticated,
    require_role,
    require_scope,
)
from services.chassis.errors import PermissionDenied, Unauthenticated, Unavailable
from services.chassis.testing import TokenMinter


class Jwks:
    """A JWKS endpoint stand-in that counts how often it is asked."""

    def __init__(self, *minters: TokenMinter):
        self.minters = list(minters)
        self.fetches = 0
        self.failing = False

    def __call__(self) -> dict:
        self.fetches += 1
        if self.failing:
            raise ConnectionError("identity is down")
        return {"keys": [key for minter in self.minters for key in minter.jwks()["keys"]]}


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def claims(**overrides) -> dict:
    now = int(time.time())
    base = {"iss": ISSUER, "aud": AUDIENCE, "sub": "acc-1", "jti": uuid.uuid4().hex, "iat": now, "exp": now + 600}
    base.update(overrides)
    return base


def test_a_valid_token_yields_its_claims_and_the_keys_are_fetched_once():
    minter = TokenMinter()
    jwks = Jwks(minter)
    verifier = TokenVerifier(jwks)
    for _ in range(3):
        verified = verifier.verify(minter.mint("acc-1", org="org-1", roles=("OWNER",), scopes=("rare_earth",)))
        assert verified["sub"] == "acc-1"
        assert verified["org"] == "org-1"
    assert jwks.fetches == 1


def test_an_unknown_kid_refetches_once_and_then_waits_for_the_refetch_interval():
    known, stranger = TokenMinter("k1"), TokenMinter("k-unknown")
    jwks, clock = Jwks(known), Clock()
    verifier = TokenVerifier(jwks, refetch_interval=30, clock=clock)
    verifier.verify(known.mint("acc-1"))
    clock.now += 31
    for _ in range(5):
        with pytest.raises(Unauthenticated, match="令牌签名密钥未知"):
            verifier.verify(stranger.mint("acc-1"))
    assert jwks.fetches == 2
    clock.now += 31
    with pytest.raises(Unauthenticated):
        verifier.verify(stranger.mint("acc-1"))
    assert jwks.fetches == 3


def test_a_rotated_key_is_picked_up_and_the_old_one_still_works_while_published():
    old, new = TokenMinter("2026-01"), TokenMinter("2026-02")
    jwks, clock = Jwks(old), Clock()
    verifier = TokenVerifier(jwks, refetch_interval=30, clock=clock)
    verifier.verify(old.mint("acc-1"))
    jwks.minters.append(new)
    clock.now += 60
    assert verifier.verify(new.mint("acc-2"))["sub"] == "acc-2"
    assert verifier.verify(old.mint("acc-1"))["sub"] == "acc-1"


def test_an_unreachable_jwks_is_unavailable_not_a_bad_token_and_is_not_hammered():
    minter = TokenMinter()
    jwks, clock = Jwks(minter), Clock()
    jwks.failing = True
    verifier = TokenVerifier(jwks, refetch_interval=30, clock=clock)
    for _ in range(3):
        with pytest.raises(Unavailable) as raised:
            verifier.verify(minter.mint("acc-1"))
        assert isinstance(raised.value.__cause__, ConnectionError)
    assert jwks.fetches == 1
    jwks.failing = False
    clock.now += 30
    assert verifier.verify(minter.mint("acc-1"))["sub"] == "acc-1"


def test_an_expired_token_is_refused_with_its_own_reason():
    minter = TokenMinter()
    verifier = TokenVerifier(Jwks(minter), leeway=0)
    with pytest.raises(Unauthenticated) as raised:
        verifier.verify(minter.mint("acc-1", ttl_seconds=-10))
    assert raised.value.reason == "TOKEN_EXPIRED"


def _sign(minter: TokenMinter, payload: dict, **headers) -> str:
    return jwt.encode(payload, minter._key, algorithm="EdDSA", headers={"kid": minter.kid, **headers})


@pytest.mark.parametrize("override", [{"iss": "someone-else"}, {"aud": "another-platform"}],
                         ids=["wrong issuer", "wrong audience"])
def test_tokens_for_another_issuer_or_audience_are_refused(override):
    minter = TokenMinter()
    verifier = TokenVerifier(Jwks(minter))
    with pytest.raises(Unauthenticated, match="访问令牌无效"):
        verifier.verify(_sign(minter, claims(**override)))


def test_a_token_without_jti_is_refused():
    minter = TokenMinter()
    payload = claims()
    del payload["jti"]
    with pytest.raises(Unauthenticated):
        TokenVerifier(Jwks(minter)).verify(_sign(minter, payload))


def test_symmetric_and_unsigned_tokens_are_refused():
    minter = TokenMinter()
    verifier = TokenVerifier(Jwks(minter))
    hs256 = jwt.encode(claims(), "a-shared-secret-long-enough-for-hmac", algorithm="HS256",
                       headers={"kid": minter.kid})
    unsigned = jwt.encode(claims(), None, algorithm="none", headers={"kid": minter.kid})
    for token in (hs256, unsigned, "not-a-jwt", ""):
        with pytest.raises(Unauthenticated):
            verifier.verify(token)


def test_a_token_claiming_another_algorithm_than_its_key_is_refused():
    minter = TokenMinter()
    ec_key = ec.generate_private_key(ec.SECP256R1())
    # ES256 header, but the kid names identity's Ed25519 key.
    forged = jwt.encode(claims(), ec_key, algorithm="ES256", headers={"kid": minter.kid})
    with pytest.raises(Unauthenticated):
        TokenVerifier(Jwks(minter)).verify(forged)


def test_es256_keys_are_accepted():
    key = ec.generate_private_key(ec.SECP256R1())
    public = jwt.algorithms.ECAlgorithm.to_jwk(key.public_key(), as_dict=True)
    verifier = TokenVerifier(lambda: {"keys": [{**public, "kid": "ec-1", "alg": "ES256", "use": "sig"}]})
    token = jwt.encode(claims(sub="acc-9"), key, algorithm="ES256", headers={"kid": "ec-1"})
    assert verifier.verify(token)["sub"] == "acc-9"


def test_a_token_without_kid_is_refused():
    minter = TokenMinter()
    token = jwt.encode(claims(), minter._key, algorithm="EdDSA")
    with pytest.raises(Unauthenticated, match="格式错误"):
        TokenVerifier(Jwks(minter)).verify(token)


@pytest.mark.parametrize("known_key", [True, False])
def test_a_token_with_a_good_header_and_a_broken_body_is_malformed_without_fetching_keys(known_key):
    minter = TokenMinter()
    jwks = Jwks(minter)
    verifier = TokenVerifier(jwks)
    if known_key:
        verifier.verify(minter.mint("acc-1"))
    header, _payload, signature = minter.mint("acc-1").split(".")
    if not known_key:
        header = jwt.utils.base64url_encode(b'{"alg":"EdDSA","kid":"not-published"}').decode()
    fetches = jwks.fetches
    for broken in (f"{header}.!!!.{signature}", f"{header}.{signature}"):
        with pytest.raises(Unauthenticated, match="格式错误"):
            verifier.verify(broken)
    assert jwks.fetches == fetches


def test_a_tampered_payload_is_invalid_not_malformed():
    minter = TokenMinter()
    verifier = TokenVerifier(Jwks(minter))
    header, _payload, signature = minter.mint("acc-1").split(".")
    forged = jwt.utils.base64url_encode(json.dumps(claims(sub="someone-else")).encode()).decode()
    with pytest.raises(Unauthenticated, match="访问令牌无效"):
        verifier.verify(f"{header}.{forged}.{signature}")


def test_anonymous_callers_must_log_in_first():
    assert not current_caller().is_authenticated
    with pytest.raises(Unauthenticated):
        require_authenticated()
    with pytest.raises(Unauthenticated):
        require_scope("rare_earth")


def test_require_scope_names_the_missing_system():
    caller = Caller(account_id="acc-1", organization_id="org-1", scopes=frozenset({"inspection"}))
    with acting_as(caller):
        assert require_scope("inspection") is caller
        with pytest.raises(PermissionDenied) as raised:
            require_scope("origin_cert")
    assert raised.value.reason == "SCOPE_REQUIRED"
    assert raised.value.metadata == {"scope": "origin_cert"}
    assert current_caller().account_id is None


def test_require_role_accepts_any_listed_role():
    with acting_as(Caller(account_id="acc-1", roles=frozenset({"AGENT"}))):
        assert require_role("OWNER", "AGENT").account_id == "acc-1"
        with pytest.raises(PermissionDenied) as raised:
            require_role("OWNER", "ADMIN")
    assert raised.value.reason == "ROLE_REQUIRED"
    assert raised.value.metadata == {"roles": "OWNER,ADMIN"}


def test_claims_become_a_caller():
    caller = Caller.from_claims({"sub": "s1", "org": "o1", "roles": ["STAFF", "REVIEWER"], "scopes": ["ccc_exemption"],
                                 "jti": "j1", "kind": "STAFF", "agency": "CIQ:110000"}, client_ip="1.2.3.4")
    assert caller.roles == {"STAFF", "REVIEWER"}
    assert caller.has_scope("ccc_exemption")
    assert caller.agency == "CIQ:110000"
    assert caller.token_id == "j1"
    assert caller.client_ip == "1.2.3.4"


def test_a_token_seen_before_is_answered_from_the_cache_until_it_expires(monkeypatch):
    minter = TokenMinter()
    wall = Clock()
    wall.now = time.time()
    verifier = TokenVerifier(Jwks(minter), wall_clock=wall)
    token = minter.mint("acc-1", ttl_seconds=60)
    first = verifier.verify(token)

    def no_signature_check(*_args, **_kwargs):
        raise AssertionError("the signature was checked again")

    monkeypatch.setattr(jwt, "decode", no_signature_check)
    monkeypatch.setattr(jwt.PyJWT, "decode", no_signature_check)
    assert verifier.verify(token) == first
    wall.now += 60 + 10  # past exp and the leeway
    with pytest.raises(Unauthenticated) as refused:
        verifier.verify(token)
    assert refused.value.reason == "TOKEN_EXPIRED"


def test_the_verified_token_cache_keeps_only_the_most_recent_tokens():
    minter = TokenMinter()
    verifier = TokenVerifier(Jwks(minter), cache_size=2)
    tokens = [minter.mint(f"acc-{i}") for i in range(3)]
    for token in tokens:
        verifier.verify(token)
    assert [verifier.verify(t)["sub"] for t in tokens] == ["acc-0", "acc-1", "acc-2"]
    assert len(verifier._verified) == 2


def test_a_caller_changing_the_returned_claims_does_not_change_the_cache():
    minter = TokenMinter()
    verifier = TokenVerifier(Jwks(minter))
    token = minter.mint("acc-1")
    verifier.verify(token)["sub"] = "someone-else"
    assert verifier.verify(token)["sub"] == "acc-1"


def test_a_token_stands_for_one_caller_object_per_address_and_agent_until_it_expires():
    minter = TokenMinter()
    wall = Clock()
    wall.now = time.time()
    verifier = TokenVerifier(Jwks(minter), wall_clock=wall)
    token = minter.mint("acc-1", org="org-1", roles=("OWNER",), ttl_seconds=60)
    caller = verifier.caller(token, "203.0.113.9", "probe/1.0")
    assert (caller.account_id, caller.organization_id, caller.roles, caller.client_ip, caller.user_agent) == (
        "acc-1", "org-1", {"OWNER"}, "203.0.113.9", "probe/1.0")
    assert verifier.caller(token, "203.0.113.9", "probe/1.0") is caller
    assert verifier.caller(token, "198.51.100.1", "probe/1.0").client_ip == "198.51.100.1"
    wall.now += 60 + 10
    with pytest.raises(Unauthenticated) as refused:
        verifier.caller(token, "203.0.113.9", "probe/1.0")
    assert refused.value.reason == "TOKEN_EXPIRED"


def test_the_caller_cache_keeps_only_the_most_recent_callers():
    minter = TokenMinter()
    verifier = TokenVerifier(Jwks(minter), cache_size=2)
    for index in range(5):
        verifier.caller(minter.mint(f"acc-{index}"))
    assert len(verifier._callers) == 2
