"""The local stack: the host and the local AWS, in one process (``python -m webapp serve``,
``webapp/cli/serve.py``).

This is the only composition root: it builds every component from one ``Settings`` and hands each
what it needs. Five threaded WSGI servers listen on consecutive ports (see ``webapp.settings``).
"""

from __future__ import annotations

import os
import sys
import threading
from dataclasses import dataclass, field
from typing import Any

from iam_policies.issuers import is_loopback, issuer_problem
from webapp.clock import Clock, system_clock
from webapp.credentials import CredentialAuthority
from webapp.files import write_private_if_changed
from webapp.serving import Server, tune_for_serving
from webapp.settings import Settings


@dataclass
class LocalStack:
    """The running local stack: its components and servers."""

    settings: Settings
    clock: Clock = system_clock
    servers: list[Server] = field(default_factory=list)
    components: dict[str, Any] = field(default_factory=dict)

    def start(self) -> LocalStack:
        s = self.settings
        s.data_dir.mkdir(parents=True, exist_ok=True)
        from webapp.audit import AuditLog
        from webapp.backend import open_backend
        from webapp.dynamodb import create_dynamodb_app
        from webapp.host import create_app
        from webapp.host.admin import local_watch
        from webapp.iam import create_iam_app
        from webapp.iam.registry import IamRegistry
        from webapp.idp import IdentityProvider, create_idp_blueprint
        from webapp.s3 import create_s3_app
        from webapp.sts import create_sts_app
        from webapp.sts.discovery import provider_jwks
        from webapp.tables import ensure_tables

        credentials = CredentialAuthority.open(s.data_dir, self.clock)
        idp = IdentityProvider.open(s, self.clock)
        registry = IamRegistry.open(s, self.clock)
        backend = open_backend(s, self.clock)
        audit = AuditLog(s.data_dir / "audit.jsonl")
        ensure_tables(backend, s)
        from webapp.demo import SeedingThrottled, seed_demo_profiles

        try:
            seed_demo_profiles(backend, s, idp.demo_profiles())
        except SeedingThrottled as throttled:
            print(f"warning: {throttled}", file=sys.stderr, flush=True)

        host_key = credentials.ensure_service_key(s.host_role_arn, "host")
        admin_key = credentials.ensure_service_key(
            s.admin_role_arn, "admin"
        )
        credentials.save_service_keys(s.data_dir)
        _write_admin_profile(s, admin_key.access_key_id, admin_key.secret_access_key)
        _write_admin_config(s)

        jwks_for = provider_jwks(None if s.oidc_metadata_url else s.issuer, idp.jwks)

        host_settings = s.with_(oidc_client_secret=s.oidc_client_secret or idp.client_secret(s.client_id))
        host_app = create_app(
            host_settings,
            idp_blueprint=create_idp_blueprint(idp),
            credentials=(host_key.access_key_id, host_key.secret_access_key),
            watch=None if s.backend_url else local_watch(
                f"http://{_loopback_or(s.bind)}:{s.dynamodb_port}", admin_key.access_key_id,
                admin_key.secret_access_key, s.region),
        )
        apps: list[tuple[str, int, Any]] = [
            ("host", s.port, host_app),
            ("sts", s.sts_port, create_sts_app(s, registry, credentials, jwks_for, self.clock, audit=audit.record)),
            ("dynamodb", s.dynamodb_port, create_dynamodb_app(s, registry, credentials, backend, audit.record, self.clock)),
            ("iam", s.iam_port, create_iam_app(s, registry, credentials, self.clock, audit=audit.record)),
            ("s3", s.s3_port, create_s3_app(s, registry, credentials, audit.record, self.clock)),
        ]
        self.components = {
            "credentials": credentials, "idp": idp, "registry": registry,
            "backend": backend, "audit": audit,
        }
        try:
            for name, port, app in apps:
                self.servers.append(Server(app, s.bind, port, threads=16, name=name))
        except OSError:
            self.stop()
            raise
        for server in self.servers:
            server.start()
        tune_for_serving()
        _write_discovery(s)
        return self

    def stop(self) -> None:
        from iam_policies.local_stack import remove_discovery

        if self.servers:
            remove_discovery(self.settings.data_dir, os.getpid())
        # All five at once: each ``Server.stop`` waits for its serving thread's poll to time out
        # (up to a second, ``webapp/serving.py``), so one after another a SIGTERM took ~4 s
        # (``benchmarks/restart.py``). The backend closes once every server has stopped.
        stopping = [threading.Thread(target=server.stop, name=f"stop {server.name}") for server in self.servers]
        for thread in stopping:
            thread.start()
        for thread in stopping:
            thread.join()
        for name in ("backend", "audit"):
            component = self.components.get(name)
            if component is not None:
                component.close()

    def banner(self) -> str:
        s = self.settings
        if s.oidc_metadata_url:
            signin = [f"  Sign in with:  {s.issuer} (client {s.client_id}; discovery {s.oidc_metadata_url})"]
            if is_loopback(s.issuer) and issuer_problem(s.issuer, allow_loopback=False) is not None:
                signin.append("                 a loopback issuer over http or with a port: accepted by this local "
                              "stack only, AWS requires https:// without a port")
        else:
            users = self.components["idp"].users.names() if "idp" in self.components else []
            signin = [f"  Sign in as:    {', '.join(users)} (the dev identity provider needs no password)"]
        return "\n".join([
            "Local stack ready.",
            f"  Open the app:  {s.host_url}/",
            *signin,
            f"  STS:           {s.sts_url}",
            f"  DynamoDB:      {s.dynamodb_url}",
            f"  IAM:           {s.iam_url}",
            f"  S3:            {s.s3_url}  (path-style; table exports: python -m webapp export TABLE --to s3://BUCKET/PREFIX)",
            f"  Data:          {s.data_dir.resolve()}",
            f"  Admin profile: AWS_SHARED_CREDENTIALS_FILE={s.data_dir.resolve() / 'admin-credentials'}",
            f"                 AWS_CONFIG_FILE={s.data_dir.resolve() / 'admin-config'} (every endpoint; no --endpoint-url needed)",
            "Press Ctrl-C to stop.",
        ])


def _write_admin_profile(settings: Settings, access_key_id: str, secret: str) -> None:
    """An AWS shared-credentials file, so that boto3 and the admin tooling reach the local stack."""
    path = settings.data_dir / "admin-credentials"
    text = (
        "[default]\n"
        f"aws_access_key_id = {access_key_id}\n"
        f"aws_secret_access_key = {secret}\n"
        f"region = {settings.region}\n"
    )
    write_private_if_changed(path, text.encode())  # unchanged on a restart: not rewritten


def _write_admin_config(settings: Settings) -> None:
    """An AWS config file naming this stack's endpoints, so any SDK or the AWS CLI reaches it with
    ``AWS_CONFIG_FILE`` alone (AWS SDKs and Tools Reference Guide, "Service-specific endpoints":
    a profile's ``services`` section with each service's ``endpoint_url``); S3 path-style, since
    ``bucket.localhost`` needs DNS."""
    services = {"sts": settings.sts_url, "dynamodb": settings.dynamodb_url, "iam": settings.iam_url,
                "s3": settings.s3_url}
    text = (
        "[default]\n"
        f"region = {settings.region}\n"
        "services = webapp-local-stack\n"
        "s3 =\n  addressing_style = path\n\n"
        "[services webapp-local-stack]\n"
        + "".join(f"{name} =\n  endpoint_url = {url}\n" for name, url in services.items())
    )
    write_private_if_changed(settings.data_dir / "admin-config", text.encode())


def _write_discovery(settings: Settings) -> None:
    """``<data>/stack.json``: how the admin commands find this running stack
    (``iam_policies.local_stack``)."""
    from iam_policies.local_stack import ADMIN_PROFILE, StackInfo, write_discovery

    write_discovery(StackInfo(
        settings.data_dir, os.getpid(), settings.region, settings.account_id,
        {"host": settings.host_url, "sts": settings.sts_url, "dynamodb": settings.dynamodb_url,
         "iam": settings.iam_url, "s3": settings.s3_url},
        (settings.data_dir / ADMIN_PROFILE).resolve(), settings.table_prefix,
    ))


def _loopback_or(bind: str) -> str:
    """Where this process reaches its own servers: the bound address, or loopback for "any"."""
    return "127.0.0.1" if bind in ("", "0.0.0.0", "::") else bind
