"""The fuzz oracles' long settings, each against a stack of its own.

* default: as many Hypothesis-generated requests as asked for, by bob against alice's items,
  each judged against ``simulate`` (no 5xx, no leak, no change, well-formed AWS errors, the same
  decision). ``./dev test`` runs 2,000 of them (``tests/functional/dynamodb/test_fuzz_oracle.py``).
* ``--hostile N``: N requests of every DynamoDB operation generated from botocore's model with
  edge-case and wrong-typed values (``tests/functional/dynamodb/hostile.py``: numbers at their
  limits, unicode, NUL, bad base64, 32-level documents, 400 KB items, thousands of attributes,
  4 KB expressions, full batches, malformed JSON), sent by the admin so that validation and the
  engine answer: no 5xx, no traceback, an AWS error body. ``./dev test`` runs 150
  (``test_fuzz_hostile.py``), with the rows of what long runs found.

    python benchmarks/fuzz.py [--examples 20000] [--hostile 5000]

Prints the number of requests and how they were answered; exit code 0 when every request passed,
1 otherwise (pytest's report says which request and why).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=20000,
                        help="how many bob-against-alice requests to generate (default 20000; 0 skips them)")
    parser.add_argument("--hostile", type=int, default=0, metavar="N",
                        help="also run N model-generated hostile requests as the admin (default 0: none)")
    args = parser.parse_args()
    tests = []
    if args.examples:
        tests.append("tests/functional/dynamodb/test_fuzz_oracle.py")
    if args.hostile:
        tests.append("tests/functional/dynamodb/test_fuzz_hostile.py::test_generated_requests_never_reach_a_500")
    if not tests:
        parser.error("nothing to run: --examples 0 and no --hostile")
    env = {**os.environ, "WEBAPP_FUZZ_EXAMPLES": str(args.examples), "WEBAPP_HOSTILE_EXAMPLES": str(args.hostile)}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", *tests, "-q", "-s", "-p", "no:randomly", "-p", "no:cacheprovider",
         "--timeout=0"],
        cwd=ROOT, env=env,
    )
    return 0 if done.returncode == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
