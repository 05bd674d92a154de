"""``render``: print the policy documents the templates give for a deployment."""

from __future__ import annotations

import argparse
import json

from iam_policies.cli.params import add_deployment_arguments, deployment_params
from iam_policies.deployment import desired_state
from iam_policies.render import TemplateError


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("role", nargs="?", help="only this role (default: all)")
    add_deployment_arguments(parser)


def run(args: argparse.Namespace) -> int:
    try:
        state = desired_state(deployment_params(args))
    except TemplateError as exc:
        print(f"error: {exc}")
        return 2
    roles = [r for r in state.roles if args.role in (None, r.name)]
    if not roles:
        print(f"error: no role {args.role!r}; roles: {', '.join(r.name for r in state.roles)}")
        return 2
    out = {r.name: {"trust": r.trust, "policies": r.policies, "maxSessionDuration": r.max_session_duration}
           for r in roles}
    print(json.dumps(out, indent=2))
    return 0
