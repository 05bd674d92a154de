"""DescribeTable's ``BillingModeSummary`` of an on-demand table.

Source: scylladb test/alternator ``test_describe_table.py::test_describe_table_billing``,
written and checked against real DynamoDB: a table created with ``PAY_PER_REQUEST`` reports
``LastUpdateToPayPerRequestDateTime`` equal to its ``CreationDateTime`` (API Reference,
"BillingModeSummary": the time the table was last set to on-demand).
"""

from __future__ import annotations

from tests.conformance.conftest import Endpoint


def test_on_demand_since_creation(endpoint: Endpoint, hash_table: str) -> None:
    table = endpoint.client().describe_table(TableName=hash_table)["Table"]
    summary = table["BillingModeSummary"]
    assert summary["BillingMode"] == "PAY_PER_REQUEST"
    assert summary["LastUpdateToPayPerRequestDateTime"] == table["CreationDateTime"]
