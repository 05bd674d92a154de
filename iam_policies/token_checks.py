"""The checks STS makes of a web identity token against the IAM OIDC provider registered for its
issuer, before it reads the role's trust policy: the issuer and the audience.

STS API reference, AssumeRoleWithWebIdentity (``InvalidIdentityToken``), spec D.3/D.4; the
audience rules are OpenID Connect Core 1.0 §3.1.3.7 (3)-(5): every ``aud`` must be a client the
provider trusts, several need an ``azp`` among them, and an ``azp`` must be trusted. Pure
functions of the claims, shared by the local STS (``webapp.sts.tokens``, which also checks the
signature and the times) and ``simulate`` (whose cases carry claims, not signed tokens), so the
two cannot drift.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from iam_policies.errors import InvalidIdentityToken
from iam_policies.issuers import issuers_for

WRONG_AUDIENCE = "Incorrect token audience"


class TrustedProvider(Protocol):
    """What the checks need to know of a registered OIDC provider."""

    @property
    def url(self) -> str: ...  # without https:// (``idp.localhost/dev``)

    @property
    def client_ids(self) -> Sequence[str]: ...


#: ``provider_for(iss)``: the registered provider whose issuer is exactly ``iss``, or None.
ProviderLookup = Callable[[str], TrustedProvider | None]


def check_issuer(claims: Mapping[str, Any], provider_for: ProviderLookup) -> TrustedProvider:
    """The provider registered for the token's ``iss``, or ``InvalidIdentityToken``."""
    iss = claims.get("iss")
    if iss is None:
        raise InvalidIdentityToken("Missing a required claim: iss")
    provider = provider_for(iss) if isinstance(iss, str) else None
    if provider is None or iss not in issuers_for(provider.url):
        # AWS names the issuer it looked for; echo it only when it is a plausible issuer URL, so
        # that arbitrary claim values are never reflected (attack T-49).
        shown = iss if isinstance(iss, str) and re.fullmatch(r"https://[\x21-\x7e]{1,255}", iss) else None
        raise InvalidIdentityToken(
            f"No OpenIDConnect provider found in your account for {shown}"
            if shown else "No OpenIDConnect provider found in your account for the token's issuer"
        )
    return provider


def check_audience(claims: Mapping[str, Any], client_ids: Sequence[str]) -> str:
    """The client the token was issued to (``aud``, or ``azp`` for several), which must be one of
    ``client_ids``; else ``InvalidIdentityToken``."""
    aud = claims.get("aud")
    azp = claims.get("azp")
    trusted = set(client_ids)
    if aud is None:
        raise InvalidIdentityToken("Missing a required claim: aud")
    if azp is not None and (not isinstance(azp, str) or azp not in trusted):
        raise InvalidIdentityToken(WRONG_AUDIENCE)  # 3.1.3.7 (5)
    if isinstance(aud, str):
        if aud not in trusted:
            raise InvalidIdentityToken(WRONG_AUDIENCE)
        return aud
    if not isinstance(aud, list) or not aud or not all(isinstance(a, str) for a in aud):
        raise InvalidIdentityToken(WRONG_AUDIENCE)
    if any(a not in trusted for a in aud):  # 3.1.3.7 (3): every audience must be trusted
        raise InvalidIdentityToken(WRONG_AUDIENCE)
    if len(aud) == 1:
        return str(aud[0])
    if not isinstance(azp, str) or azp not in aud:  # 3.1.3.7 (4): several audiences need azp
        raise InvalidIdentityToken(WRONG_AUDIENCE)
    return azp
