"""The fuzz oracle in every run: Hypothesis-generated requests of every data-plane operation (and
a few control-plane ones) by bob against alice's items, each judged by ``oracle.Oracle``: no 5xx,
well-formed AWS errors, the endpoint's decision equal to ``simulate``'s, no leak, no change.

``WEBAPP_FUZZ_EXAMPLES`` sets how many requests (2,000 by default, under a minute on two cores);
``python benchmarks/fuzz.py --examples 20000`` runs the long setting against a stack of its own.
"""

from __future__ import annotations

import os
from typing import Any

from hypothesis import HealthCheck, given, settings

from tests.functional.dynamodb.conftest import Fgac
from tests.functional.dynamodb.oracle import Oracle, requests

EXAMPLES = int(os.environ.get("WEBAPP_FUZZ_EXAMPLES", "2000"))


def test_bob_against_alices_items_agrees_with_simulate_and_leaks_nothing(private_fgac: Fgac) -> None:
    # its own tables: it seeds items (alice's n2) that the shared F-base world's tests do not expect
    fgac = private_fgac
    oracle = Oracle(fgac)

    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(request=requests(oracle))
    def one(request: tuple[str, dict[str, Any]]) -> None:
        oracle.check(*request)

    one()
    oracle.finish()
    seen = oracle.verdicts
    print(f"\nfuzz oracle: {seen.requests} requests, decisions {dict(seen.decisions)}, answers {dict(seen.codes)}")
    assert seen.requests >= EXAMPLES
    # the run exercised both outcomes and errors after authorization, not only one kind
    assert seen.decisions["Deny"] > EXAMPLES // 4 and seen.decisions["Allow"] > 0, seen.decisions
    assert "unexpected error handling DynamoDB request" not in fgac.stack.log()
