"""``top`` against AWS: the local watch's snapshot, built from CloudWatch instead.

DynamoDB publishes, per table and per global secondary index (dimensions ``TableName`` and
``GlobalSecondaryIndexName``), the metrics ``ConsumedReadCapacityUnits``,
``ConsumedWriteCapacityUnits``, ``ReadThrottleEvents`` and ``WriteThrottleEvents`` in the
``AWS/DynamoDB`` namespace, as one-minute sums (Developer Guide, "DynamoDB Metrics and
dimensions"). One ``GetMetricData`` call reads them all for the last ``minutes``; the snapshot's
buckets are then minutes (``"resolution": 60``), not the local watch's seconds.

Hot keys come from CloudWatch Contributor Insights for DynamoDB, when it is enabled on a table
(it is billed, and off by default): ``DescribeContributorInsights`` names the table's rules, and
``GetInsightRuleReport`` reads each one's top contributors. The rule whose name has ``-PKC-``
counts the most accessed partition keys, ``-PKT-`` the most throttled ones (the names DynamoDB
gives them). A table without it says how to turn it on. Keys are shown as a SHA-256 prefix
unless asked for in clear, as the local watch does with its HMAC.
"""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Iterator
from typing import Any

NAMESPACE = "AWS/DynamoDB"
METRICS = {"read": "ConsumedReadCapacityUnits", "write": "ConsumedWriteCapacityUnits",
           "read_throttles": "ReadThrottleEvents", "write_throttles": "WriteThrottleEvents"}
MAX_QUERIES = 500  # GetMetricData's limit per call


class CloudWatchSource:
    """The snapshot of ``webapp.backend.watch.Watch.snapshot``, from CloudWatch."""

    def __init__(self, dynamodb: Any, cloudwatch: Any, *, minutes: int = 15) -> None:
        self.dynamodb, self.cloudwatch, self.minutes = dynamodb, cloudwatch, minutes

    def snapshot(self, *, top: int, show_keys: bool,
                 now: datetime.datetime | None = None) -> dict[str, Any]:
        end = (now or datetime.datetime.now(datetime.UTC)).replace(second=0, microsecond=0)
        start = end - datetime.timedelta(minutes=self.minutes)
        places = list(self._places())
        series = self._metrics(places, start, end)
        tables = []
        for table, index in places:
            values = series.get((table, index), {})
            per_minute = {name: values.get(name, [0.0] * self.minutes) for name in METRICS}
            throttles = [r + w for r, w in zip(per_minute["read_throttles"], per_minute["write_throttles"], strict=True)]
            tables.append({
                "table": table, "index": index,
                "read_units": sum(per_minute["read"]), "write_units": sum(per_minute["write"]),
                "throttles": int(sum(throttles)),
                "per_second": {"read": per_minute["read"], "write": per_minute["write"], "throttles": throttles},
                "total": {"read_units": sum(per_minute["read"]), "write_units": sum(per_minute["write"]),
                          "throttles": int(sum(throttles))},
            })
        hot, notes = self._hot_keys([t for t, i in places if i is None], start, end, top, show_keys)
        return {"time": end.timestamp(), "seconds": self.minutes * 60, "window": self.minutes * 60,
                "resolution": 60, "keys_shown": show_keys, "tables": tables, "hot_keys": hot,
                "source": "cloudwatch", "notes": notes}

    def _places(self) -> Iterator[tuple[str, str | None]]:
        """Every table, and each of its global secondary indexes."""
        for page in self.dynamodb.get_paginator("list_tables").paginate():
            for table in page.get("TableNames", []):
                yield table, None
                described = self.dynamodb.describe_table(TableName=table)["Table"]
                for index in described.get("GlobalSecondaryIndexes") or []:
                    yield table, index["IndexName"]

    def _metrics(self, places: list[tuple[str, str | None]], start: datetime.datetime,
                 end: datetime.datetime) -> dict[tuple[str, str | None], dict[str, list[float]]]:
        queries, owners = [], {}
        for n, (table, index) in enumerate(places):
            dimensions = [{"Name": "TableName", "Value": table}]
            if index is not None:
                dimensions.append({"Name": "GlobalSecondaryIndexName", "Value": index})
            for name, metric in METRICS.items():
                query_id = f"m{n}_{name}"
                owners[query_id] = ((table, index), name)
                queries.append({"Id": query_id, "ReturnData": True, "MetricStat": {
                    "Metric": {"Namespace": NAMESPACE, "MetricName": metric, "Dimensions": dimensions},
                    "Period": 60, "Stat": "Sum"}})
        #: A datapoint's minute -> its slot in the rows: one dict look-up per datapoint.
        slots = {start + datetime.timedelta(minutes=m): m for m in range(self.minutes)}
        found: dict[tuple[str, str | None], dict[str, list[float]]] = {}
        for first in range(0, len(queries), MAX_QUERIES):
            paginator = self.cloudwatch.get_paginator("get_metric_data")
            for page in paginator.paginate(MetricDataQueries=queries[first:first + MAX_QUERIES],
                                           StartTime=start, EndTime=end, ScanBy="TimestampAscending"):
                for result in page.get("MetricDataResults", []):
                    place, name = owners[result["Id"]]
                    row = found.setdefault(place, {}).setdefault(name, [0.0] * self.minutes)
                    for stamp, value in zip(result.get("Timestamps", []), result.get("Values", []), strict=False):
                        slot = slots.get(stamp.replace(second=0, microsecond=0))
                        if slot is not None:
                            row[slot] += float(value)
        return found

    def _hot_keys(self, tables: list[str], start: datetime.datetime, end: datetime.datetime, top: int,
                  show_keys: bool) -> tuple[list[dict[str, Any]], list[str]]:
        groups, notes = [], []
        for table in tables:
            insights = self.dynamodb.describe_contributor_insights(TableName=table)
            if insights.get("ContributorInsightsStatus") != "ENABLED":
                notes.append(f"{table}: Contributor Insights is off, so no hot keys (turn it on with "
                             f"aws dynamodb update-contributor-insights --table-name {table} "
                             "--contributor-insights-action ENABLE; it is billed)")
                continue
            rows: dict[str, dict[str, Any]] = {}
            for rule in insights.get("ContributorInsightsRuleList", []):
                kind = "throttles" if "-PKT-" in rule else "units" if "-PKC-" in rule else None
                if kind is None:
                    continue
                report = self.cloudwatch.get_insight_rule_report(
                    RuleName=rule, StartTime=start, EndTime=end, Period=60, MaxContributorCount=top)
                for contributor in report.get("Contributors", []):
                    clear = ",".join(contributor.get("Keys", []))
                    row = rows.setdefault(clear, {"key": _label(clear), "units": 0.0, "error": 0.0,
                                                  "read_units": 0.0, "write_units": 0.0, "throttles": 0})
                    value = float(contributor.get("ApproximateAggregateValue", 0.0))
                    if kind == "units":
                        row["units"] += value
                    else:
                        row["throttles"] += int(value)
                    if show_keys:
                        row["clear"] = clear
            ranked = sorted(rows.values(), key=lambda r: (-r["units"], -r["throttles"], r["key"]))[:top]
            groups.append({"table": table, "index": None, "keys": ranked})
        return groups, notes


def _label(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:12]
