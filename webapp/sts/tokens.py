"""Validate an OpenID Connect ID token the way STS ``AssumeRoleWithWebIdentity`` does.

A pure function of plain values (no Flask, no network): the token text, the registered providers,
a way to read a provider's JWKS, and the time. Every failure is an ``InvalidIdentityToken`` or an
``ExpiredTokenException`` carrying AWS's message; nothing else escapes (no 500, no traceback).

What is checked, and why (security-anchors §1.1, §1.2 rows 1-31; fgac-semantics §D.2, §D.3):

- size: 4-20000 characters (STS model), decoded header <= 2 KB, payload <= 16 KB;
- form: exactly three non-empty base64url segments, canonical, unpadded (RFC 7515 §7.1, RFC 4648
  §5); header and payload are JSON objects without duplicate member names (RFC 7519 §4 allows
  "reject"; joserfc alone would keep the last value, row 25);
- header: ``alg`` in RS256/384/512, ES256/384/512 (STS API reference: "RSA keys ... or ECDSA
  keys"; never ``none`` or HMAC, rows 1, 2, 5); ``typ`` absent or ``JWT`` (only ID tokens,
  RFC 8725 §3.11, decision §6.6); no ``crit`` (we implement no extension, RFC 7515 §4.1.11);
- key: only from the JWKS of the provider registered for ``iss``; ``jku``, ``x5u``, ``jwk`` and
  ``x5c`` are never used (RFC 8725 §3.10, rows 9-11); ``kid`` required when the JWKS has several
  keys (decision §6.5); the key's ``kty``/``crv``/``use``/``alg`` must fit (row 31);
- signature: verified by joserfc with the single allowed algorithm (rows 3, 4, 12, 13);
- claims: ``iss`` exactly ``https://`` + a registered provider URL (row 20; ``http://`` too for a
  loopback provider on the local stack, ``iam_policies.issuers``); ``aud`` in the
  provider's client IDs, an array only if every entry is trusted and ``azp`` names the client
  (OIDC Core §3.1.3.7 rules 3-5, decision §6.1); ``sub`` a 1-255 character string; ``exp`` and
  ``iat`` required integers (STS: "Timestamps ... must be formatted as either an integer or a long
  integer"; a JSON ``true`` is not one, row 24); ``exp`` with AWS's five-minute grace (IAM UG,
  "OIDC federation"); ``iat`` not in the future beyond that same clock skew, and not older than
  the maximum age ("Token too old", decision §6.2); ``nbf`` honoured with the same skew.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, RSAKey

from iam_policies.token_checks import WRONG_AUDIENCE as WRONG_AUDIENCE
from iam_policies.token_checks import ProviderLookup, TrustedProvider, check_audience, check_issuer
from webapp.sts.errors import ExpiredTokenException, InvalidIdentityToken

ALLOWED_ALGORITHMS: tuple[str, ...] = ("RS256", "RS384", "RS512", "ES256", "ES384", "ES512")
_EC_CURVES = {"ES256": "P-256", "ES384": "P-384", "ES512": "P-521"}

MIN_TOKEN_CHARS = 4
MAX_TOKEN_CHARS = 20000
MAX_HEADER_BYTES = 2048
MAX_PAYLOAD_BYTES = 16384
MAX_SUB_CHARS = 255
MIN_RSA_BITS = 2048

NOT_A_JWT = "The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)"
#: STS's text when a token's key cannot be had: no usable key (``InvalidIdentityToken``) or the
#: provider unreachable (``IDPCommunicationError``, ``jwks``).
NO_KEY = (
    "Couldn't retrieve verification key from your identity provider, "
    "please reference AssumeRoleWithWebIdentity documentation for requirements"
)

_SEGMENT = re.compile(r"[A-Za-z0-9_-]+")


#: ``jwks(issuer, kid)``: the provider's public JWKS; may refetch when ``kid`` is not in it.
JwksLookup = Callable[[str, str | None], Mapping[str, Any]]


@dataclass(frozen=True)
class ValidatedToken:
    """A token that passed every check: its header, claims and the provider it belongs to."""

    header: Mapping[str, Any]
    claims: Mapping[str, Any]
    provider: TrustedProvider
    #: The client the token was issued to (``aud``, or ``azp`` for an array ``aud``).
    audience: str

    @property
    def issuer(self) -> str:
        return str(self.claims["iss"])

    @property
    def subject(self) -> str:
        return str(self.claims["sub"])


@dataclass(frozen=True)
class TokenPolicy:
    """The time rules, from ``Settings``: grace past ``exp`` (and skew for ``iat``/``nbf``) and
    the maximum age of ``iat``."""

    exp_grace_seconds: int = 300
    max_age_seconds: int = 24 * 3600


def validate_token(
    token: str,
    *,
    provider_for: ProviderLookup,
    jwks: JwksLookup,
    now: float,
    policy: TokenPolicy = TokenPolicy(),
) -> ValidatedToken:
    """The validated token, or ``InvalidIdentityToken`` / ``ExpiredTokenException``."""
    try:
        return _validate(token, provider_for, jwks, int(now), policy)
    except (InvalidIdentityToken, ExpiredTokenException):
        raise
    except (ValueError, TypeError, KeyError, RecursionError, JoseError) as exc:
        # Defence in depth: anything unforeseen in a hostile token is still a clean 400.
        raise InvalidIdentityToken(NOT_A_JWT) from exc


def _validate(
    token: str, provider_for: ProviderLookup, jwks: JwksLookup, now: int, policy: TokenPolicy
) -> ValidatedToken:
    if not isinstance(token, str) or not MIN_TOKEN_CHARS <= len(token) <= MAX_TOKEN_CHARS:
        raise InvalidIdentityToken(NOT_A_JWT)
    segments = token.split(".")
    if len(segments) != 3 or not all(_SEGMENT.fullmatch(s) for s in segments):
        raise InvalidIdentityToken(NOT_A_JWT)
    header_b64, payload_b64, signature_b64 = segments
    header = _json_object(_b64decode(header_b64, MAX_HEADER_BYTES))
    claims = _json_object(_b64decode(payload_b64, MAX_PAYLOAD_BYTES))
    _b64decode(signature_b64, 1024)

    alg = _check_header(header)
    provider = check_issuer(claims, provider_for)
    key = _select_key(header, alg, jwks(str(claims["iss"]), _kid(header)))
    _verify_signature(token, key, alg)

    audience = check_audience(claims, provider.client_ids)
    _check_subject(claims)
    _check_times(claims, now, policy)
    return ValidatedToken(header=header, claims=claims, provider=provider, audience=audience)


# Form ------------------------------------------------------------------------------------------


def _b64decode(segment: str, limit: int) -> bytes:
    if len(segment) % 4 == 1 or len(segment) > (limit * 4 + 2) // 3 + 1:
        raise InvalidIdentityToken(NOT_A_JWT)
    try:
        raw = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    except (binascii.Error, ValueError) as exc:
        raise InvalidIdentityToken(NOT_A_JWT) from exc
    # Canonical encoding only: unused trailing bits must be zero (RFC 4648 §3.5).
    if base64.urlsafe_b64encode(raw).rstrip(b"=").decode() != segment or len(raw) > limit:
        raise InvalidIdentityToken(NOT_A_JWT)
    return raw


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for name, value in pairs:
        if name in result:
            raise InvalidIdentityToken(NOT_A_JWT)
        result[name] = value
    return result


def _reject_constant(name: str) -> Any:
    raise InvalidIdentityToken(NOT_A_JWT)  # NaN / Infinity are not JSON (RFC 8259 §6)


def _json_object(raw: bytes) -> dict[str, Any]:
    try:
        text = raw.decode("utf-8")
        value = json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise InvalidIdentityToken(NOT_A_JWT) from exc
    if not isinstance(value, dict):
        raise InvalidIdentityToken(NOT_A_JWT)
    return value


# Header ----------------------------------------------------------------------------------------


def _check_header(header: Mapping[str, Any]) -> str:
    alg = header.get("alg")
    if not isinstance(alg, str) or alg not in ALLOWED_ALGORITHMS:
        raise InvalidIdentityToken(
            "The ID Token is signed with an unsupported algorithm; "
            "use RS256, RS384, RS512, ES256, ES384 or ES512"
        )
    typ = header.get("typ")
    if typ is not None and (not isinstance(typ, str) or typ.upper() not in ("JWT", "APPLICATION/JWT")):
        raise InvalidIdentityToken(NOT_A_JWT)
    if "crit" in header:
        raise InvalidIdentityToken("The ID Token has critical header parameters this service does not support")
    if "enc" in header or "zip" in header or header.get("b64") is False:
        raise InvalidIdentityToken(NOT_A_JWT)
    kid = header.get("kid")
    if kid is not None and not isinstance(kid, str):
        raise InvalidIdentityToken(NO_KEY)
    return alg


def _kid(header: Mapping[str, Any]) -> str | None:
    kid = header.get("kid")
    return kid if isinstance(kid, str) else None


# Issuer and key --------------------------------------------------------------------------------


def _select_key(header: Mapping[str, Any], alg: str, jwks: Mapping[str, Any]) -> RSAKey | ECKey:
    keys = jwks.get("keys") if isinstance(jwks, Mapping) else None
    if not isinstance(keys, list):
        raise InvalidIdentityToken(NO_KEY)
    kid = header.get("kid")
    if kid is None:
        if len(keys) != 1:  # ambiguous: decision §6.5 rejects rather than trying every key
            raise InvalidIdentityToken(NO_KEY)
        candidates = keys
    else:
        candidates = [k for k in keys if isinstance(k, Mapping) and k.get("kid") == kid]
        if len(candidates) != 1:
            raise InvalidIdentityToken(NO_KEY)
    jwk = candidates[0]
    if not isinstance(jwk, Mapping):
        raise InvalidIdentityToken(NO_KEY)
    if jwk.get("use", "sig") != "sig" or jwk.get("alg", alg) != alg:
        raise InvalidIdentityToken(NO_KEY)
    ops = jwk.get("key_ops")
    if ops is not None and (not isinstance(ops, list) or "verify" not in ops):
        raise InvalidIdentityToken(NO_KEY)
    public = {k: v for k, v in jwk.items() if k in ("kty", "n", "e", "crv", "x", "y", "kid")}
    try:
        if alg.startswith("RS"):
            if public.get("kty") != "RSA":
                raise InvalidIdentityToken(NO_KEY)
            rsa = RSAKey.import_key(public)
            if rsa.raw_value.key_size < MIN_RSA_BITS:
                raise InvalidIdentityToken(NO_KEY)
            return rsa
        if public.get("kty") != "EC" or public.get("crv") != _EC_CURVES[alg]:
            raise InvalidIdentityToken(NO_KEY)
        return ECKey.import_key(public)
    except (JoseError, ValueError, TypeError) as exc:
        raise InvalidIdentityToken(NO_KEY) from exc


def _verify_signature(token: str, key: RSAKey | ECKey, alg: str) -> None:
    registry = jws.JWSRegistry(algorithms=[alg], strict_check_header=False)
    registry.max_header_length = MAX_HEADER_BYTES
    registry.max_payload_length = MAX_PAYLOAD_BYTES
    try:
        jws.deserialize_compact(token, key, algorithms=[alg], registry=registry)
    except (JoseError, ValueError, TypeError) as exc:
        raise InvalidIdentityToken(NO_KEY) from exc


# Claims ----------------------------------------------------------------------------------------


def _check_subject(claims: Mapping[str, Any]) -> None:
    sub = claims.get("sub")
    if sub is None:
        raise InvalidIdentityToken("Missing a required claim: sub")
    if not isinstance(sub, str) or not 1 <= len(sub) <= MAX_SUB_CHARS or not sub.isprintable():
        raise InvalidIdentityToken("The sub claim must be a string of 1 to 255 printable characters")


def _int_claim(claims: Mapping[str, Any], name: str, *, required: bool) -> int | None:
    if name not in claims:
        if required:
            raise InvalidIdentityToken(f"Missing a required claim: {name}")
        return None
    value = claims[name]
    if type(value) is not int:  # not bool (a subclass of int), not float, not string
        raise InvalidIdentityToken(
            f"The {name} claim must be an integer number of seconds since the epoch"
        )
    return value


def _check_times(claims: Mapping[str, Any], now: int, policy: TokenPolicy) -> None:
    exp = _int_claim(claims, "exp", required=True)
    iat = _int_claim(claims, "iat", required=True)
    nbf = _int_claim(claims, "nbf", required=False)
    assert exp is not None and iat is not None
    grace = policy.exp_grace_seconds
    if now > exp + grace:
        raise ExpiredTokenException(
            f"Token expired: current date/time {now} must be before the expiration date/time {exp}"
        )
    if iat > now + grace:
        raise InvalidIdentityToken(
            f"Token issued in the future: current date/time {now} is before the issue date/time {iat}"
        )
    if now - iat > policy.max_age_seconds:
        raise ExpiredTokenException(f"Token too old: {now - iat}")
    if nbf is not None and nbf > now + grace:
        raise InvalidIdentityToken(
            f"Token not yet valid: current date/time {now} is before the not-before date/time {nbf}"
        )
