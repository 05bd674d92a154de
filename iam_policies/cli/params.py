"""Command-line parameters that describe a deployment (shared by render, lint, verify, plan, apply)."""

from __future__ import annotations

import argparse
import os
import re

from iam_policies.cli import CommandError
from iam_policies.deployment import DeploymentParams
from iam_policies.issuers import issuer_problem

_THUMBPRINT = re.compile(r"[0-9A-Fa-f]{40}")
#: IAM's account ids are 12 digits (IAM UG, "Your AWS account ID and its alias").
_ACCOUNT = re.compile(r"[0-9]{12}")
PARTITIONS = ("aws", "aws-cn", "aws-us-gov")


def add_deployment_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("deployment (defaults: the local stack)")
    group.add_argument("--account", default=os.environ.get("IAM_POLICIES_ACCOUNT", "000000000000"),
                       help="AWS account id (default: IAM_POLICIES_ACCOUNT or 000000000000, the local stack's)")
    group.add_argument("--region", default=os.environ.get("AWS_DEFAULT_REGION", "us-east-1"),
                       help="AWS region of the tables (default: AWS_DEFAULT_REGION or us-east-1)")
    group.add_argument("--partition", default="aws",
                       help="AWS partition of the ARNs: aws, aws-cn or aws-us-gov (default aws)")
    group.add_argument("--issuer", default="https://idp.localhost/dev",
                       help="the OpenID Connect issuer URL, https://host/path (default: the local dev provider; "
                            "with --endpoint-url also a loopback http://localhost:PORT/path)")
    group.add_argument("--client-id", action="append", dest="client_ids", metavar="CLIENT_ID",
                       help="an OAuth client id (audience) the user role trusts; repeat for several "
                            "(default webapp)")
    group.add_argument("--thumbprint", action="append", dest="thumbprints", metavar="SHA1_HEX",
                       help="a server-certificate thumbprint of the provider (40 hex digits); repeat for "
                            "several; none given: thumbprints are left as IAM has them")
    group.add_argument("--table-prefix", default="",
                       help="prefix of the physical table names, as WEBAPP_TABLE_PREFIX (default none)")
    group.add_argument("--user-role", default="WebUser",
                       help="name of the role the browser assumes with the user's ID token (default WebUser)")
    group.add_argument("--host-role", default="WebHost",
                       help="name of the host's own role, which reaches the Sessions table (default WebHost)")
    group.add_argument("--admin-role", default="Admin", help="the admin role to manage too; '' for none (default Admin)")
    group.add_argument("--max-session-duration", type=int, default=3600, metavar="SECONDS",
                       help="longest session the user role allows, 3600-43200 seconds (default 3600)")


def deployment_params(args: argparse.Namespace) -> DeploymentParams:
    """The deployment the arguments describe; bad values raise ``CommandError`` saying what to fix."""
    # A loopback http issuer (http://localhost:8080/realms/x) is the local stack's exception, so
    # it is accepted only against the local stack's IAM (--endpoint-url), never against AWS.
    problem = issuer_problem(args.issuer, allow_loopback=bool(getattr(args, "endpoint_url", None)))
    if problem is not None:
        raise CommandError(f"--issuer {args.issuer!r}: {problem}")
    if not _ACCOUNT.fullmatch(args.account):
        raise CommandError(f"--account must be the 12 digits of an AWS account id, got {args.account!r}")
    if args.partition not in PARTITIONS:
        raise CommandError(f"--partition must be one of {', '.join(PARTITIONS)}, got {args.partition!r}")
    if not 3600 <= args.max_session_duration <= 43200:
        raise CommandError(f"--max-session-duration must be 3600 to 43200 seconds (IAM's range), "
                         f"got {args.max_session_duration}")
    thumbprints = tuple(args.thumbprints or ())
    for thumbprint in thumbprints:
        if not _THUMBPRINT.fullmatch(thumbprint):
            raise CommandError(f"--thumbprint must be 40 hexadecimal digits (a SHA-1), got {thumbprint!r}")
    return DeploymentParams(
        account=args.account, region=args.region, partition=args.partition, issuer=args.issuer,
        client_ids=tuple(dict.fromkeys(args.client_ids or ["webapp"])), user_role=args.user_role,
        host_role=args.host_role, admin_role=args.admin_role or None, table_prefix=args.table_prefix,
        max_session_duration=args.max_session_duration,
        thumbprints=tuple(t.lower() for t in thumbprints),
    )
