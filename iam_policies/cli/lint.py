"""``lint``: findings about policy documents (files, or the rendered templates)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from iam_policies.cli.params import add_deployment_arguments, deployment_params
from iam_policies.deployment import desired_state
from iam_policies.lint import Finding, lint


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="*", type=Path,
                        help="policy documents (JSON); none: lint the rendered templates")
    parser.add_argument("--kind", choices=["identity", "session", "trust", "resource"], default=None,
                        help="what the files are (default: identity, or trust when Principal is used)")
    parser.add_argument("--format", choices=["text", "json"], default="text", help="output format (default text)")
    add_deployment_arguments(parser)


def run(args: argparse.Namespace) -> int:
    findings: list[Finding] = []
    if args.files:
        for path in args.files:
            try:
                text = path.read_text()
            except OSError as exc:
                print(f"error: cannot read {path}: {exc.strerror}", file=sys.stderr)
                return 2
            kind = args.kind or ("trust" if '"Principal"' in text else "identity")
            findings += lint(text, kind=kind, source=str(path))
    else:
        for role in desired_state(deployment_params(args)).roles:
            findings += lint(dict(role.trust), kind="trust", source=f"{role.name}/trust")
            for name, document in role.policies.items():
                findings += lint(dict(document), source=f"{role.name}/{name}")
    if args.format == "json":
        print(json.dumps([f.as_dict() for f in findings], indent=2))
    else:
        for finding in findings:
            print(finding)
        print(f"{len(findings)} finding(s)" if findings else "no findings")
    return 1 if any(f.severity.value == "error" for f in findings) else 0
