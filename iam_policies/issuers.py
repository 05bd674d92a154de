"""OpenID Connect issuer URLs as IAM names them, and the one exception the local stack makes.

AWS: an OIDC provider's URL "must begin with https://" and has no port, query or fragment
(IAM UG, "Creating OpenID Connect (OIDC) identity providers"; IAM API,
``CreateOpenIDConnectProvider``); the provider key that prefixes web-identity condition keys is
that URL without its scheme (``idp.example.com/realms/x``: ``${idp.example.com/realms/x:sub}``).

The local stack keeps that rule for every issuer except *loopback* ones (``localhost``,
``127.0.0.1``, ``[::1]``), which it also accepts over http and with a port, so that a provider
running on the developer's machine (Keycloak at ``http://localhost:8080/realms/x``, a mock) can
be used. Such an issuer's key keeps its host, port and path (``localhost:8080/realms/x``). This is
a development convenience only: it is never offered against AWS (``plan``/``apply`` accept it only
with ``--endpoint-url``, the local stack's IAM).
"""

from __future__ import annotations

from urllib.parse import urlsplit

LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "[::1]"})
MAX_URL_CHARS = 255


def provider_key(issuer: str) -> str:
    """The issuer without its scheme or trailing slash (``https://a.b/x/`` -> ``a.b/x``)."""
    return issuer.split("://", 1)[-1].rstrip("/")


def is_loopback(key_or_url: str) -> bool:
    """True when the issuer (with or without scheme) names a loopback host, any port."""
    netloc = provider_key(key_or_url).split("/", 1)[0]
    if netloc.startswith("["):
        host = netloc[: netloc.find("]") + 1] if "]" in netloc else netloc
    else:
        host = netloc.split(":", 1)[0]
    return host.lower() in LOOPBACK_HOSTS


def issuer_problem(issuer: str, *, allow_loopback: bool) -> str | None:
    """Why ``issuer`` cannot be an IAM OIDC provider URL, or ``None`` when it can.

    ``allow_loopback``: the local stack's exception (http and a port for loopback hosts).
    """
    if not isinstance(issuer, str) or len(issuer) > MAX_URL_CHARS:
        return f"the provider URL must be at most {MAX_URL_CHARS} characters"
    try:
        parts = urlsplit(issuer)
        port = parts.port
    except ValueError:
        return "the provider URL is not a valid URL"
    if parts.scheme not in ("https", "http") or not parts.hostname:
        return "the provider URL must begin with https://"
    if parts.query or parts.fragment or "?" in issuer or "#" in issuer or parts.username or parts.password:
        return "the provider URL must not contain a query, a fragment or credentials"
    loopback = is_loopback(issuer)
    if parts.scheme == "http" or port is not None:
        if not loopback:
            what = "begin with https://" if parts.scheme == "http" else "not contain a port"
            return (f"the provider URL must {what} (AWS's rule; the local stack makes an exception "
                    "for loopback issuers: localhost, 127.0.0.1, [::1])")
        if not allow_loopback:
            return ("an http or port-carrying issuer is accepted by the local stack only, for a loopback "
                    "provider; AWS requires https:// without a port")
    return None


def issuers_for(key: str) -> tuple[str, ...]:
    """The ``iss`` values a registered provider key stands for: ``https://`` + key, and for a
    loopback key also ``http://`` + key (the local stack's exception)."""
    if is_loopback(key):
        return ("https://" + key, "http://" + key)
    return ("https://" + key,)
