"""Benchmark of the policy engine on the request path: derive the authorizations, then evaluate.

Run: ``python3 benchmarks/engine.py`` (prints medians of CPU time, which a busy shared machine
does not inflate, and of wall-clock time). Policies are compiled once, as the local
DynamoDB endpoint does (the registry caches compiled policies per role). Targets: a single-item
GetItem decision at most 25 µs median; a 25-item BatchWriteItem at most 0.5 ms.

The policy is the app's own per-user role policy (``iam_policies/templates/user-role.json``,
rendered), so the figures reflect the statements the stack really evaluates.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from iam_policies.dynamodb import derive  # noqa: E402
from iam_policies.evaluate import evaluate  # noqa: E402
from iam_policies.policy import INLINE_ROLE_POLICY_MAX_SIZE, Policy  # noqa: E402
from iam_policies.render import render  # noqa: E402
from iam_policies.schema import TableSchema  # noqa: E402

REGION, ACCOUNT, PROVIDER = "us-east-1", "123456789012", "idp.localhost/dev"
SUB = "5f1c2a9e-user-alice"
TABLES = {"photos": "Photos", "photoTags": "PhotoTags", "profiles": "Profiles", "games": "Games"}
SCHEMAS = {
    "Photos": TableSchema("Photos", "UserId", "PhotoId"),
    "PhotoTags": TableSchema("PhotoTags", "UserId", "TagKey"),
    "Profiles": TableSchema("Profiles", "UserId"),
    "Games": TableSchema("Games", "GameId"),
}
VARIABLES = {
    f"{PROVIDER}:sub": SUB,
    f"{PROVIDER}:aud": "web-app",
    "aws:userid": "AROAWEBUSER:alice",
    "aws:PrincipalType": "AssumedRole",
}


def user_policy() -> Policy:
    params = {"Partition": "aws", "Region": REGION, "Account": ACCOUNT, "ProviderKey": PROVIDER}
    params.update({f"Table:{logical}": physical for logical, physical in TABLES.items()})
    return Policy.parse(render("user-role", params), max_size=INLINE_ROLE_POLICY_MAX_SIZE)


def get_item() -> dict[str, Any]:
    return {
        "TableName": "Photos",
        "Key": {"UserId": {"S": SUB}, "PhotoId": {"S": "2026-04-13T12:00:00Z#0a1b2c3d"}},
        "ProjectionExpression": "PhotoId, Title, Tags, TakenOn",
    }


def batch_write(n: int = 25) -> dict[str, Any]:
    items = [
        {"PutRequest": {"Item": {"UserId": {"S": SUB}, "TagKey": {"S": f"TAG#cat#2026-04-13#{i:08x}"}, "Tag": {"S": "cat"},
                                 "PhotoId": {"S": f"2026-04-13T12:00:00Z#{i:08x}"}, "TakenOn": {"S": "2026-04-13"}}}}
        for i in range(n)
    ]
    return {"RequestItems": {"PhotoTags": items}}


def median_seconds(run: Callable[[], object], *, repeat: int, inner: int, clock: Callable[[], float]) -> float:
    for _ in range(inner):  # warm up caches (regexes, lookups)
        run()
    samples = []
    for _ in range(repeat):
        start = clock()
        for _ in range(inner):
            run()
        samples.append((clock() - start) / inner)
    return statistics.median(samples)


def main() -> int:
    identity = [user_policy()]

    def decide(operation: str, params: dict[str, Any]) -> bool:
        authorizations = derive(operation, params, schemas=SCHEMAS, region=REGION, account=ACCOUNT)
        return evaluate(authorizations, identity=identity, variables=VARIABLES).allowed

    get_params, batch_params = get_item(), batch_write()
    assert decide("GetItem", get_params), "the benchmark's GetItem should be allowed"
    assert decide("BatchWriteItem", batch_params), "the benchmark's BatchWriteItem should be allowed"

    rows = [
        ("GetItem, derive + evaluate", lambda: decide("GetItem", get_params), 25e-6, 2000),
        ("GetItem, evaluate only", _evaluate_only(identity, "GetItem", get_params), None, 2000),
        ("BatchWriteItem x25, derive + evaluate", lambda: decide("BatchWriteItem", batch_params), 500e-6, 200),
        ("BatchWriteItem x25, evaluate only", _evaluate_only(identity, "BatchWriteItem", batch_params), None, 200),
    ]
    failed = False
    print(f"{'':40s} {'CPU time':>13s} {'wall clock':>13s}   (medians of 15 runs)")
    for label, run, target, inner in rows:
        cpu = median_seconds(run, repeat=15, inner=inner, clock=time.process_time)
        wall = median_seconds(run, repeat=15, inner=inner, clock=time.perf_counter)
        verdict = "" if target is None else ("  ok" if cpu <= target else f"  OVER target {target * 1e6:.0f} µs")
        failed |= bool(target is not None and cpu > target)
        print(f"{label:40s} {cpu * 1e6:10.1f} µs {wall * 1e6:10.1f} µs{verdict}")
    return 1 if failed else 0


def _evaluate_only(identity: list[Policy], operation: str, params: dict[str, Any]) -> Callable[[], object]:
    authorizations = derive(operation, params, schemas=SCHEMAS, region=REGION, account=ACCOUNT)
    return lambda: evaluate(authorizations, identity=identity, variables=VARIABLES)


if __name__ == "__main__":
    sys.exit(main())
