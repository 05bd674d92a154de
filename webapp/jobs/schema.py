"""What an export records of its table's shape, so that ``import --create`` can make the table again.

DynamoDB's own export to S3 does not carry the key schema: its ``ImportTable`` API takes it
separately, as ``TableCreationParameters`` (``AttributeDefinitions``, ``KeySchema``,
``GlobalSecondaryIndexes``, ``BillingMode``; DynamoDB API Reference, "ImportTable" and
"TableCreationParameters"). Our ``manifest.json`` keeps the same parameters, in the API's own
shape, taken from ``DescribeTable`` when the export starts, plus the local secondary indexes
(which ``CreateTable`` accepts and ``ImportTable`` does not), and its TTL attribute: an export is
then enough to recreate its table. The copy is always on-demand (``PAY_PER_REQUEST``): the source's provisioned capacity
would throttle the import, and the admin can change the mode afterwards.

An import into an existing table checks its keys against the manifest's before writing anything:
a ``PutRequest`` with the wrong key attributes would be refused batch by batch, half way.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from webapp.jobs.checkpoint import JobError

#: the manifest's key for these parameters
MANIFEST_KEY = "tableCreationParameters"
#: the manifest's key for the table's TTL attribute (``{"AttributeName": ...}``), when TTL is on
TTL_KEY = "timeToLive"


def creation_parameters(description: Mapping[str, Any]) -> dict[str, Any]:
    """``DescribeTable``'s ``Table`` reduced to what ``CreateTable`` needs to make the same keys and
    indexes (index status, sizes, ARNs and throughput are the source's state, not its shape)."""
    parameters: dict[str, Any] = {
        "KeySchema": [dict(k) for k in description["KeySchema"]],
        "AttributeDefinitions": sorted((dict(a) for a in description["AttributeDefinitions"]),
                                       key=lambda a: str(a["AttributeName"])),
    }
    for field in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
        indexes = description.get(field) or []
        if indexes:
            parameters[field] = sorted(({"IndexName": i["IndexName"], "KeySchema": [dict(k) for k in i["KeySchema"]],
                                         "Projection": dict(i["Projection"])} for i in indexes),
                                       key=lambda i: str(i["IndexName"]))
    return parameters


def time_to_live(client: Any, table: str) -> dict[str, str] | None:
    """``{"AttributeName": name}`` when the table's TTL is on (``DescribeTimeToLive``), else None.

    TTL is no ``CreateTable`` parameter (``UpdateTimeToLive`` turns it on afterwards), so it is
    recorded beside them. A caller not allowed ``dynamodb:DescribeTimeToLive`` exports all the
    same, without it."""
    from botocore.exceptions import ClientError  # type: ignore[import-untyped]

    try:
        description = client.describe_time_to_live(TableName=table)["TimeToLiveDescription"]
    except ClientError:
        return None
    if description.get("TimeToLiveStatus") in ("ENABLED", "ENABLING") and description.get("AttributeName"):
        return {"AttributeName": str(description["AttributeName"])}
    return None


def key_signature(parameters: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """The table's keys as ``(role, name, type)``: what must agree between an export and a target."""
    types = {a["AttributeName"]: a["AttributeType"] for a in parameters["AttributeDefinitions"]}
    return [(k["KeyType"], k["AttributeName"], types.get(k["AttributeName"], "?")) for k in parameters["KeySchema"]]


def describe_keys(signature: list[tuple[str, str, str]]) -> str:
    return ", ".join(f"{name} ({kind} {role.lower()})" for role, name, kind in signature)


def check_target(manifest: Mapping[str, Any], description: Mapping[str, Any], table: str) -> None:
    """Refuse a target whose keys are not the exported table's (nothing is written yet)."""
    recorded = manifest.get(MANIFEST_KEY)
    if not recorded:
        return  # an export made before the manifest recorded its keys: BatchWriteItem will tell
    want = key_signature(recorded)
    have = key_signature(creation_parameters(description))
    if want != have:
        raise JobError(f"{table} has the keys {describe_keys(have)}, but the export's table had "
                       f"{describe_keys(want)}: import into a table with the exported keys "
                       "(or a new name, with --create)")


def create_table(client: Any, table: str, manifest: Mapping[str, Any], *, wait_seconds: int = 600) -> None:
    """``CreateTable`` ``table`` with the manifest's keys and indexes, on-demand, and wait for ``ACTIVE``."""
    recorded = manifest.get(MANIFEST_KEY)
    if not recorded:
        raise JobError(f"manifest.json of this export has no {MANIFEST_KEY} (it was made before exports "
                       "recorded their table's keys): create the table yourself, then import without --create")
    params: dict[str, Any] = {"TableName": table, "BillingMode": "PAY_PER_REQUEST",
                              "KeySchema": recorded["KeySchema"],
                              "AttributeDefinitions": recorded["AttributeDefinitions"]}
    for field in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
        if recorded.get(field):
            params[field] = recorded[field]
    client.create_table(**params)
    client.get_waiter("table_exists").wait(TableName=table,
                                           WaiterConfig={"Delay": 2, "MaxAttempts": max(1, wait_seconds // 2)})
    ttl = manifest.get(TTL_KEY)
    if ttl:
        client.update_time_to_live(TableName=table, TimeToLiveSpecification={
            "Enabled": True, "AttributeName": ttl["AttributeName"]})
