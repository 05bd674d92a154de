"""``lint``: findings about policy documents (files, or the rendered templates).

With ``--intent FILE`` (the intent format of ``docs/intent.md``, rendered for the deployment
options like the templates) lint also reports what contradicts the intent, such as UpdateItem
where the intent allows no create (FGAC009 as an error). Without it, UpdateItem is reported as
creating items: a warning on partitions matched by patterns, an info on the caller's own.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from iam_policies.cli import CommandError, fail_line
from iam_policies.cli.params import add_deployment_arguments, deployment_params
from iam_policies.deployment import desired_state
from iam_policies.lint import Finding, lint


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="*", type=Path,
                        help="policy documents (JSON); none: lint the rendered templates")
    parser.add_argument("--kind", choices=["identity", "session", "trust", "resource"], default=None,
                        help="what the files are (default: identity, or trust when Principal is used)")
    parser.add_argument("--intent", metavar="INTENT.json",
                        help="what the policies are meant to allow (docs/intent.md, a file or a shipped "
                             "intent's name); adds the findings that contradict it. Without FILES it applies to "
                             "the user role's policies")
    parser.add_argument("--format", choices=["text", "json"], default="text", help="output format (default text)")
    add_deployment_arguments(parser)


def run(args: argparse.Namespace) -> int:
    findings: list[Finding] = []
    intent = None
    if args.intent:
        from iam_policies.intent import IntentError, load_intent

        try:
            intent = load_intent(args.intent, deployment_params(args).template_params())
        except IntentError as exc:
            raise CommandError(str(exc)) from None
    if args.files:
        for path in args.files:
            try:
                text = path.read_text()
            except OSError as exc:
                fail_line(f"cannot read {path}: {exc.strerror}")
                return 2
            kind = args.kind or ("trust" if '"Principal"' in text else "identity")
            findings += lint(text, kind=kind, source=str(path), intent=intent)
    else:
        params = deployment_params(args)
        for role in desired_state(params).roles:
            findings += lint(dict(role.trust), kind="trust", source=f"{role.name}/trust")
            for name, document in role.policies.items():
                findings += lint(dict(document), source=f"{role.name}/{name}",
                                 intent=intent if role.name == params.user_role else None)
    if args.format == "json":
        print(json.dumps([f.as_dict() for f in findings], indent=2))
    else:
        for finding in findings:
            print(finding)
        print(f"{len(findings)} finding(s)" if findings else "no findings")
    return 1 if any(f.severity.value == "error" for f in findings) else 0
