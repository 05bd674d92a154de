"""The condition keys STS derives from a web-identity token, and which survive into the session.

Sources (see ``shared/spec/fgac-semantics.md`` D.1): IAM User Guide, *IAM and AWS STS condition
context keys* (web identity keys) and *Creating a role for web identity or OIDC*. The table:

==========================  =====================================  ===========================
provider                    keys                                   value
==========================  =====================================  ===========================
www.amazon.com              ``app_id``, ``user_id``                the app and the user
graph.facebook.com          ``app_id``, ``id``                     the app and the user
accounts.google.com         ``aud`` (= ``azp`` if set, else        ``oaud`` = the token's ``aud``
                            ``aud``), ``oaud``, ``sub``
cognito-identity...         ``aud``, ``sub``, ``amr`` (multi)      identity pool, identity id
any IAM OIDC provider       ``<issuer minus https://>:aud``,       path kept in the prefix
                            ``:sub``, ``:azp``, ``:amr``
==========================  =====================================  ===========================

Only ``amr``, ``aud``, ``id`` and ``sub`` are usable after AssumeRoleWithWebIdentity ("No other
web identity based federation condition keys are available ... after the initial
AssumeRoleWithWebIdentity operation", S17). The DynamoDB guide also uses
``${www.amazon.com:user_id}`` in a role's permission policy (S1, S6), so Login with Amazon's
``user_id`` (its ``id``) survives too. ``oaud``, ``azp``, ``app_id`` and custom claims are
trust-policy-only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

AMAZON = "www.amazon.com"
FACEBOOK = "graph.facebook.com"
GOOGLE = "accounts.google.com"
COGNITO = "cognito-identity.amazonaws.com"
BUILT_IN_PROVIDERS = (AMAZON, FACEBOOK, GOOGLE, COGNITO)

#: Key suffixes that survive into the role session (S17: amr, aud, id, sub; plus LWA's user_id).
SESSION_KEY_SUFFIXES = frozenset({"amr", "aud", "id", "sub", "user_id"})

ProviderKeys = dict[str, "str | list[str]"]


def key_prefix(provider: str) -> str:
    """The condition-key prefix of a provider.

    Built-in providers are their host name. An OIDC provider is given by its issuer URL
    (``https://host/path``), its IAM provider ARN (``arn:aws:iam::ACCT:oidc-provider/host/path``)
    or the prefix itself; the prefix is the URL without ``https://``, path kept (S17, EKS example).
    """
    value = provider.strip()
    if value.startswith("arn:") and ":oidc-provider/" in value:
        value = value.split(":oidc-provider/", 1)[1]
    for scheme in ("https://", "http://"):
        if value.lower().startswith(scheme):
            value = value[len(scheme) :]
    return value.rstrip("/")


def provider_keys(claims: Mapping[str, Any], *, provider: str, audience: str | None = None) -> ProviderKeys:
    """The provider keys STS puts in the trust-policy context for a token with ``claims``.

    ``audience``: the client id STS matched when the token's ``aud`` is an array (then that one is
    the value of ``:aud``); otherwise the first audience is used. Missing claims give no key.
    """
    prefix = key_prefix(provider)
    keys: ProviderKeys = {}

    def put(suffix: str, value: Any) -> None:
        text = _single(value)
        if text is not None:
            keys[f"{prefix}:{suffix}"] = text

    aud = audience if audience is not None else claims.get("aud")
    if prefix == AMAZON:
        put("app_id", claims.get("app_id", aud))
        put("user_id", claims.get("user_id", claims.get("sub")))
    elif prefix == FACEBOOK:
        put("app_id", claims.get("app_id", aud))
        put("id", claims.get("id", claims.get("sub")))
    elif prefix == GOOGLE:
        azp = claims.get("azp")
        put("aud", azp if azp is not None else aud)
        put("oaud", aud)
        put("sub", claims.get("sub"))
    else:  # Cognito and any IAM OIDC provider share the generic claim names.
        put("aud", aud)
        put("sub", claims.get("sub"))
        if prefix != COGNITO:
            put("azp", claims.get("azp"))
        amr = _multi(claims.get("amr"))
        if amr is not None:
            keys[f"{prefix}:amr"] = amr
    return keys


def session_keys(keys: Mapping[str, str | list[str]]) -> ProviderKeys:
    """The provider keys that stay usable in the role session (S17): ``amr, aud, id, sub``."""
    kept: ProviderKeys = {}
    for name, value in keys.items():
        suffix = name.rsplit(":", 1)[-1].lower()
        if suffix in SESSION_KEY_SUFFIXES:
            kept[name] = list(value) if isinstance(value, list) else value
    return kept


def _single(value: Any) -> str | None:
    if isinstance(value, (list, tuple)):
        value = value[0] if value else None
    if value is None or isinstance(value, (dict, list, tuple)):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _multi(value: Any) -> list[str] | None:
    if value is None:
        return None
    items = value if isinstance(value, (list, tuple)) else [value]
    return [text for text in (_single(item) for item in items) if text is not None]
