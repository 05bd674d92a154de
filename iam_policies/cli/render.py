"""``render``: print the policy documents the templates give for a deployment, or the whole
deployment as a CloudFormation template (``--format cloudformation``, ``iam_policies.cloudformation``)."""

from __future__ import annotations

import argparse
import json

from iam_policies.cli import CommandError
from iam_policies.cli.params import add_deployment_arguments, deployment_params
from iam_policies.deployment import desired_state


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("role", nargs="?", help="only this role (default: all); not with --format cloudformation")
    parser.add_argument("--format", choices=["json", "cloudformation"], default="json",
                        help="json: each role's trust, policies and MaxSessionDuration (default); "
                             "cloudformation: a template with the provider, roles and tables")
    add_deployment_arguments(parser)


def run(args: argparse.Namespace) -> int:
    params = deployment_params(args)
    state = desired_state(params)
    if args.format == "cloudformation":
        from iam_policies.cloudformation import cloudformation_template

        if args.role:
            raise CommandError("--format cloudformation renders the whole deployment; drop the role name")
        print(json.dumps(cloudformation_template(state, params.provider_arn), indent=2))
        return 0
    roles = [r for r in state.roles if args.role in (None, r.name)]
    if not roles:
        raise CommandError(f"no role {args.role!r}; roles: {', '.join(r.name for r in state.roles)}")
    out = {r.name: {"trust": r.trust, "policies": r.policies, "maxSessionDuration": r.max_session_duration}
           for r in roles}
    print(json.dumps(out, indent=2))
    return 0
