"""``top`` against AWS: the snapshot built from CloudWatch (``webapp/cli/cloudwatch.py``).

DynamoDB tables and CloudWatch metrics are moto's (as AWS stores them: ``PutMetricData`` of the
``AWS/DynamoDB`` metrics DynamoDB itself publishes). moto has no Contributor Insights, so its
two calls are answered here in the shapes of the API Reference (DynamoDB
``DescribeContributorInsights``; CloudWatch ``GetInsightRuleReport``: ``Contributors`` with
``Keys`` and ``ApproximateAggregateValue``), with the rule names DynamoDB gives (``-PKC-`` most
accessed keys, ``-PKT-`` most throttled).
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from webapp.__main__ import main
from webapp.cli.cloudwatch import CloudWatchSource

NOW = datetime.datetime(2026, 11, 29, 12, 0, 30, tzinfo=datetime.UTC)
RULES = ["DynamoDBContributorInsights-PKC-Photos-1764000000000",
         "DynamoDBContributorInsights-PKT-Photos-1764000000000"]


class WithInsights:
    """A moto client plus the Contributor Insights call moto lacks."""

    def __init__(self, client: Any, answers: dict[str, Any]) -> None:
        self._client, self._answers = client, answers

    def __getattr__(self, name: str) -> Any:
        if name in self._answers:
            return self._answers[name]
        return getattr(self._client, name)


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, Any]]:
    for name, value in {"AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret",
                        "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name="us-east-1")
        dynamodb.create_table(
            TableName="Photos", BillingMode="PAY_PER_REQUEST",
            KeySchema=[{"AttributeName": "UserId", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "UserId", "AttributeType": "S"},
                                  {"AttributeName": "Tag", "AttributeType": "S"}],
            GlobalSecondaryIndexes=[{"IndexName": "ByTag", "KeySchema": [{"AttributeName": "Tag", "KeyType": "HASH"}],
                                     "Projection": {"ProjectionType": "KEYS_ONLY"}}])
        dynamodb.create_table(TableName="Quiet", BillingMode="PAY_PER_REQUEST",
                              KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
                              AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}])
        cloudwatch = boto3.client("cloudwatch", region_name="us-east-1")
        at = NOW.replace(second=0) - datetime.timedelta(minutes=3)

        def publish(metric: str, values: list[float], index: str | None = None) -> None:
            dimensions = [{"Name": "TableName", "Value": "Photos"}]
            if index:
                dimensions.append({"Name": "GlobalSecondaryIndexName", "Value": index})
            cloudwatch.put_metric_data(Namespace="AWS/DynamoDB", MetricData=[
                {"MetricName": metric, "Dimensions": dimensions, "Value": value,
                 "Timestamp": at + datetime.timedelta(minutes=n)} for n, value in enumerate(values)])

        publish("ConsumedWriteCapacityUnits", [60.0, 120.0])
        publish("ConsumedReadCapacityUnits", [30.0])
        publish("ReadThrottleEvents", [4.0], index="ByTag")
        yield dynamodb, cloudwatch


def test_units_and_throttles_per_table_and_index_from_the_published_metrics(aws: tuple[Any, Any]) -> None:
    dynamodb, cloudwatch = aws
    insights = {"describe_contributor_insights": lambda TableName: {
        "TableName": TableName, "ContributorInsightsStatus": "DISABLED"}}
    snapshot = CloudWatchSource(WithInsights(dynamodb, insights), cloudwatch, minutes=5).snapshot(
        top=5, show_keys=False, now=NOW)
    rows = {(row["table"], row["index"]): row for row in snapshot["tables"]}
    assert set(rows) == {("Photos", None), ("Photos", "ByTag"), ("Quiet", None)}
    photos = rows["Photos", None]
    assert (photos["write_units"], photos["read_units"], photos["throttles"]) == (180.0, 30.0, 0)
    assert photos["per_second"]["write"] == [0.0, 0.0, 60.0, 120.0, 0.0]  # one-minute buckets, oldest first
    assert rows["Photos", "ByTag"]["throttles"] == 4 and rows["Quiet", None]["write_units"] == 0
    assert (snapshot["seconds"], snapshot["resolution"], snapshot["source"]) == (300, 60, "cloudwatch")
    assert snapshot["hot_keys"] == []
    assert any("Contributor Insights is off" in note and "--table-name Photos" in note for note in snapshot["notes"])


def test_hot_keys_from_contributor_insights_hashed_unless_asked(aws: tuple[Any, Any]) -> None:
    dynamodb, cloudwatch = aws
    reports = {RULES[0]: [("alice-sub", 90.0), ("bob-sub", 10.0)], RULES[1]: [("bob-sub", 3.0)]}
    insights = {"describe_contributor_insights": lambda TableName: {
        "TableName": TableName, "ContributorInsightsStatus": "ENABLED" if TableName == "Photos" else "DISABLED",
        "ContributorInsightsRuleList": RULES if TableName == "Photos" else []}}
    reports_api = {"get_insight_rule_report": lambda RuleName, **_: {"Contributors": [
        {"Keys": [key], "ApproximateAggregateValue": value} for key, value in reports[RuleName]]}}
    source = CloudWatchSource(WithInsights(dynamodb, insights), WithInsights(cloudwatch, reports_api), minutes=5)

    hashed = source.snapshot(top=5, show_keys=False, now=NOW)
    (photos,) = hashed["hot_keys"]
    assert [(k["units"], k["throttles"]) for k in photos["keys"]] == [(90.0, 0), (10.0, 3)]
    assert "alice-sub" not in json.dumps(hashed) and "bob-sub" not in json.dumps(hashed)
    clear = source.snapshot(top=1, show_keys=True, now=NOW)
    assert [k["clear"] for k in clear["hot_keys"][0]["keys"]] == ["alice-sub"]


def test_the_command_reads_cloudwatch_when_it_has_aws_credentials_and_no_endpoint(
        aws: tuple[Any, Any], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(CloudWatchSource, "_hot_keys", lambda self, *args: ([], ["Contributor Insights is off"]))
    assert main(["top", "--once", "--format", "json", "--minutes", "10"]) == 0
    snapshot = json.loads(capsys.readouterr().out)
    assert snapshot["source"] == "cloudwatch" and snapshot["seconds"] == 600
    assert {row["table"] for row in snapshot["tables"]} == {"Photos", "Quiet"}
