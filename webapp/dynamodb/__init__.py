"""The local DynamoDB endpoint: JSON 1.0 over HTTP, SigV4 verified, IAM enforced, moto behind.

``create_dynamodb_app`` is the composition the stack serves on port P+2: CORS (``webapp.cors``)
around the gateway (``gateway``), which speaks DynamoDB's wire protocol (``wire``).
"""

from __future__ import annotations

from webapp.audit import Audit
from webapp.authorize import PolicyStore
from webapp.backend import Backend
from webapp.clock import Clock
from webapp.cors import Cors
from webapp.credentials import CredentialAuthority
from webapp.dynamodb.gateway import Gateway
from webapp.settings import Settings


def create_dynamodb_app(settings: Settings, registry: PolicyStore, credentials: CredentialAuthority,
                        backend: Backend, audit: Audit | None, clock: Clock, *, enforce: bool = True) -> Cors:
    """The WSGI app of the DynamoDB endpoint. ``audit`` takes each decision's ``AuditEntry``
    (``AuditLog.record``). ``enforce=False`` bypasses SigV4 and IAM; only the benchmark uses it,
    to measure what the security layers cost."""
    gateway = Gateway(settings, registry, credentials, backend, audit, clock, enforce=enforce)
    return Cors(gateway, settings.allowed_origins)


__all__ = ["create_dynamodb_app"]
