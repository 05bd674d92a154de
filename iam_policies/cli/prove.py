"""``prove``: does a policy allow anything its intent (docs/intent.md) does not?

``python -m iam_policies prove --intent INTENT POLICY [--session-policy FILE] [--format text|json]``

INTENT and POLICY are JSON files, or the name of a shipped intent / template (``user-role``),
rendered for the deployment the deployment options describe (the local stack by default).
Exit codes: 0 the policy holds to the intent, 1 a counterexample was found (each one is a case
``simulate`` decides Allow), 2 bad input (one line saying what to fix).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from iam_policies.cli import fail_line
from iam_policies.cli.params import add_deployment_arguments, deployment_params
from iam_policies.intent import IntentError, load_intent
from iam_policies.prove import Proof, ProveError, prove
from iam_policies.render import TemplateError, Value, placeholders_in, render, render_value, template_names


def configure(parser: argparse.ArgumentParser) -> None:
    parser.epilog = ("exit codes: 0 the policy holds to the intent, 1 a counterexample was found, 2 bad input. "
                     "Intent format and what prove cannot decide: docs/intent.md")
    parser.add_argument("policy", metavar="POLICY",
                        help="the identity policy: a JSON file, or a template name (e.g. user-role)")
    parser.add_argument("--intent", required=True, metavar="INTENT",
                        help="what the policy is meant to allow (docs/intent.md): a JSON file, or a shipped "
                             "intent's name (e.g. user-role)")
    parser.add_argument("--session-policy", metavar="FILE",
                        help="a session policy (JSON file) the caller passes to AssumeRoleWithWebIdentity")
    parser.add_argument("--format", choices=["text", "json"], default="text",
                        help="text for people (default), json: {holds, counterexamples, unreachable, ...}")
    parser.add_argument("--limit", type=_at_least_one, default=1, metavar="N",
                        help="counterexamples kept per operation and kind of violation (default 1)")
    add_deployment_arguments(parser)


def run(args: argparse.Namespace) -> int:
    try:
        params = deployment_params(args).template_params()
        intent = load_intent(Path(args.intent) if Path(args.intent).exists() else args.intent, params)
        policy = _document(args.policy, params, "POLICY")
        session = _document(args.session_policy, params, "--session-policy") if args.session_policy else None
        proof = prove(intent, policy, session, limit=args.limit)
    except (IntentError, ProveError, TemplateError) as exc:
        fail_line(f"{exc}")
        return 2
    if args.format == "json":
        print(json.dumps(proof.to_dict(), indent=2))
    else:
        print(render_text(proof))
    return 0 if proof.holds else 1


def _document(source: str, params: dict[str, Value], what: str) -> Any:
    path = Path(source)
    if not path.exists() and source in template_names():
        return render(source, params)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        known = ", ".join(template_names())
        raise ProveError(f"{what}: cannot read {source}: {exc.strerror} (nor is it a template: {known})") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise ProveError(f"{what}: {source} is not valid JSON: {exc}") from None
    if placeholders_in(document):  # a template file: render it like the shipped ones
        document = render_value(document, params, name=source)
    return document


def render_text(proof: Proof) -> str:
    lines: list[str] = []
    for example in proof.counterexamples:
        request = example.case["request"]
        lines.append(f"{example.case['id']}: {request['operation']} is allowed and {'; '.join(example.violates)}")
        lines.append(f"    api_params: {json.dumps(request['api_params'])}")
    for entry in proof.unreplayable:
        lines.append(f"{entry['action']} on {entry['resource']} is allowed and {'; '.join(entry['violates'])} "
                     "(no API request simulate can replay; decided on the action and resource)")
    for warning in proof.unreachable:
        lines.append(f"warning: unreachable: {warning}")
    for note in proof.notes:
        lines.append(f"note: {note}")
    found = len(proof.counterexamples) + len(proof.unreplayable)
    verdict = "holds" if proof.holds else f"does NOT hold: {found} counterexample(s)"
    if proof.more:
        verdict += f" (and {proof.more} more requests like them)"
    lines.append(f"{proof.requests} requests decided; the policy {verdict}")
    if not proof.holds:
        lines.append("replay one: python -m iam_policies prove ... --format json, then feed a counterexample to simulate")
    return "\n".join(lines)


def _at_least_one(text: str) -> int:
    """``--limit``: a whole number of at least 1 (argparse turns the ValueError into one line)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"a whole number, not {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value
