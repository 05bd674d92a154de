"""Every DynamoDB case of ``shared/spec/fgac-cases.json``: derive its authorizations from the raw
``api_params`` and ``tables`` and compare action, resource and context with what the case says
AWS derives.

Two documented differences, both asserted here rather than skipped:

- FGAC-J08/J09 (PartiQL UPDATE): the cases leave ``dynamodb:Attributes`` out. The spec's rule
  text says the key holds the top-level attributes a request accesses (A.1, S1) and S2 lists it
  for PartiQLUpdate (A.2); security-anchors §4.2 says to fail closed. We follow the rule: the
  SET target and the WHERE names are in the set.
- FGAC-K06 (GetRecords): its ``ShardIterator`` is an elided placeholder
  (``arn:aws:dynamodb:...|1|AAAA...``) from which no stream ARN can be read; a real iterator is
  tested in ``test_operations.py``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from iam_policies.dynamodb import NOT_IN_CASE_SHAPE, derive
from iam_policies.errors import ValidationException
from iam_policies.schema import TableSchema

CASES_FILE = Path(__file__).resolve().parents[4].parent / "shared" / "spec" / "fgac-cases.json"
CASES = [case for case in json.loads(CASES_FILE.read_text()) if case["request"]["operation"] != "AssumeRoleWithWebIdentity"]

#: Keys the endpoint or the caller's session supply, not the request body.
NOT_FROM_REQUEST = frozenset({"aws:CurrentTime", "aws:EpochTime", "aws:SourceIp", "aws:SecureTransport",
                              "aws:TokenIssueTime"})
PARTIQL_UPDATE_ATTRIBUTES = {"FGAC-J08": ["Artist", "AwardsWon", "SongTitle"], "FGAC-J09": ["Artist", "AwardsWon", "SongTitle"]}
PLACEHOLDER_ITERATOR = {"FGAC-K06"}


def _where(case: dict[str, Any]) -> tuple[str, str]:
    for arn in [case["request"]["resource"], *(a["resource"] for a in case["request"].get("authorizations", []))]:
        if arn.startswith("arn:"):
            parts = arn.split(":")
            return parts[3], parts[4]
    return "us-west-2", "123456789012"


def _expected(case: dict[str, Any]) -> list[dict[str, Any]]:
    request = case["request"]
    expected = request.get("authorizations") or [
        {"action": request["action"], "resource": request["resource"], "context": request["context"]}
    ]
    result = []
    for authorization in expected:
        context = {k: v for k, v in authorization["context"].items() if k not in NOT_FROM_REQUEST}
        if case["id"] in PARTIQL_UPDATE_ATTRIBUTES:
            context["dynamodb:Attributes"] = PARTIQL_UPDATE_ATTRIBUTES[case["id"]]
        result.append({**authorization, "context": context})
    return result


@pytest.mark.parametrize("case", CASES, ids=[case["id"] for case in CASES])
def test_case_derives_what_aws_derives(case: dict[str, Any]) -> None:
    schemas = {name: TableSchema.from_case(name, spec) for name, spec in case["tables"].items()}
    region, account = _where(case)
    request = case["request"]
    if case["id"] in PLACEHOLDER_ITERATOR:
        with pytest.raises(ValidationException, match="Invalid ShardIterator"):
            derive(request["operation"], request["api_params"], schemas=schemas, region=region, account=account)
        return
    derived = derive(request["operation"], request["api_params"], schemas=schemas, region=region, account=account)
    got = [
        {
            "action": a.action,
            "resource": a.resource,
            "context": {k: v for k, v in a.context.items() if k not in NOT_IN_CASE_SHAPE},
        }
        for a in derived
    ]
    assert got == _expected(case)
    for authorization in derived:
        assert authorization.context["aws:RequestedRegion"] == region
        if "dynamodb:LeadingKeys" in authorization.context:
            assert authorization.context["dynamodb:FirstPartitionKeyValues"] == authorization.context[
                "dynamodb:LeadingKeys"
            ]
        else:
            assert "dynamodb:FirstPartitionKeyValues" not in authorization.context


def test_the_case_file_covers_every_operation_family() -> None:
    operations = {case["request"]["operation"] for case in CASES}
    assert {"GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "Scan", "BatchGetItem",
            "TransactGetItems", "TransactWriteItems", "ExecuteStatement", "ExecuteTransaction"} <= operations
