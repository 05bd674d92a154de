"""Verify a SigV4-signed request: the checks AWS performs, in its order, with its messages.

Sources: AWS IAM User Guide "Create a signed AWS API request", "Authenticating requests: using
query parameters", "Troubleshoot signature errors" (the credential-scope messages); the check
order and bodies observed on live DynamoDB (shared/spec/fgac-semantics.md §E.1, E.3) and the
verification checklist of shared/spec/security-anchors.md §2.1:

1. auth present (header or query, not both);       MissingAuthenticationToken / InvalidSignature
2. complete: algorithm, Credential, SignedHeaders,  IncompleteSignature
   Signature, a date;
3. time window (``skew`` seconds either side);       InvalidSignature "Signature expired" / "not yet current"
4. ``host`` and every ``x-amz-*`` header signed;     InvalidSignature
5. credential scope: date, region, service, term;   InvalidSignature
6. access key and session token;                    UnrecognizedClient / ExpiredToken
7. signature over the received request and body.    InvalidSignature (``hmac.compare_digest``)

Project decisions (security-anchors §6.4, §2.1 step 6): ``x-amz-security-token`` must be signed
whenever it is sent; security-relevant headers may not be repeated; the window defaults to 5 min.

**S3** (service ``s3``) signs differently (S3 API Reference, "Authenticating Requests (AWS Signature
Version 4)", "Signature Calculations for the Authorization Header"): the canonical URI is the path
URI-encoded once, not normalized; the canonical request ends with the ``x-amz-content-sha256``
header *as sent*, which is required and is the body's hex SHA-256, ``UNSIGNED-PAYLOAD``, or one of
the ``STREAMING-...`` values of an ``aws-chunked`` body, whose chunks ``webapp.s3.streaming``
verifies from the seed signature returned here; a presigned URL's payload is ``UNSIGNED-PAYLOAD``.
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools
import hashlib
import hmac
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Generic, TypeVar
from urllib.parse import unquote, unquote_to_bytes

from webapp.credentials import ExpiredCredentials, UnknownCredentials
from webapp.sigv4 import canonical
from webapp.sigv4.errors import (
    EXPIRED_MESSAGE,
    MISMATCH_MESSAGE,
    MISSING_MESSAGE,
    UNRECOGNIZED_MESSAGE,
    BadContentSha256,
    ContentSha256Mismatch,
    ExpiredToken,
    IncompleteSignature,
    InvalidSignature,
    MissingAuthenticationToken,
    MissingContentSha256,
    PresignedExpired,
    PresignedLifetimeTooLong,
    PresignedNotYetValid,
    UnrecognizedClient,
)

P = TypeVar("P")

#: Headers whose repetition would let a router read one copy while the verifier reads another.
SINGLE_HEADERS = ("authorization", "host", "x-amz-date", "x-amz-security-token", "x-amz-target",
                  "x-amz-content-sha256")

_AMZ_DATE = re.compile(r"\d{8}T\d{6}Z")
_SIGNATURE = re.compile(r"[0-9a-fA-F]{64}")
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")
#: The ``x-amz-content-sha256`` values S3 accepts besides a hex digest (S3 API Reference, "Common
#: Request Headers"; "Signature Calculations for the Authorization Header").
S3_PAYLOAD_MODES = frozenset({
    "UNSIGNED-PAYLOAD", "STREAMING-UNSIGNED-PAYLOAD-TRAILER", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
    "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
})
_HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9a-z]+")
#: In the order DynamoDB names them when they are missing (dynalite test/connection.js).
_QUERY_AUTH = ("X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature", "X-Amz-SignedHeaders",
               "X-Amz-Date")
#: Longest presigned lifetime AWS accepts (7 days).
_MAX_EXPIRES = 7 * 24 * 3600


@dataclass(frozen=True)
class SignedRequest:
    """A request exactly as received: raw (still percent-encoded) path and query, the header
    pairs in arrival order (repeats allowed), and the actual body bytes."""

    method: str
    path: str
    query: str
    headers: Sequence[tuple[str, str]]
    body: bytes


@dataclass(frozen=True)
class VerifiedRequest(Generic[P]):
    principal: P
    access_key_id: str
    amz_date: str
    region: str
    service: str
    signed_headers: tuple[str, ...]
    presigned: bool
    #: The request's signature (the seed of an ``aws-chunked`` body's chunk signatures), its
    #: credential scope (``date/region/service/aws4_request``) and the key that signed it.
    signature: str = ""
    scope: str = ""
    signing_key: bytes = field(default=b"", repr=False)
    #: S3: the ``x-amz-content-sha256`` the signature covers (a hex digest, ``UNSIGNED-PAYLOAD`` or
    #: a ``STREAMING-...`` mode); empty for the other services.
    content_sha256: str = ""


@dataclass(frozen=True)
class _Auth:
    credential: str
    signed_headers: str
    signature: str
    amz_date: str
    session_token: str | None
    presigned: bool
    expires: int | None = None


def verify(
    request: SignedRequest,
    *,
    lookup: Callable[[str, str | None], tuple[str, P]],
    clock: Callable[[], float],
    region: str,
    service: str,
    skew: int = 300,
) -> VerifiedRequest[P]:
    """Return who signed ``request``, or raise the ``SigV4Error`` AWS would answer with.

    ``lookup(access_key_id, session_token) -> (secret, principal)`` raises ``UnknownCredentials``
    or ``ExpiredCredentials`` (``CredentialAuthority.secret_for``); ``skew`` is the replay window
    in seconds either side of ``clock()``."""
    headers = _headers(request.headers)
    auth = _parse(request, headers)
    now = clock()
    _check_time(auth, now, skew)
    signed = _check_signed_headers(auth, headers)
    access_key_id, scope = _check_scope(auth, region, service)

    try:
        secret, principal = lookup(access_key_id, auth.session_token)
    except UnknownCredentials:
        raise UnrecognizedClient(UNRECOGNIZED_MESSAGE) from None
    except ExpiredCredentials:
        raise ExpiredToken(EXPIRED_MESSAGE) from None

    if service == "s3":
        payload_hash = _s3_payload_hash(auth, headers, request.body)
        canonical_path = canonical.uri_encode(unquote_to_bytes(request.path) or b"/", keep_slash=True)
    else:
        payload_hash = hashlib.sha256(request.body).hexdigest()
        declared = headers.get("x-amz-content-sha256")
        if declared is not None and not hmac.compare_digest(declared.strip().lower(), payload_hash):
            raise InvalidSignature(
                "The provided 'x-amz-content-sha256' header does not match what was computed."
            )
        canonical_path = canonical.canonical_uri(request.path)
    canonical_request = canonical.canonical_request(
        method=request.method,
        raw_path=canonical_path,
        raw_query=request.query,
        headers=headers,
        signed_headers=signed,
        payload_hash=payload_hash,
        exclude_query=("X-Amz-Signature",) if auth.presigned else (),
        path_is_canonical=True,
    )
    to_sign = canonical.string_to_sign(auth.amz_date, scope, canonical_request)
    key = canonical.signing_key(secret, auth.amz_date[:8], region, service)
    expected = canonical.signature(key, to_sign)
    if not hmac.compare_digest(expected.encode(), auth.signature.encode()):
        raise InvalidSignature(
            f"{MISMATCH_MESSAGE}\n\nThe Canonical String for this request should have been\n"
            f"'{canonical_request}'\n\nThe String-to-Sign should have been\n'{to_sign}'\n"
        )
    return VerifiedRequest(principal, access_key_id, auth.amz_date, region, service, signed,
                           auth.presigned, auth.signature.lower(), scope, key,
                           payload_hash if service == "s3" else "")


def _s3_payload_hash(auth: _Auth, headers: Mapping[str, str], body: bytes) -> str:
    """What an S3 signature covers in place of the body's hash (module docstring, **S3**)."""
    declared = headers.get("x-amz-content-sha256")
    if declared is None:
        if auth.presigned:
            return "UNSIGNED-PAYLOAD"
        raise MissingContentSha256("Missing required header for this request: x-amz-content-sha256")
    declared = declared.strip()
    if declared in S3_PAYLOAD_MODES:
        return declared
    if not _SHA256_HEX.fullmatch(declared):
        raise BadContentSha256(
            "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, "
            "STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER or a "
            "valid sha256 value."
        )
    if not hmac.compare_digest(declared, hashlib.sha256(body).hexdigest()):
        raise ContentSha256Mismatch(
            "The provided 'x-amz-content-sha256' header does not match what was computed."
        )
    return declared


# Steps ------------------------------------------------------------------------------------------


def _headers(pairs: Sequence[tuple[str, str]]) -> dict[str, str]:
    """Lower-case names to values, repeats joined with ``,`` (vector get-header-key-duplicate);
    a repeated security-relevant header is refused outright."""
    out: dict[str, str] = {}
    for name, value in pairs:
        key = name.strip().lower()
        if key in out:
            if key in SINGLE_HEADERS:
                raise IncompleteSignature(f"Header '{name}' must not be repeated.")
            out[key] = f"{out[key]},{value}"
        else:
            out[key] = value
    for key in ("x-amz-date", "x-amz-security-token", "host", "x-amz-target"):
        # A front end (Werkzeug's, gunicorn's) may have joined repeats with ",": none of these
        # values can hold one legitimately.
        if "," in out.get(key, ""):
            raise IncompleteSignature(f"Header '{key}' must not be repeated.")
    if out.get("authorization", "").count("Credential=") > 1:
        raise IncompleteSignature("Header 'authorization' must not be repeated.")
    return out


def _parse(request: SignedRequest, headers: Mapping[str, str]) -> _Auth:
    header = headers.get("authorization")
    query = _query_params(request.query)
    if header is not None and "X-Amz-Algorithm" in query:
        raise InvalidSignature(
            "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header."
        )
    if header is not None and header.strip():
        scheme = header.strip().partition(" ")[0]
        # A SigV4 header ("AWS4-...") or SigV2's "AWS" scheme is read (and refused if it is not
        # AWS4-HMAC-SHA256); any other value ("AWS4", "X") carries no credentials, so the request
        # is unauthenticated (dynalite test/connection.js, recorded against DynamoDB).
        if scheme.startswith("AWS4-") or scheme == "AWS":
            return _parse_header(header, headers)
    if "X-Amz-Algorithm" in query:  # query auth is announced by its algorithm, even empty
        return _parse_query(query)
    raise MissingAuthenticationToken(MISSING_MESSAGE)


#: The header as the SDKs write it: the three pairs in their order, values without separators
#: or ``=``. It is read in one match; anything else takes the general reading below, which gives
#: the same pairs for this form.
_SDK_HEADER = re.compile(r"AWS4-HMAC-SHA256 Credential=([^,\s=]+), ?SignedHeaders=([^,\s=]+), ?Signature=([^,\s=]+)")


def _parse_header(header: str, headers: Mapping[str, str]) -> _Auth:
    sdk = _SDK_HEADER.fullmatch(header)
    if sdk is not None:
        parts = dict(zip(("Credential", "SignedHeaders", "Signature"), sdk.groups(), strict=True))
        return _header_auth(header, headers, canonical.ALGORITHM, parts)
    algorithm, _, rest = header.strip().partition(" ")
    if not algorithm.startswith("AWS4-"):
        raise IncompleteSignature(f"Unsupported AWS 'algorithm': '{algorithm[:40]}'.")
    parts = {}
    # Pairs are separated by commas, spaces or both ("AWS4- Signature=b Credential=a" names
    # both; dynalite test/connection.js, recorded against DynamoDB).
    for item in (piece for piece in re.split(r"[,\s]+", rest.strip()) if piece):
        name, eq, value = item.strip().partition("=")
        if not eq or name not in ("Credential", "SignedHeaders", "Signature"):
            raise IncompleteSignature(
                f"'{item.strip()[:60]}' not a valid key=value pair (missing equal-sign) in "
                f"Authorization header: '{_redact(header)}'."
            )
        if name in parts:
            raise IncompleteSignature(f"Authorization header repeats '{name}'.")
        parts[name] = value.strip()
    return _header_auth(header, headers, algorithm, parts)


def _header_auth(header: str, headers: Mapping[str, str], algorithm: str, parts: Mapping[str, str]) -> _Auth:
    """The checks of a read ``Authorization`` header: what is missing first, then what is wrong."""
    missing = [
        f"Authorization header requires '{name}' parameter."
        for name in ("Credential", "Signature", "SignedHeaders")
        if not parts.get(name)
    ]
    if "x-amz-date" not in headers and "date" not in headers:
        missing.append(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."
        )
    if missing:  # what is missing first, then what is wrong (the algorithm, the date's format)
        raise IncompleteSignature(" ".join(missing) + f" Authorization={_redact(header)}")
    if algorithm != canonical.ALGORITHM:
        raise IncompleteSignature(f"Unsupported AWS 'algorithm': '{algorithm[:40]}'.")
    amz_date = _header_date(headers)
    assert amz_date is not None
    return _Auth(
        credential=parts["Credential"],
        signed_headers=parts["SignedHeaders"],
        signature=_check_signature_format(parts["Signature"]),
        amz_date=amz_date,
        session_token=headers.get("x-amz-security-token"),
        presigned=False,
    )


def _parse_query(query: Mapping[str, list[str]]) -> _Auth:
    for name, values in query.items():
        if name.startswith("X-Amz-") and len(values) > 1:
            raise IncompleteSignature(f"Query parameter '{name}' must not be repeated.")
    missing = [
        f"AWS query-string parameters must include '{name}'."
        for name in _QUERY_AUTH
        if not query.get(name, [""])[0]
    ]
    if not missing and not query.get("X-Amz-Expires", [""])[0]:
        # DynamoDB does not list X-Amz-Expires among the required parameters; a presigned
        # request without a lifetime is still refused here (security-anchors §2.1).
        missing.append("AWS query-string parameters must include 'X-Amz-Expires'.")
    if missing:
        raise IncompleteSignature(" ".join(missing) + " Re-examine the query-string parameters.")
    algorithm = query["X-Amz-Algorithm"][0]
    if algorithm != canonical.ALGORITHM:
        raise IncompleteSignature(f"Unsupported AWS 'algorithm': '{algorithm[:40]}'.")
    amz_date = query["X-Amz-Date"][0]
    if not _valid_amz_date(amz_date):
        raise IncompleteSignature(f"Date must be in ISO-8601 'basic format'. Got '{amz_date[:40]}'.")
    expires_text = query["X-Amz-Expires"][0]
    if not expires_text.isdigit() or not 1 <= int(expires_text) <= _MAX_EXPIRES:
        raise PresignedLifetimeTooLong(
            f"X-Amz-Expires must be an integer between 1 and {_MAX_EXPIRES}. Got '{expires_text[:20]}'."
        )
    token = query.get("X-Amz-Security-Token", [None])[0]
    return _Auth(
        credential=query["X-Amz-Credential"][0],
        signed_headers=query["X-Amz-SignedHeaders"][0],
        signature=_check_signature_format(query["X-Amz-Signature"][0]),
        amz_date=amz_date,
        session_token=token,
        presigned=True,
        expires=int(expires_text),
    )


def _check_signature_format(value: str) -> str:
    if not _SIGNATURE.fullmatch(value):
        raise IncompleteSignature("Signature must be 64 hexadecimal characters (HMAC-SHA256).")
    return value


def _header_date(headers: Mapping[str, str]) -> str | None:
    """``X-Amz-Date`` (basic ISO 8601), else an RFC 7231 ``Date`` turned into that form."""
    amz = headers.get("x-amz-date")
    if amz is not None:
        amz = amz.strip()
        if not _valid_amz_date(amz):
            raise IncompleteSignature(
                f"Date must be in ISO-8601 'basic format'. Got '{amz[:40]}'. See "
                "http://en.wikipedia.org/wiki/ISO_8601"
            )
        return amz
    date = headers.get("date")
    if date is None:
        return None
    try:
        parsed = parsedate_to_datetime(date)
    except (TypeError, ValueError):
        raise IncompleteSignature(f"Date header is not a valid HTTP date: '{date[:40]}'.") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return _format(parsed.timestamp())


def _valid_amz_date(text: str) -> bool:
    if not _AMZ_DATE.fullmatch(text):
        return False
    try:
        _epoch(text)
    except ValueError:
        return False
    return True


@functools.lru_cache(maxsize=256)
def _epoch(amz_date: str) -> float:
    """``YYYYMMDDTHHMMSSZ`` -> seconds since the epoch (``strptime`` is slow on the hot path)."""
    return calendar.timegm(dt.datetime(
        int(amz_date[0:4]), int(amz_date[4:6]), int(amz_date[6:8]),
        int(amz_date[9:11]), int(amz_date[11:13]), int(amz_date[13:15]),
    ).timetuple())


def _check_time(auth: _Auth, now: float, skew: int) -> None:
    signed_at = _epoch(auth.amz_date)
    minutes = f"{skew / 60:g}"
    if auth.presigned:
        assert auth.expires is not None
        # S3 names these in its answer ("Request has expired", "Request is not yet valid").
        details = {"X-Amz-Expires": str(auth.expires), "Expires": _iso(signed_at + auth.expires),
                   "ServerTime": _iso(now)}
        if now > signed_at + auth.expires:
            raise PresignedExpired(
                f"Signature expired: {auth.amz_date} is now earlier than "
                f"{_format(now - auth.expires)} ({_format(now)} - {auth.expires} sec.)", extra=details
            )
        if signed_at > now + skew:
            raise PresignedNotYetValid(
                f"Signature not yet current: {auth.amz_date} is still later than "
                f"{_format(now + skew)} ({_format(now)} + {skew / 60:g} min.)", extra=details
            )
    elif signed_at < now - skew:
        raise InvalidSignature(
            f"Signature expired: {auth.amz_date} is now earlier than {_format(now - skew)} "
            f"({_format(now)} - {minutes} min.)"
        )
    if signed_at > now + skew:
        raise InvalidSignature(
            f"Signature not yet current: {auth.amz_date} is still later than "
            f"{_format(now + skew)} ({_format(now)} + {minutes} min.)"
        )


def _check_signed_headers(auth: _Auth, headers: Mapping[str, str]) -> tuple[str, ...]:
    parsed = _signed_header_names(auth.signed_headers)
    if parsed is None:
        raise IncompleteSignature(
            f"SignedHeaders must be lower-case header names separated by ';'. Got "
            f"'{auth.signed_headers[:200]}'."
        )
    names, listed, canonical_names = parsed
    if "host" not in listed:
        raise InvalidSignature("'Host' must be a 'SignedHeader' in the AWS Authorization.")
    for name in headers:
        if name.startswith("x-amz-") and name not in listed:
            raise InvalidSignature(
                f"'{_title(name)}' must be a 'SignedHeader' in the AWS Authorization."
            )
    for name in names:
        if name not in headers:
            raise InvalidSignature(f"Signed header '{name}' is not present in the request.")
    return canonical_names


@functools.lru_cache(maxsize=256)
def _signed_header_names(text: str) -> tuple[tuple[str, ...], frozenset[str], tuple[str, ...]] | None:
    """``SignedHeaders`` as sent (in order), as a set, and sorted without repeats; ``None`` when
    a name is empty or not a lower-case token. A client signs the same list on every request."""
    names = tuple(text.split(";"))
    if any(not _HEADER_NAME.fullmatch(name) for name in names):
        return None
    return names, frozenset(names), tuple(sorted(set(names)))


def _check_scope(auth: _Auth, region: str, service: str) -> tuple[str, str]:
    parts = auth.credential.split("/")
    if len(parts) != 5 or not all(parts):
        raise IncompleteSignature(
            "Credential must have exactly 5 slash-delimited elements, e.g. "
            f"keyid/date/region/service/term, got '{auth.credential[:200]}'"
        )
    access_key_id, date, scope_region, scope_service, terminator = parts
    if date != auth.amz_date[:8]:
        raise InvalidSignature(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date "
            f"from HTTP: '{date[:20]}' != '{auth.amz_date[:8]}', from '{auth.amz_date}'."
        )
    if scope_region != region:
        raise InvalidSignature(
            f"Credential should be scoped to a valid region, not '{scope_region[:40]}'."
        )
    if scope_service != service:
        raise InvalidSignature(f"Credential should be scoped to correct service: '{service}'.")
    if terminator != canonical.TERMINATOR:
        raise InvalidSignature(
            "Credential should be scoped with a valid terminator: 'aws4_request', "
            f"not '{terminator[:40]}'."
        )
    return access_key_id, "/".join(parts[1:])


# Helpers ----------------------------------------------------------------------------------------


def _query_params(raw: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for part in raw.split("&"):
        if not part:
            continue
        name, _, value = part.partition("=")
        out.setdefault(unquote(name.replace("+", " ")), []).append(unquote(value.replace("+", " ")))
    return out


def _format(epoch: float) -> str:
    return dt.datetime.fromtimestamp(epoch, dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def _iso(epoch: float) -> str:
    return dt.datetime.fromtimestamp(epoch, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _title(name: str) -> str:
    return "-".join(part.capitalize() for part in name.split("-"))


def _redact(header: str) -> str:
    """The Authorization header for an error message: bounded, so a huge header is not echoed."""
    return header if len(header) <= 512 else header[:512] + "..."
