"""No input reaches the 500: random request bodies for every operation, correctly signed, go
through framing, SigV4, derive and IAM (real code; the registry grants nothing), and each ends
in a 4xx with DynamoDB's error shape. Nothing reaches the backend."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from iam_policies.dynamodb import OPERATIONS
from tests.unit.webapp.dynamodb.conftest import NoPolicies, RecordingBackend, signed_wsgi_call
from webapp.clock import system_clock
from webapp.credentials import CredentialAuthority
from webapp.dynamodb.gateway import Gateway
from webapp.settings import Settings

NAMES = ["TableName", "Key", "Item", "ProjectionExpression", "ExpressionAttributeNames",
         "ExpressionAttributeValues", "KeyConditionExpression", "FilterExpression", "UpdateExpression",
         "ConditionExpression", "IndexName", "Select", "ReturnValues", "RequestItems", "TransactItems",
         "Keys", "Statement", "Parameters", "Statements", "TransactStatements", "AttributesToGet",
         "KeyConditions", "QueryFilter", "ScanFilter", "Expected", "AttributeUpdates", "Limit",
         "ExclusiveStartKey", "Segment", "TotalSegments", "ResourceArn", "owner", "noteId", "S", "N",
         "B", "SS", "L", "M", "BOOL", "NULL", "Get", "Put", "Update", "Delete", "ConditionCheck",
         "PutRequest", "DeleteRequest", "#a", ":v", "ReturnValuesOnConditionCheckFailure"]
STRINGS = st.one_of(st.sampled_from(["Notes", "Missing", "owner = :v", "#a", ":v", "SET #a = :v",
                                     "ALL_OLD", "COUNT", "SELECT * FROM Notes", "a.b[0]", "", "1",
                                     "arn:aws:dynamodb:us-east-1:000000000000:table/Notes"]),
                    st.text(max_size=12))
JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.floats(allow_nan=False, allow_infinity=False) | STRINGS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(NAMES) | st.text(max_size=5),
                                                                 inner, max_size=4),
    max_leaves=25,
)
BODIES = st.dictionaries(st.sampled_from(NAMES), JSON, max_size=6)

SETTINGS = Settings(port=18000)
AUTHORITY = CredentialAuthority(b"f" * 32, system_clock)
SESSION = AUTHORITY.mint_session(role_arn=SETTINGS.user_role_arn, session_name="fuzz",
                                 duration_seconds=3600, variables={"idp.localhost/dev:sub": "alice-sub"})
BACKEND = RecordingBackend()
GATEWAY = Gateway(SETTINGS, NoPolicies(), AUTHORITY, BACKEND, None, system_clock)


def call(operation: str, body: bytes) -> tuple[str, dict[str, Any]]:
    return signed_wsgi_call(GATEWAY, SESSION, operation, body)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(operation=st.sampled_from(sorted(OPERATIONS)), params=BODIES)
def test_no_body_reaches_the_internal_error(operation: str, params: dict[str, Any]) -> None:
    status, body = call(operation, json.dumps(params).encode())
    assert status.startswith("4"), (status, body)
    assert body["__type"].rsplit("#", 1)[1] in (
        "ValidationException", "ResourceNotFoundException", "AccessDeniedException",
        "SerializationException", "UnknownOperationException")
    assert BACKEND.calls == []
