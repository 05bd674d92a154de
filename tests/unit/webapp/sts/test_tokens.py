"""Token validation: every applicable row of the security-anchors §1.2 attack catalogue.

Each row builds a token (real signatures, by ``forge``) and says what STS answers. The rows cite
the catalogue number (``#n``) and the attack-cases id (``T-nn``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization

from tests.unit.webapp.sts.forge import SigningKey, b64, mint, mint_hmac, segment, unb64, unsigned
from webapp.clock import ManualClock
from webapp.sts.errors import ExpiredTokenException, IDPCommunicationError, InvalidIdentityToken
from webapp.sts.jwks import JwksCache
from webapp.sts.tokens import NO_KEY, NOT_A_JWT, WRONG_AUDIENCE, TokenPolicy, validate_token

NOW = 1_800_000_000
ISSUER = "https://idp.localhost/dev"
K1 = SigningKey.rsa("k1")
K2 = SigningKey.rsa("k2")
ATTACKER = SigningKey.rsa("att")
EC_ATTACKER = SigningKey.ec("att-ec")
E1 = SigningKey.ec("e1")
ES384 = SigningKey.ec("e3", "ES384")


@dataclass(frozen=True)
class Provider:
    url: str = "idp.localhost/dev"
    client_ids: tuple[str, ...] = ("webapp",)


PROVIDER = Provider()
DEFAULT_POLICY = TokenPolicy()


def claims(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "iss": ISSUER, "aud": "webapp", "sub": "alice-sub", "iat": NOW, "exp": NOW + 600, "nonce": "n1",
    }
    for name, value in changes.items():
        if value is _DROP:
            base.pop(name, None)
        else:
            base[name] = value
    return base


_DROP = object()


def validate(token: str, jwks: dict[str, Any] | None = None, now: int = NOW,
             policy: TokenPolicy = DEFAULT_POLICY) -> Any:
    keys = jwks if jwks is not None else {"keys": [K1.public_jwk()]}
    return validate_token(
        token,
        provider_for=lambda iss: PROVIDER if iss == ISSUER else None,
        jwks=lambda issuer, kid: keys,
        now=now,
        policy=policy,
    )


def good() -> str:
    return mint(claims(), K1)


def pem() -> bytes:
    return K1.private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def der() -> bytes:
    return K1.private.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def flip(token: str) -> str:
    h, p, s = token.split(".")
    return f"{h}.{p}.{b64(bytes(b ^ 0x5A for b in unb64(s)))}"


def replace_segment(token: str, index: int, value: str) -> str:
    parts = token.split(".")
    parts[index] = value
    return ".".join(parts)


def noncanonical_last_char(token: str) -> str:
    h, p, s = token.split(".")
    # 256-byte RSA signature: 342 chars, the last one carries 4 unused bits; set one of them.
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    last = alphabet.index(s[-1])
    return f"{h}.{p}.{s[:-1]}{alphabet[last | 1] if last % 2 == 0 else alphabet[last & ~1]}"


Build = Callable[[], str]

# (id, token builder, error class, message fragment)
REJECTED: list[tuple[str, Build, type[Exception], str]] = [
    # #1 alg none, in four spellings (T-01)
    *[(f"T-01-alg-{a}", (lambda a=a: unsigned(claims(), {"alg": a, "kid": "k1"})),
       InvalidIdentityToken, "") for a in ("none", "None", "NONE", "nOnE")],
    # #2 RS256 -> HS256 confusion with the public key as HMAC secret (T-02)
    *[(f"T-02-hs256-{n}", (lambda s=s: mint_hmac(claims(sub="bob-sub"), s(), {"alg": "HS256", "kid": "k1"})),
       InvalidIdentityToken, "unsupported algorithm")
      for n, s in (("pem", pem), ("der", der),
                   ("jwk", lambda: segment(K1.public_jwk()).encode()),
                   ("modulus", lambda: unb64(K1.public_jwk()["n"])))],
    # #3 null and truncated signatures (T-03, T-05)
    ("T-03-null-signature", lambda: good().rsplit(".", 1)[0] + ".", InvalidIdentityToken, NOT_A_JWT),
    ("T-05-truncated-signature", lambda: good()[:-4], InvalidIdentityToken, ""),
    # #4 bit-flipped signature (T-04)
    ("T-04-flipped-signature", lambda: flip(good()), InvalidIdentityToken, NO_KEY),
    # #5 blank / common HMAC secret (T-06)
    ("T-06-hmac-blank", lambda: mint_hmac(claims(), b"", {"alg": "HS256"}), InvalidIdentityToken, ""),
    ("T-06-hmac-secret", lambda: mint_hmac(claims(), b"secret", {"alg": "HS256"}), InvalidIdentityToken, ""),
    # #6 unknown kid, signed by a foreign key (T-07)
    ("T-07-unknown-kid", lambda: mint(claims(), ATTACKER, {"alg": "RS256", "kid": "nope"}),
     InvalidIdentityToken, NO_KEY),
    # #8 kid injection (T-10)
    *[(f"T-10-kid-{i}", (lambda k=k: mint_hmac(claims(), b"", {"alg": "HS256", "kid": k})),
       InvalidIdentityToken, "") for i, k in enumerate(
        ["../../../../../../dev/null", "/dev/null", "x' UNION SELECT '1';--", "|sleep 10", ""])],
    ("T-10-kid-traversal-rs256", lambda: mint(claims(), ATTACKER, {"alg": "RS256", "kid": "../../keys/idp-signing"}),
     InvalidIdentityToken, NO_KEY),
    ("kid-not-a-string", lambda: mint(claims(), K1, {"alg": "RS256", "kid": 1}), InvalidIdentityToken, NO_KEY),
    # #9 jku / x5u pointing at an attacker JWKS (T-11, T-12)
    ("T-11-jku", lambda: mint(claims(), ATTACKER, {"alg": "RS256", "kid": "att",
                                                   "jku": "http://127.0.0.1:8999/jwks.json"}),
     InvalidIdentityToken, NO_KEY),
    ("T-12-x5u", lambda: mint(claims(), ATTACKER, {"alg": "RS256", "kid": "att",
                                                   "x5u": "http://127.0.0.1:8999/cert.pem"}),
     InvalidIdentityToken, NO_KEY),
    # #10 embedded jwk (T-13)
    ("T-13-embedded-rsa-jwk", lambda: mint(claims(), ATTACKER, {"alg": "RS256", "kid": "att",
                                                                "jwk": ATTACKER.public_jwk()}),
     InvalidIdentityToken, ""),
    ("T-13-embedded-ec-jwk", lambda: mint(claims(), EC_ATTACKER, {"alg": "ES256", "kid": "att-ec",
                                                                  "jwk": EC_ATTACKER.public_jwk()}),
     InvalidIdentityToken, ""),
    ("T-13-embedded-jwk-reusing-kid", lambda: mint(claims(), ATTACKER, {"alg": "RS256", "kid": "k1",
                                                                        "jwk": ATTACKER.public_jwk(kid="k1")}),
     InvalidIdentityToken, ""),
    # #11 x5c chain (T-14): the key is the attacker's, whatever the header carries
    ("T-14-x5c", lambda: mint(claims(), ATTACKER, {"alg": "RS256", "kid": "att", "x5c": ["MIIBIjAN"]}),
     InvalidIdentityToken, ""),
    # #12 psychic ECDSA signature (T-15)
    ("T-15-psychic-es256", lambda: f"{segment({'alg': 'ES256', 'kid': 'e1'})}.{segment(claims(sub='bob-sub'))}."
     + b64(bytes(64)), InvalidIdentityToken, NO_KEY),
    # #14 expired beyond the grace (T-17)
    ("T-17-exp-301s-ago", lambda: mint(claims(exp=NOW - 301, iat=NOW - 900), K1), ExpiredTokenException,
     f"Token expired: current date/time {NOW} must be before the expiration date/time {NOW - 301}"),
    # #16 nbf in the future (T-21)
    ("T-21-nbf-future", lambda: mint(claims(nbf=NOW + 600), K1), InvalidIdentityToken, "not yet valid"),
    # #17 iat in the future (T-22)
    ("T-22-iat-future", lambda: mint(claims(iat=NOW + 3600, exp=NOW + 7200), K1), InvalidIdentityToken,
     "issued in the future"),
    # #18 a week old (T-23)
    ("T-23-iat-week-old", lambda: mint(claims(iat=NOW - 7 * 86400), K1), ExpiredTokenException,
     f"Token too old: {7 * 86400}"),
    # #19 missing claims (T-19, T-24, T-28, T-33)
    ("T-19-missing-exp", lambda: mint(claims(exp=_DROP), K1), InvalidIdentityToken, "Missing a required claim: exp"),
    ("T-24-missing-iat", lambda: mint(claims(iat=_DROP), K1), InvalidIdentityToken, "Missing a required claim: iat"),
    ("T-28-missing-aud", lambda: mint(claims(aud=_DROP), K1), InvalidIdentityToken, "Missing a required claim: aud"),
    ("T-33-missing-sub", lambda: mint(claims(sub=_DROP), K1), InvalidIdentityToken, "Missing a required claim: sub"),
    ("missing-iss", lambda: mint(claims(iss=_DROP), K1), InvalidIdentityToken, "Missing a required claim: iss"),
    # #20 issuer must match exactly (T-25)
    *[(f"T-25-iss-{i}", (lambda v=v: mint(claims(iss=v), K1)), InvalidIdentityToken,
       "No OpenIDConnect provider found in your account for")
      for i, v in enumerate(["https://idp.localhost/dev/", "http://idp.localhost/dev", "https://idp.localhost",
                             "https://IDP.localhost/dev", "https://idp.localhost/dev2", "idp.localhost/dev"])],
    # #21 wrong audience (T-27)
    *[(f"T-27-aud-{v or 'empty'}", (lambda v=v: mint(claims(aud=v), K1)), InvalidIdentityToken, WRONG_AUDIENCE)
      for v in ("webapp1", "WEBAPP", "webap", "")],
    # #22 several audiences: every one trusted and azp naming the client (T-29..T-31)
    ("T-29-extra-aud-no-azp", lambda: mint(claims(aud=["webapp", "webapp1"]), K1), InvalidIdentityToken, WRONG_AUDIENCE),
    ("T-30-extra-aud-with-azp", lambda: mint(claims(aud=["webapp", "webapp1"], azp="webapp"), K1),
     InvalidIdentityToken, WRONG_AUDIENCE),
    ("T-31-empty-aud-array", lambda: mint(claims(aud=[]), K1), InvalidIdentityToken, WRONG_AUDIENCE),
    # #23 azp mismatch (T-32)
    ("T-32-azp-mismatch", lambda: mint(claims(azp="other-client"), K1), InvalidIdentityToken, WRONG_AUDIENCE),
    # #24 claim types (T-20, T-26, T-34)
    *[(f"T-20-{n}", (lambda c=c: mint(claims(**c), K1)), InvalidIdentityToken, "")
      for n, c in (("exp-string", {"exp": str(NOW + 600)}), ("exp-true", {"exp": True}),
                   ("exp-null", {"exp": None}), ("exp-1e30", {"exp": 1e30}), ("nbf-true", {"nbf": True}),
                   ("iat-float", {"iat": NOW + 0.5}), ("iat-false", {"iat": False}))],
    ("T-26-iss-array", lambda: mint(claims(iss=[ISSUER]), K1), InvalidIdentityToken, "No OpenIDConnect provider"),
    *[(f"T-34-sub-{n}", (lambda v=v: mint(claims(sub=v), K1)), InvalidIdentityToken, "sub")
      for n, v in (("number", 123), ("empty", ""), ("256-chars", "a" * 256), ("list", ["alice-sub"]))],
    ("aud-number", lambda: mint(claims(aud=1), K1), InvalidIdentityToken, WRONG_AUDIENCE),
    # #25 duplicate member names (T-35, T-36)
    ("T-35-duplicate-sub", lambda: mint(
        f'{{"sub":"bob-sub","iss":"{ISSUER}","aud":"webapp","iat":{NOW},"exp":{NOW + 600},"sub":"alice-sub"}}', K1),
     InvalidIdentityToken, NOT_A_JWT),
    ("T-36-duplicate-alg", lambda: mint(claims(), K1, '{"alg":"RS256","kid":"k1","alg":"none"}'),
     InvalidIdentityToken, NOT_A_JWT),
    # #26 garbled base64url (T-37)
    ("T-37-leading-junk", lambda: "a" + good(), InvalidIdentityToken, NOT_A_JWT),
    ("T-37-dollar", lambda: replace_segment(good(), 1, "ab$c" + good().split(".")[1]), InvalidIdentityToken, NOT_A_JWT),
    ("T-37-padding", lambda: good() + "=", InvalidIdentityToken, NOT_A_JWT),
    ("T-37-standard-alphabet", lambda: good()[:-1] + "+", InvalidIdentityToken, NOT_A_JWT),
    ("T-37-slash", lambda: good()[:-1] + "/", InvalidIdentityToken, NOT_A_JWT),
    ("T-37-newline", lambda: good()[:20] + "\n" + good()[20:], InvalidIdentityToken, NOT_A_JWT),
    ("T-37-non-canonical", lambda: noncanonical_last_char(good()), InvalidIdentityToken, NOT_A_JWT),
    ("payload-not-json", lambda: replace_segment(good(), 1, b64(b"not json")), InvalidIdentityToken, NOT_A_JWT),
    ("payload-array", lambda: mint("[1,2]", K1), InvalidIdentityToken, NOT_A_JWT),
    ("payload-nan", lambda: mint(f'{{"iss":"{ISSUER}","exp":NaN}}', K1), InvalidIdentityToken, NOT_A_JWT),
    # #27 wrong segment count (T-38)
    ("T-38-two-segments", lambda: ".".join(good().split(".")[:2]), InvalidIdentityToken, NOT_A_JWT),
    ("T-38-four-segments", lambda: good() + ".e30", InvalidIdentityToken, NOT_A_JWT),
    ("T-38-jwe", lambda: "eyJhbGciOiJSU0EtT0FFUCJ9.a.b.c.d", InvalidIdentityToken, NOT_A_JWT),
    # #28 size (T-39)
    ("T-39-over-20000", lambda: "a" * 20001, InvalidIdentityToken, NOT_A_JWT),
    ("T-39-under-4", lambda: "a.b", InvalidIdentityToken, NOT_A_JWT),
    ("T-39-12k-header", lambda: mint(claims(), K1, {"alg": "RS256", "kid": "k1", "x": "y" * 12000}),
     InvalidIdentityToken, NOT_A_JWT),
    ("T-39-deep-nesting", lambda: mint('{"a":' + "[" * 9000 + "]" * 9000 + "}", K1), InvalidIdentityToken, ""),
    # #29 crit (T-40)
    *[(f"T-40-crit-{i}", (lambda h=h: mint(claims(), K1, {"alg": "RS256", "kid": "k1", **h})),
       InvalidIdentityToken, "critical") for i, h in enumerate([
        {"crit": ["x-custom-policy"], "x-custom-policy": 1}, {"crit": []}, {"crit": "b64"},
        {"crit": [123]}, {"crit": ["b64"]}, {"crit": ["exp"]}])],
    # #30 only ID tokens (T-41)
    *[(f"T-41-typ-{t}", (lambda t=t: mint(claims(), K1, {"alg": "RS256", "kid": "k1", "typ": t})),
       InvalidIdentityToken, NOT_A_JWT) for t in ("at+jwt", "logout+jwt", "JWE")],
    # #13 DER-encoded ECDSA (T-16), with an ES256 provider key
    ("T-16-es256-der", lambda: mint(claims(), E1, der=True), InvalidIdentityToken, NO_KEY),
]


@pytest.mark.parametrize(("build", "error", "message"), [r[1:] for r in REJECTED], ids=[r[0] for r in REJECTED])
def test_hostile_tokens_are_refused_with_aws_errors(build: Build, error: type[Exception], message: str) -> None:
    token = build()
    started = time.monotonic()
    with pytest.raises(error) as caught:
        validate(token, {"keys": [K1.public_jwk(), E1.public_jwk()]})
    assert time.monotonic() - started < 5.0  # a guard against a hang (e.g. "|sleep 10" run), not a speed test
    assert message in caught.value.message  # type: ignore[attr-defined]
    assert caught.value.status == 400  # type: ignore[attr-defined]


# (id, token, JWKS, clock) that must be accepted
ACCEPTED: list[tuple[str, Build, Callable[[], dict[str, Any]], int]] = [
    ("happy-path", good, lambda: {"keys": [K1.public_jwk()]}, NOW),
    ("T-08-no-kid-single-key", lambda: mint(claims(), K1, {"alg": "RS256"}), lambda: {"keys": [K1.public_jwk()]}, NOW),
    ("T-18-exp-60s-ago", lambda: mint(claims(exp=NOW - 60, iat=NOW - 600), K1), lambda: {"keys": [K1.public_jwk()]}, NOW),
    ("T-18-exp-300s-ago", lambda: mint(claims(exp=NOW - 300, iat=NOW - 600), K1), lambda: {"keys": [K1.public_jwk()]}, NOW),
    ("T-21-nbf-in-skew", lambda: mint(claims(nbf=NOW + 200), K1), lambda: {"keys": [K1.public_jwk()]}, NOW),
    ("aud-single-element-array", lambda: mint(claims(aud=["webapp"]), K1), lambda: {"keys": [K1.public_jwk()]}, NOW),
    ("aud-array-with-azp", lambda: mint(claims(aud=["webapp"], azp="webapp"), K1),
     lambda: {"keys": [K1.public_jwk()]}, NOW),
    ("kid-selects-among-keys", lambda: mint(claims(), K2), lambda: {"keys": [K1.public_jwk(), K2.public_jwk()]}, NOW),
    ("es256", lambda: mint(claims(), E1), lambda: {"keys": [E1.public_jwk()]}, NOW),
    ("es384", lambda: mint(claims(), ES384), lambda: {"keys": [ES384.public_jwk()]}, NOW),
    ("rs512", lambda: mint(claims(), K1, alg="RS512"), lambda: {"keys": [K1.public_jwk(alg="RS512")]}, NOW),
    ("typ-absent", lambda: mint(claims(), K1, {"alg": "RS256", "kid": "k1"}), lambda: {"keys": [K1.public_jwk()]}, NOW),
    ("T-34-sub-star-literal", lambda: mint(claims(sub="alice-sub*"), K1), lambda: {"keys": [K1.public_jwk()]}, NOW),
    ("T-34-sub-variable-literal", lambda: mint(claims(sub="${aws:username}"), K1),
     lambda: {"keys": [K1.public_jwk()]}, NOW),
]


@pytest.mark.parametrize(("build", "jwks", "now"), [r[1:] for r in ACCEPTED], ids=[r[0] for r in ACCEPTED])
def test_valid_tokens_are_accepted(build: Build, jwks: Callable[[], dict[str, Any]], now: int) -> None:
    result = validate(build(), jwks(), now)
    assert result.issuer == ISSUER
    assert result.audience == "webapp"
    assert result.subject == result.claims["sub"]


def test_absent_kid_with_several_keys_is_ambiguous_and_refused() -> None:  # #7, T-09
    token = mint(claims(), K2, {"alg": "RS256"})
    with pytest.raises(InvalidIdentityToken, match="verification key"):
        validate(token, {"keys": [K1.public_jwk(), K2.public_jwk()]})


@pytest.mark.parametrize(
    ("jwk", "alg"),
    [
        (lambda: K1.public_jwk(use="enc"), "RS256"),
        (lambda: K1.public_jwk(alg="RS384"), "RS256"),
        (lambda: K1.public_jwk(key_ops=["encrypt"]), "RS256"),
        (lambda: {**E1.public_jwk(), "kid": "k1", "alg": "RS256"}, "RS256"),
        (lambda: SigningKey.rsa("k1", 1024).public_jwk(), "RS256"),
    ],
    ids=["use-enc", "alg-mismatch", "key-ops", "ec-key-for-rsa-alg", "rsa-1024"],
)
def test_keys_whose_use_or_algorithm_do_not_fit_are_not_used(jwk: Callable[[], dict[str, Any]], alg: str) -> None:
    token = mint(claims(), K1, alg=alg)  # T-42: a key-use / alg mismatch in the JWKS
    with pytest.raises(InvalidIdentityToken, match="verification key"):
        validate(token, {"keys": [jwk()]})


def test_expiry_boundary_is_the_five_minute_grace() -> None:  # #14/#15, T-17/T-18
    token = mint(claims(exp=NOW, iat=NOW - 600), K1)
    assert validate(token, now=NOW + 300).subject == "alice-sub"
    with pytest.raises(ExpiredTokenException):
        validate(token, now=NOW + 301)


def test_maximum_age_follows_the_setting() -> None:
    token = mint(claims(iat=NOW - 3600, exp=NOW + 600), K1)
    assert validate(token).subject == "alice-sub"
    with pytest.raises(ExpiredTokenException, match="Token too old: 3600"):
        validate(token, policy=TokenPolicy(max_age_seconds=1800))


def test_no_error_message_echoes_claim_values() -> None:  # T-49
    for value in (None, True, False, "jwt_tool", 0):
        for name in ("iss", "aud", "sub", "exp", "iat", "kid", "alg", "typ"):
            header = {"alg": "RS256", "kid": "k1", "typ": "JWT"}
            body = claims()
            (header if name in header else body)[name] = value
            with pytest.raises((InvalidIdentityToken, ExpiredTokenException)) as caught:
                validate(flip(mint(body, K1, header)))
            assert "jwt_tool" not in caught.value.message  # type: ignore[attr-defined]


class CountingIdp:
    def __init__(self, *keys: SigningKey) -> None:
        self.keys = list(keys)
        self.calls = 0

    def __call__(self, issuer: str) -> dict[str, Any]:
        self.calls += 1
        return {"keys": [k.public_jwk() for k in self.keys]}


def test_unknown_kid_refetches_at_most_once_per_interval() -> None:  # T-07
    idp, clock = CountingIdp(K1), ManualClock(NOW)
    cache = JwksCache(idp, clock, ttl=300, min_refetch_interval=30)
    token = mint(claims(), ATTACKER, {"alg": "RS256", "kid": "nope"})
    for _ in range(5):
        with pytest.raises(InvalidIdentityToken):
            validate_token(token, provider_for=lambda i: PROVIDER, jwks=cache, now=clock())
    assert idp.calls == 1
    clock.advance(31)
    with pytest.raises(InvalidIdentityToken):
        validate_token(token, provider_for=lambda i: PROVIDER, jwks=cache, now=clock())
    assert idp.calls == 2


def test_a_rotated_key_is_picked_up_and_a_removed_one_dropped() -> None:  # T-43
    idp, clock = CountingIdp(K1), ManualClock(NOW)
    cache = JwksCache(idp, clock, ttl=300, min_refetch_interval=30)
    assert validate_token(mint(claims(), K1), provider_for=lambda i: PROVIDER, jwks=cache, now=NOW)
    idp.keys = [K2]  # rotated right after a fetch: still seen at once
    result = validate_token(mint(claims(), K2), provider_for=lambda i: PROVIDER, jwks=cache, now=NOW)
    assert result.header["kid"] == "k2" and idp.calls == 2
    clock.advance(300)
    with pytest.raises(InvalidIdentityToken):
        validate_token(mint(claims(), K1), provider_for=lambda i: PROVIDER, jwks=cache, now=NOW)


def test_a_flood_of_made_up_kids_costs_the_provider_a_few_fetches() -> None:
    idp, clock = CountingIdp(K1), ManualClock(NOW)
    cache = JwksCache(idp, clock, burst=5, refill_seconds=10)
    for index in range(50):
        with pytest.raises(InvalidIdentityToken):
            validate_token(mint(claims(), ATTACKER, {"alg": "RS256", "kid": f"made-up-{index}"}),
                           provider_for=lambda i: PROVIDER, jwks=cache, now=NOW)
    assert idp.calls == 1 + 5


def test_an_unreachable_provider_is_a_retryable_communication_error() -> None:  # T-47
    def down(issuer: str) -> dict[str, Any]:
        raise ConnectionError("refused")

    cache = JwksCache(down, ManualClock(NOW))
    with pytest.raises(IDPCommunicationError):
        validate_token(good(), provider_for=lambda i: PROVIDER, jwks=cache, now=NOW)


def test_kid_injection_opens_no_file_and_runs_nothing(monkeypatch: pytest.MonkeyPatch) -> None:  # T-10
    import builtins
    import os
    import subprocess

    calls: list[str] = []

    def forbidden(name: str) -> Callable[..., Any]:
        def record(*args: Any, **kwargs: Any) -> Any:
            calls.append(name)
            raise AssertionError(f"{name} called while validating a token")
        return record

    tokens = [mint_hmac(claims(), secret, {"alg": "HS256", "kid": kid}) for kid, secret in (
        ("../../../../../../dev/null", b""), ("/dev/null", b""), ("x' UNION SELECT '1';--", b"1"),
        ("|sleep 10", b""), ("", b""))]
    tokens += [mint(claims(), ATTACKER, {"alg": "RS256", "kid": kid}) for kid in ("/dev/null", "|sleep 10")]
    monkeypatch.setattr(builtins, "open", forbidden("open"))
    monkeypatch.setattr(os, "open", forbidden("os.open"))
    monkeypatch.setattr(subprocess, "Popen", forbidden("Popen"))
    monkeypatch.setattr(os, "system", forbidden("os.system"))
    for token in tokens:
        started = time.monotonic()
        with pytest.raises(InvalidIdentityToken):
            validate(token)
        assert time.monotonic() - started < 5.0  # a guard against a hang (e.g. "|sleep 10" run), not a speed test
    assert calls == []
