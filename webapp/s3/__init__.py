"""The local S3 endpoint: S3's REST API over HTTP, SigV4 verified (S3's rules, ``aws-chunked``
bodies included), IAM enforced, moto's S3 behind, persisted under ``<data>/s3``.

``create_s3_app`` is the composition the stack serves on port P+4: the gateway (``gateway``:
the steps every request walks) in front of moto (``engine``) and the files (``storage``). The
table jobs use it for ``export --to s3://`` and ``import s3://`` exactly as they use S3 on AWS.
"""

from __future__ import annotations

from webapp.audit import Audit
from webapp.authorize import PolicyStore
from webapp.clock import Clock
from webapp.credentials import CredentialAuthority
from webapp.s3.engine import MotoS3
from webapp.s3.gateway import S3Gateway
from webapp.s3.storage import DiskStore
from webapp.settings import Settings


def create_s3_app(settings: Settings, registry: PolicyStore, credentials: CredentialAuthority,
                  audit: Audit | None, clock: Clock) -> S3Gateway:
    """The WSGI app of the S3 endpoint, its objects loaded from ``<data>/s3``, with the export
    bucket (``Settings.export_bucket``) created if it is not there yet."""
    engine = MotoS3(DiskStore(settings.data_dir / "s3"), settings.region, settings.account_id)
    engine.ensure_bucket(settings.export_bucket)
    return S3Gateway(settings, registry, credentials, engine, audit, clock)


__all__ = ["create_s3_app"]
