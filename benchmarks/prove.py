"""Benchmark of ``prove``: the whole web-user role against its shipped intent.

Run: ``python3 benchmarks/prove.py [--runs N]`` (default 5). Prints the median wall-clock and CPU
time of ``prove(intent, policy)`` for the rendered ``user-role`` template and
``iam_policies/intents/user-role.json`` (every class of request, each a real derive + evaluate),
beside the same for the template as it was before issue 9 (which has a counterexample), and the
number of requests decided. Target (issue 9): at most 10 s median on the project's 2-core machine.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from iam_policies.deployment import DeploymentParams  # noqa: E402
from iam_policies.intent import load_intent  # noqa: E402
from iam_policies.prove import prove  # noqa: E402
from iam_policies.render import render, render_value  # noqa: E402

BEFORE = ROOT / "tests" / "unit" / "iam_policies" / "prove" / "user-role-before-issue-9.json"
TARGET_SECONDS = 10.0


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per policy (median reported; default 5)")
    args = parser.parse_args()
    params = DeploymentParams(account="000000000000").template_params()
    intent = load_intent("user-role", params)
    policies = {
        "user-role (shipped)": render("user-role", params),
        "user-role before issue 9": render_value(json.loads(BEFORE.read_text()), params, name="before"),
    }
    print(f"{'policy':28} {'holds':>6} {'requests':>9} {'wall median':>12} {'cpu median':>11}")
    worst = 0.0
    for name, policy in policies.items():
        walls, cpus = [], []
        for _ in range(max(1, args.runs)):
            wall, cpu = time.perf_counter(), time.process_time()
            proof = prove(intent, policy)
            walls.append(time.perf_counter() - wall)
            cpus.append(time.process_time() - cpu)
        wall_median = statistics.median(walls)
        worst = max(worst, wall_median)
        print(f"{name:28} {str(proof.holds):>6} {proof.requests:>9} {wall_median:>11.2f}s {statistics.median(cpus):>10.2f}s")
    print(f"target: <= {TARGET_SECONDS:.0f} s median per proof: {'met' if worst <= TARGET_SECONDS else 'NOT met'}")
    return 0 if worst <= TARGET_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
