"""SigV4 request verification, pure (no web framework): see ``verify`` for the checks and their
order, ``canonical`` for the canonical request, ``errors`` for the AWS error codes."""

from webapp.sigv4.canonical import ALGORITHM, canonical_request, signing_key, string_to_sign
from webapp.sigv4.errors import (
    ExpiredToken,
    IncompleteSignature,
    InvalidSignature,
    MissingAuthenticationToken,
    SigV4Error,
    UnrecognizedClient,
)
from webapp.sigv4.verify import SignedRequest, VerifiedRequest, verify

__all__ = [
    "ALGORITHM", "ExpiredToken", "IncompleteSignature", "InvalidSignature",
    "MissingAuthenticationToken", "SigV4Error", "SignedRequest", "UnrecognizedClient",
    "VerifiedRequest", "canonical_request", "signing_key", "string_to_sign", "verify",
]
