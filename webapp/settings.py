"""One frozen ``Settings``, built once (from the environment and the command line) and handed to
every component. Configuration flows one way: nothing reads the environment after this.

The local stack listens on five consecutive ports, so that each service looks to an SDK exactly
like its AWS counterpart (every AWS endpoint is ``POST /`` on its own host):

    port       the host (the page, /config.json, /auth/*) and the dev identity provider at /idp
    port + 1   STS      (Query protocol, AssumeRoleWithWebIdentity)
    port + 2   DynamoDB (JSON 1.0 protocol, SigV4, IAM enforced)
    port + 3   IAM      (Query protocol, SigV4, for the admin tooling)
    port + 4   S3       (REST-XML, SigV4 with S3's payload modes, IAM enforced; table exports)
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

LOCAL_ACCOUNT_ID = "000000000000"
#: The highest host port: STS, DynamoDB, IAM and S3 take the next four, and 65535 is the last port.
MAX_PORT = 65535 - 4

#: The dev identity provider's issuer. AWS keys web-identity condition keys by the issuer URL
#: without ``https://`` (IAM UG, "Creating OIDC identity providers": https, no port), so this gives
#: unambiguous policy variables such as ``${idp.localhost/dev:sub}``. It is an identifier, not an
#: address: the browser reaches the provider at ``Settings.idp_url``.
DEV_ISSUER = "https://idp.localhost/dev"


class SettingsError(ValueError):
    """A ``WEBAPP_*`` value that cannot be used; the message is one line a person can act on."""


@dataclass(frozen=True)
class Settings:
    data_dir: Path = Path("data")
    #: Address the servers bind to, and the host name the browser uses to reach them.
    bind: str = "127.0.0.1"
    public_host: str = "localhost"
    port: int = 8000

    region: str = "us-east-1"
    account_id: str = LOCAL_ACCOUNT_ID

    issuer: str = DEV_ISSUER
    client_id: str = "webapp"
    #: Set when the host signs in against an external OpenID Connect provider instead of the dev one.
    oidc_metadata_url: str | None = None
    oidc_client_secret: str | None = None

    user_role_name: str = "WebUser"
    host_role_name: str = "WebHost"
    #: The role of the admin's static key (``<data>/admin-credentials``); the local IAM lets only it
    #: change roles and policies.
    admin_role_name: str = "Admin"
    #: The ``sub`` of each user who may open the host's admin pages (``/admin/capacity``).
    admins: tuple[str, ...] = ()
    table_prefix: str = ""
    #: The local S3 bucket for table exports, created at start and granted to the admin role
    #: (``python -m webapp export TABLE --to s3://<export_bucket>/PREFIX``).
    export_bucket: str = "webapp-exports"

    #: Endpoints; ``None`` means the local stack's own (derived from ``public_host`` and ``port``).
    sts_endpoint: str | None = None
    dynamodb_endpoint: str | None = None
    iam_endpoint: str | None = None
    s3_endpoint: str | None = None
    #: A DynamoDB-compatible upstream (AWS, DynamoDB Local, Alternator) instead of in-process moto,
    #: and the keys to sign for it (unset: botocore's default credential chain).
    backend_url: str | None = None
    backend_access_key_id: str | None = None
    backend_secret_access_key: str | None = None
    backend_session_token: str | None = None
    #: Throttling on demand: ``on`` (honour tables' provisioned capacity) and/or ``Table=RCU:WCU,...``
    #: (``webapp.backend.throttling.parse_throttle``); unset means off.
    throttle: str | None = None

    #: SigV4 replay window (security-anchors §6.3: 5 min; real DynamoDB tolerates 15).
    sigv4_skew_seconds: int = 300
    #: STS: grace past ``exp`` (IAM UG: "five minutes beyond the expiration time").
    token_exp_grace_seconds: int = 300
    #: STS: tokens whose ``iat`` is older are refused as "Token too old" (security-anchors §6.2).
    token_max_age_seconds: int = 24 * 3600
    #: Seconds the page's credentials last (AssumeRoleWithWebIdentity DurationSeconds).
    session_duration_seconds: int = 3600
    #: Lifetime of the ID token the host hands to the page.
    id_token_lifetime_seconds: int = 600
    #: Browser origins allowed by CORS on the STS and DynamoDB endpoints; empty means the host's.
    extra_allowed_origins: tuple[str, ...] = ()
    #: Secret for the host's session cookie; generated and kept in the data directory when unset.
    secret_key: str | None = None
    #: How long a signed-in host session (its refresh token in the Sessions table) lasts after
    #: sign-in, however often its ID token is refreshed.
    session_lifetime_seconds: int = 8 * 3600
    #: Proxies in front of the host whose ``X-Forwarded-Proto``/``-Host`` are trusted (gunicorn).
    proxy_hops: int = 0
    #: The page's files; ``None`` means the checkout's ``static/``.
    static_dir: Path | None = None
    #: How long a local table stays CREATING / UPDATING after CreateTable / UpdateTable (DynamoDB
    #: answers CREATING, then ACTIVE). 0 makes the next DescribeTable say ACTIVE, so SDK waiters
    #: return at once; a positive value exercises clients' wait loops (webapp.backend.lifecycle).
    table_status_seconds: float = 0.0

    # Derived addresses -------------------------------------------------------------------

    @property
    def host_url(self) -> str:
        return f"http://{self.public_host}:{self.port}"

    @property
    def idp_url(self) -> str:
        return f"{self.host_url}/idp"

    @property
    def sts_url(self) -> str:
        return self.sts_endpoint or f"http://{self.public_host}:{self.port + 1}"

    @property
    def dynamodb_url(self) -> str:
        return self.dynamodb_endpoint or f"http://{self.public_host}:{self.port + 2}"

    @property
    def iam_url(self) -> str:
        return self.iam_endpoint or f"http://{self.public_host}:{self.port + 3}"

    @property
    def s3_url(self) -> str:
        return self.s3_endpoint or f"http://{self.public_host}:{self.port + 4}"

    @property
    def sts_port(self) -> int:
        return self.port + 1

    @property
    def dynamodb_port(self) -> int:
        return self.port + 2

    @property
    def iam_port(self) -> int:
        return self.port + 3

    @property
    def s3_port(self) -> int:
        return self.port + 4

    @property
    def allowed_origins(self) -> tuple[str, ...]:
        own = (self.host_url, f"http://127.0.0.1:{self.port}")
        return own + tuple(o for o in self.extra_allowed_origins if o not in own)

    @property
    def provider_key(self) -> str:
        """The issuer as IAM names it in condition keys: no scheme (``idp.localhost/dev``)."""
        return self.issuer.split("://", 1)[-1].rstrip("/")

    @property
    def oidc_provider_arn(self) -> str:
        return f"arn:aws:iam::{self.account_id}:oidc-provider/{self.provider_key}"

    @property
    def user_role_arn(self) -> str:
        return f"arn:aws:iam::{self.account_id}:role/{self.user_role_name}"

    @property
    def host_role_arn(self) -> str:
        return f"arn:aws:iam::{self.account_id}:role/{self.host_role_name}"

    @property
    def admin_role_arn(self) -> str:
        return f"arn:aws:iam::{self.account_id}:role/{self.admin_role_name}"

    def table_name(self, logical: str) -> str:
        """Physical table name of a logical one (``photos`` -> ``Photos``, with the prefix)."""
        return self.table_prefix + logical[0].upper() + logical[1:]

    def with_(self, **changes: Any) -> Settings:
        return replace(self, **changes)

    # Construction ------------------------------------------------------------------------

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Settings from ``WEBAPP_*`` environment variables, then explicit overrides. The only
        reader of the environment: a value that cannot be used is a ``SettingsError``."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for name, kind in _ENV_FIELDS.items():
            variable = f"WEBAPP_{name.upper()}"
            raw = env.get(variable)
            if raw is None or raw == "":
                continue
            if kind is int:
                try:
                    values[name] = int(raw)
                except ValueError:
                    raise SettingsError(f"{variable} must be a whole number, not {raw[:40]!r}") from None
            elif kind is float:
                try:
                    values[name] = float(raw)
                except ValueError:
                    raise SettingsError(f"{variable} must be a number of seconds, not {raw[:40]!r}") from None
            elif kind is Path:
                values[name] = Path(raw)
            elif kind is tuple:
                values[name] = tuple(o.strip() for o in raw.split(",") if o.strip())
            else:
                values[name] = raw
        values.update({k: v for k, v in overrides.items() if v is not None})
        port = values.get("port", cls.port)
        if not 1 <= port <= MAX_PORT:
            # the host and the next four ports must all exist: 65536 would wrap to 0 silently
            raise SettingsError(f"the port (--port or WEBAPP_PORT) must be 1 to {MAX_PORT}, so that it and the "
                                f"next four are ports, not {port}")
        duration = values.get("session_duration_seconds", cls.session_duration_seconds)
        if not 900 <= duration <= 43200:
            # STS refuses any other DurationSeconds (AssumeRoleWithWebIdentity: 900 to 43200), so the
            # page would never get credentials: say so at start instead.
            raise SettingsError(f"WEBAPP_SESSION_DURATION_SECONDS must be 900 to 43200 (STS's range), not {duration}")
        return cls(**values)


_ENV_FIELDS: dict[str, type] = {
    "data_dir": Path,
    "bind": str,
    "public_host": str,
    "port": int,
    "region": str,
    "account_id": str,
    "issuer": str,
    "client_id": str,
    "oidc_metadata_url": str,
    "oidc_client_secret": str,
    "user_role_name": str,
    "host_role_name": str,
    "admin_role_name": str,
    "admins": tuple,
    "table_prefix": str,
    "export_bucket": str,
    "sts_endpoint": str,
    "dynamodb_endpoint": str,
    "iam_endpoint": str,
    "s3_endpoint": str,
    "backend_url": str,
    "backend_access_key_id": str,
    "backend_secret_access_key": str,
    "backend_session_token": str,
    "throttle": str,
    "sigv4_skew_seconds": int,
    "token_exp_grace_seconds": int,
    "token_max_age_seconds": int,
    "session_duration_seconds": int,
    "id_token_lifetime_seconds": int,
    "extra_allowed_origins": tuple,
    "secret_key": str,
    "session_lifetime_seconds": int,
    "proxy_hops": int,
    "static_dir": Path,
    "table_status_seconds": float,
}
