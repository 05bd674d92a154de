"""Build JWTs byte by byte, honest ones and hostile ones, signed with real keys.

Tests need tokens a library would refuse to produce (duplicate members, ``alg: none``, HMAC with a
public key, DER-encoded ECDSA signatures), so this signs the exact bytes it is given with
``cryptography`` rather than going through a JWT library.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from joserfc.jwk import ECKey, RSAKey

_HASHES = {"256": hashes.SHA256, "384": hashes.SHA384, "512": hashes.SHA512}


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class SigningKey:
    """A private key and its public JWK."""

    kid: str
    private: Any
    alg: str = "RS256"

    @classmethod
    def rsa(cls, kid: str, bits: int = 2048) -> SigningKey:
        return cls(kid, rsa.generate_private_key(public_exponent=65537, key_size=bits))

    @classmethod
    def ec(cls, kid: str, alg: str = "ES256") -> SigningKey:
        curve = {"ES256": ec.SECP256R1(), "ES384": ec.SECP384R1(), "ES512": ec.SECP521R1()}[alg]
        return cls(kid, ec.generate_private_key(curve), alg)

    @classmethod
    def from_jwk(cls, jwk: dict[str, Any]) -> SigningKey:
        if jwk["kty"] == "RSA":
            return cls(jwk.get("kid", ""), RSAKey.import_key(jwk).private_key, jwk.get("alg", "RS256"))
        return cls(jwk.get("kid", ""), ECKey.import_key(jwk).private_key, jwk.get("alg", "ES256"))

    def public_jwk(self, **extra: Any) -> dict[str, Any]:
        key = RSAKey.import_key(self.private) if isinstance(self.private, rsa.RSAPrivateKey) \
            else ECKey.import_key(self.private)
        public = key.as_dict(private=False)
        return {**public, "kid": self.kid, "use": "sig", "alg": self.alg, **extra}

    def jwks(self) -> dict[str, Any]:
        return {"keys": [self.public_jwk()]}

    def sign(self, message: bytes, alg: str | None = None, *, der: bool = False) -> bytes:
        alg = alg or self.alg
        digest = _HASHES[alg[2:]]()
        if alg.startswith("RS"):
            return self.private.sign(message, padding.PKCS1v15(), digest)  # type: ignore[no-any-return]
        if alg.startswith("ES"):
            signature = self.private.sign(message, ec.ECDSA(digest))
            if der:
                return signature  # type: ignore[no-any-return]
            r, s = decode_dss_signature(signature)
            size = (self.private.curve.key_size + 7) // 8
            return r.to_bytes(size, "big") + s.to_bytes(size, "big")
        raise ValueError(alg)


def segment(value: dict[str, Any] | str | bytes) -> str:
    if isinstance(value, dict):
        value = json.dumps(value, separators=(",", ":"))
    if isinstance(value, str):
        value = value.encode()
    return b64(value)


def mint(claims: dict[str, Any] | str, key: SigningKey, header: dict[str, Any] | str | None = None,
         *, alg: str | None = None, der: bool = False) -> str:
    """A JWS over ``header``.``claims`` signed by ``key`` (header defaults to alg + kid + typ)."""
    alg = alg or key.alg
    if header is None:
        header = {"alg": alg, "kid": key.kid, "typ": "JWT"}
    signing_input = f"{segment(header)}.{segment(claims)}"
    return f"{signing_input}.{b64(key.sign(signing_input.encode(), alg, der=der))}"


def mint_hmac(claims: dict[str, Any], secret: bytes, header: dict[str, Any]) -> str:
    signing_input = f"{segment(header)}.{segment(claims)}"
    return f"{signing_input}.{b64(hmac.new(secret, signing_input.encode(), hashlib.sha256).digest())}"


def unsigned(claims: dict[str, Any], header: dict[str, Any]) -> str:
    return f"{segment(header)}.{segment(claims)}."
