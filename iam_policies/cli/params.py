"""Command-line parameters that describe a deployment (shared by render, lint, plan, apply)."""

from __future__ import annotations

import argparse
import os

from iam_policies.deployment import DeploymentParams
from iam_policies.issuers import issuer_problem


def add_deployment_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("deployment (defaults: the local stack)")
    group.add_argument("--account", default=os.environ.get("IAM_POLICIES_ACCOUNT", "000000000000"),
                       help="AWS account id (default 000000000000, the local stack's)")
    group.add_argument("--region", default=os.environ.get("AWS_DEFAULT_REGION", "us-east-1"))
    group.add_argument("--partition", default="aws")
    group.add_argument("--issuer", default="https://idp.localhost/dev",
                       help="the OpenID Connect issuer URL (https://host/path; with --endpoint-url also a loopback http://localhost:PORT/path)")
    group.add_argument("--client-id", action="append", dest="client_ids",
                       help="an OAuth client id (audience) of the app; repeat for several (default webapp)")
    group.add_argument("--table-prefix", default="")
    group.add_argument("--user-role", default="WebUser")
    group.add_argument("--host-role", default="WebHost")
    group.add_argument("--admin-role", default="Admin", help="the admin role to manage too; '' for none")
    group.add_argument("--max-session-duration", type=int, default=3600)


def deployment_params(args: argparse.Namespace) -> DeploymentParams:
    # A loopback http issuer (http://localhost:8080/realms/x) is the local stack's exception, so
    # it is accepted only against the local stack's IAM (--endpoint-url), never against AWS.
    problem = issuer_problem(args.issuer, allow_loopback=bool(getattr(args, "endpoint_url", None)))
    if problem is not None:
        raise SystemExit(f"--issuer {args.issuer!r}: {problem}")
    return DeploymentParams(
        account=args.account, region=args.region, partition=args.partition, issuer=args.issuer,
        client_ids=tuple(args.client_ids or ["webapp"]), user_role=args.user_role,
        host_role=args.host_role, admin_role=args.admin_role or None, table_prefix=args.table_prefix,
        max_session_duration=args.max_session_duration,
    )
