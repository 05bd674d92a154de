"""The fuzz oracle's long setting: as many Hypothesis-generated requests as asked for, by bob
against alice's items on a stack of its own, each judged against ``simulate`` (no 5xx, no leak,
no change, well-formed AWS errors, the same decision). ``./dev test`` runs 2,000 of them
(``tests/functional/dynamodb/test_fuzz_oracle.py``); this script runs the same test with more.

    python benchmarks/fuzz.py [--examples 20000]

Prints the number of requests and how they were decided and answered; exit code 0 when every
request passed the oracle, 1 otherwise (pytest's report says which request and why).
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
    parser.add_argument("--examples", type=int, default=20000, help="how many requests to generate (default 20000)")
    args = parser.parse_args()
    env = {**os.environ, "WEBAPP_FUZZ_EXAMPLES": str(args.examples)}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "tests/functional/dynamodb/test_fuzz_oracle.py", "-q", "-s", "-p", "no:randomly",
         "-p", "no:cacheprovider", "--timeout=0"],
        cwd=ROOT, env=env,
    )
    return 0 if done.returncode == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
