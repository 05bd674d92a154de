"""``verify``: run scenarios (the shipped ones by default) against the rendered templates."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from iam_policies.cli import fail_line
from iam_policies.cli.params import add_deployment_arguments, deployment_params
from iam_policies.cli.simulate import report
from iam_policies.simulation import CaseError
from iam_policies.verify import shipped_scenarios, verify


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("scenarios", nargs="?", type=Path,
                        help="scenario file (case format; policies may be {\"template\": NAME}; - reads standard "
                             "input); default: the app's")
    parser.add_argument("--format", choices=["text", "json"], default="text", help="output format (default text)")
    add_deployment_arguments(parser)


def run(args: argparse.Namespace) -> int:
    try:
        if args.scenarios is None:
            text = shipped_scenarios()
        elif str(args.scenarios) == "-":  # as simulate: - reads standard input
            text = sys.stdin.read()
        else:
            text = args.scenarios.read_text()
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:  # name the file, as simulate and lint do
            raise ValueError(f"{args.scenarios or 'the shipped scenarios'} is not valid JSON: {exc}") from None
        cases = data if isinstance(data, list) else [data]
        outcomes = verify(cases, deployment_params(args))
    except OSError as exc:
        fail_line(f"cannot read {args.scenarios}: {exc.strerror}")
        return 2
    except (ValueError, CaseError) as exc:
        fail_line(f"{exc}")
        return 2
    return report(outcomes, args.format)
