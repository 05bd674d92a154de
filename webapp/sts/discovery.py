"""Fetch a registered provider's public keys the way STS does: discovery, then ``jwks_uri``.

IAM UG, "Create an OpenID Connect (OIDC) identity provider in IAM": STS reads
``<issuer>/.well-known/openid-configuration`` (OpenID Connect Discovery 1.0 §4) and the JWKS its
``jwks_uri`` names. The discovery document's ``issuer`` must be the issuer exactly (Discovery
§4.3), or its keys are not the issuer's. Anything that goes wrong (unreachable, not JSON, too big,
no ``jwks_uri``) raises ``ProviderUnreachable``; ``JwksCache`` turns it into STS's
``IDPCommunicationError``, as AWS answers when it cannot reach the provider.

Only URLs of providers registered in IAM are ever fetched (the cache is asked for a registered
provider's issuer only), never a URL taken from a token (RFC 8725 §3.10).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

import requests

#: Discovery documents and key sets are small; refuse anything larger (a hostile or broken peer).
MAX_DOCUMENT_BYTES = 256 * 1024
TIMEOUT_SECONDS = 5.0


class ProviderUnreachable(Exception):
    """The provider's discovery document or key set could not be had."""


def discovery_url(issuer: str) -> str:
    return issuer.rstrip("/") + "/.well-known/openid-configuration"


def fetch_jwks(issuer: str, *, session: requests.Session | None = None) -> Mapping[str, Any]:
    """The issuer's JWKS, through its discovery document."""
    http = session or requests.Session()
    metadata = _get_json(http, discovery_url(issuer))
    if metadata.get("issuer") != issuer:
        raise ProviderUnreachable(f"the discovery document names issuer {metadata.get('issuer')!r}, not {issuer!r}")
    jwks_uri = metadata.get("jwks_uri")
    if not isinstance(jwks_uri, str) or not jwks_uri.startswith(("https://", "http://")):
        raise ProviderUnreachable("the discovery document has no jwks_uri")
    jwks = _get_json(http, jwks_uri)
    if not isinstance(jwks.get("keys"), list):
        raise ProviderUnreachable("the JWKS has no keys array")
    return jwks


def _get_json(http: requests.Session, url: str) -> Mapping[str, Any]:
    try:
        with http.get(url, timeout=TIMEOUT_SECONDS, stream=True, allow_redirects=False,
                      headers={"Accept": "application/json"}) as answer:
            if answer.status_code != 200:
                raise ProviderUnreachable(f"{url} answered HTTP {answer.status_code}")
            body = answer.raw.read(MAX_DOCUMENT_BYTES + 1, decode_content=True)
    except requests.RequestException as error:
        raise ProviderUnreachable(f"{url} could not be reached: {error}") from error
    if len(body) > MAX_DOCUMENT_BYTES:
        raise ProviderUnreachable(f"{url} answered more than {MAX_DOCUMENT_BYTES} bytes")
    try:
        value = json.loads(body)
    except ValueError as error:
        raise ProviderUnreachable(f"{url} did not answer JSON") from error
    if not isinstance(value, dict):
        raise ProviderUnreachable(f"{url} did not answer a JSON object")
    return value


def provider_jwks(own_issuer: str | None, own_jwks: Callable[[], Mapping[str, Any]],
                  fetch: Callable[[str], Mapping[str, Any]] = fetch_jwks) -> Callable[[str], Mapping[str, Any]]:
    """``jwks_for(issuer)``: the dev provider's keys read directly (its issuer is an identifier,
    not an address), every other registered provider's keys through discovery. ``own_issuer`` is
    ``None`` when the stack signs in with another provider (then the dev one issues nothing)."""

    def jwks_for(issuer: str) -> Mapping[str, Any]:
        return own_jwks() if issuer == own_issuer else fetch(issuer)

    return jwks_for
