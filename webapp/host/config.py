"""What the page needs to know, as ``/config.json``, and where the AWS endpoints are.

The page is the same file locally and on AWS; only this document changes. On the local stack the
endpoints are the stack's own ports; on AWS (no endpoint configured, the host signing with
boto3's default chain) they are the regional public endpoints (AWS General Reference, "AWS
Security Token Service endpoints" and "Amazon DynamoDB endpoints").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from webapp.settings import Settings
from webapp.tables import TABLES


@dataclass(frozen=True)
class Endpoints:
    sts: str
    dynamodb: str
    #: Where the host's own boto3 client sends its Sessions calls (``None``: boto3's default).
    sessions: str | None


def endpoints(settings: Settings, *, local: bool) -> Endpoints:
    """Local stack: the stack's ports unless overridden. AWS: the region's public endpoints."""
    if local:
        return Endpoints(settings.sts_url, settings.dynamodb_url, settings.dynamodb_url)
    region = settings.region
    return Endpoints(
        settings.sts_endpoint or f"https://sts.{region}.amazonaws.com",
        settings.dynamodb_endpoint or f"https://dynamodb.{region}.amazonaws.com",
        settings.dynamodb_endpoint,
    )


def config_document(settings: Settings, where: Endpoints) -> dict[str, Any]:
    """The exact shape the page reads (docs/architecture.md, step 1)."""
    return {
        "region": settings.region,
        "roleArn": settings.user_role_arn,
        "stsEndpoint": where.sts,
        "dynamodbEndpoint": where.dynamodb,
        "issuer": settings.issuer,
        "providerKey": settings.provider_key,
        "sessionDurationSeconds": settings.session_duration_seconds,
        "tables": {t.logical: t.physical_name(settings) for t in TABLES},
    }
