"""The provider's signing keys: a private JWKS of RS256 keys in ``<data>/keys/idp-signing.json``.

RS256 with 2048-bit keys, because that is what AWS STS accepts from any OIDC provider ("Tokens must
be signed using either RSA keys (RS256, RS384, or RS512) or ECDSA keys", STS API reference,
AssumeRoleWithWebIdentity) and what OpenID Connect Core §15.1 requires every provider to support.

Rotation (OpenID Connect Core §10.1.1): ``rotate()`` appends a new key; new tokens are signed with
the newest one, and the old ones stay in the published JWKS so that tokens they signed still
verify until ``retire()`` drops them. Each key's ``kid`` is its RFC 7638 thumbprint.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from joserfc.jwk import RSAKey

from webapp.idp.jsonfile import Document, JsonFile

ALGORITHM = "RS256"
KEY_SIZE = 2048


def new_signing_key() -> dict[str, Any]:
    """A fresh private RSA JWK with ``kid``, ``use: sig`` and ``alg: RS256``."""
    key = RSAKey.generate_key(KEY_SIZE, parameters={"use": "sig", "alg": ALGORITHM}, auto_kid=True)
    return dict(key.as_dict(private=True))


class SigningKeys:
    """The private key set. The newest key (last in the file) signs; all of them verify."""

    def __init__(self, path: Path) -> None:
        self._file = JsonFile(path, lambda: {"keys": [new_signing_key()]})
        self._imports: tuple[Document, list[RSAKey]] | None = None

    def current(self) -> RSAKey:
        """The key that signs new tokens."""
        return self._imported(self._file.read())[-1]

    def jwks(self) -> dict[str, Any]:
        """The public JWKS (RFC 7517 §5): public members only, newest key first."""
        keys = [dict(key.as_dict(private=False)) for key in reversed(self._imported(self._file.read()))]
        return {"keys": keys}

    def rotate(self) -> str:
        """Add a new signing key; returns its ``kid``."""
        fresh = new_signing_key()
        self._file.update(lambda doc: {"keys": [*doc["keys"], fresh]})
        return str(fresh["kid"])

    def retire(self, keep: int = 1) -> None:
        """Drop all but the ``keep`` newest keys (tokens they signed stop verifying)."""
        self._file.update(lambda doc: {"keys": doc["keys"][-max(keep, 1):]})

    def _imported(self, doc: Document) -> list[RSAKey]:
        if self._imports is not None and self._imports[0] is doc:
            return list(self._imports[1])
        keys = [RSAKey.import_key(raw) for raw in doc["keys"]]
        self._imports = (doc, keys)
        return list(keys)
