"""The app's five tables (docs/data-model.md), and the ways to create them.

``TABLES`` is built from the tables' one definition, ``iam_policies.deployment.APP_TABLES`` (key
schemas, indexes with their projections, the TTL attribute), which the admin tooling's plan,
apply and CloudFormation template manage too. Three consumers here read it:

- ``ensure_tables(backend, settings)``: the local stack creates what is missing at start, through
  the in-process backend (``Backend.call("CreateTable", ...)``);
- ``create_tables``, ``list_tables``, ``describe_tables`` over a boto3 client, for the command
  ``python -m webapp tables create|list|describe`` (``webapp/cli/tables.py``): against the local
  stack's DynamoDB endpoint (with the admin profile it writes) or against real AWS;
- the host's ``/config.json``, which gives the page the physical names under the logical ones.

Every table is on-demand (``PAY_PER_REQUEST``): no capacity to size for a demo, and the same
request shape works on AWS (DynamoDB API Reference, CreateTable, ``BillingMode``). TTL is enabled
by a separate ``UpdateTimeToLive`` call, because CreateTable cannot set it (DynamoDB Developer
Guide, "Enabling Time to Live").
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from iam_policies.deployment import APP_TABLES
from iam_policies.errors import AwsError
from iam_policies.schema import IndexSchema, TableSchema
from webapp.settings import Settings


@dataclass(frozen=True)
class Table:
    """One table of docs/data-model.md: its logical name (the key in ``/config.json``) and shape."""

    logical: str
    partition_key: str
    sort_key: str | None = None
    #: Type of every attribute used in a key of the table or of an index (all strings here).
    attribute_types: Mapping[str, str] = field(default_factory=dict)
    #: The key schema of each index, as the policy engine reads it too (``iam_policies.schema``).
    indexes: tuple[IndexSchema, ...] = ()
    ttl_attribute: str | None = None

    def physical_name(self, settings: Settings) -> str:
        return settings.table_name(self.logical)

    def create_params(self, physical_name: str) -> dict[str, Any]:
        """The CreateTable request (DynamoDB API Reference, CreateTable)."""
        params: dict[str, Any] = {
            "TableName": physical_name,
            "KeySchema": _key_schema(self.partition_key, self.sort_key),
            "AttributeDefinitions": [
                {"AttributeName": name, "AttributeType": self.attribute_types.get(name, "S")}
                for name in self.key_attributes()
            ],
            "BillingMode": "PAY_PER_REQUEST",
        }
        local = [_index_params(i) for i in self.indexes if i.type == "LSI"]
        global_ = [_index_params(i) for i in self.indexes if i.type == "GSI"]
        if local:
            params["LocalSecondaryIndexes"] = local
        if global_:
            params["GlobalSecondaryIndexes"] = global_
        return params

    def ttl_params(self, physical_name: str) -> dict[str, Any] | None:
        if self.ttl_attribute is None:
            return None
        return {"TableName": physical_name,
                "TimeToLiveSpecification": {"Enabled": True, "AttributeName": self.ttl_attribute}}

    def key_attributes(self) -> list[str]:
        """Attributes that must be declared: the keys of the table and of every index, once each."""
        names: list[str] = []
        for name in (self.partition_key, self.sort_key,
                     *(k for i in self.indexes for k in (i.partition_key, i.sort_key))):
            if name is not None and name not in names:
                names.append(name)
        return names

    def schema(self, physical_name: str) -> TableSchema:
        """The key schema as the policy engine sees it (``iam_policies.schema``)."""
        return TableSchema(physical_name, self.partition_key, self.sort_key, {i.name: i for i in self.indexes})


def _index_params(index: IndexSchema) -> dict[str, Any]:
    """An index of the CreateTable request (``LocalSecondaryIndexes`` / ``GlobalSecondaryIndexes``)."""
    projection: dict[str, Any] = {"ProjectionType": index.projection}
    if index.projection == "INCLUDE":
        projection["NonKeyAttributes"] = list(index.non_key_attributes)
    return {"IndexName": index.name, "KeySchema": _key_schema(index.partition_key, index.sort_key),
            "Projection": projection}


def _key_schema(partition_key: str, sort_key: str | None) -> list[dict[str, str]]:
    schema = [{"AttributeName": partition_key, "KeyType": "HASH"}]
    if sort_key is not None:
        schema.append({"AttributeName": sort_key, "KeyType": "RANGE"})
    return schema


def _table(logical: str, spec: Mapping[str, Any]) -> Table:
    indexes = tuple(TableSchema.from_case(logical, spec).indexes.values())
    return Table(logical, spec["partition_key"], spec.get("sort_key"), indexes=indexes, ttl_attribute=spec.get("ttl"))


#: The tables, from their one definition in ``iam_policies.deployment.APP_TABLES`` (which plan,
#: apply and the CloudFormation template manage too).
TABLES: tuple[Table, ...] = tuple(_table(logical, spec) for logical, spec in APP_TABLES.items())

TABLES_BY_LOGICAL: dict[str, Table] = {t.logical: t for t in TABLES}


def physical_names(settings: Settings) -> dict[str, str]:
    """``{logical: physical}`` for ``/config.json`` and the templates."""
    return {t.logical: t.physical_name(settings) for t in TABLES}


# Local stack: through the in-process backend ------------------------------------------------


class _Backend(Protocol):
    def call(self, operation: str, params: dict[str, Any]) -> dict[str, Any]: ...


def ensure_tables(backend: _Backend, settings: Settings) -> list[str]:
    """Create the tables that are missing and enable TTL where it is off; returns what was done.

    Every missing table is created first and then waited for, so their CREATING phases
    (``WEBAPP_TABLE_STATUS_SECONDS``) overlap, as CreateTable calls do on AWS, instead of adding up.
    Idempotent: a second start finds every table and changes nothing.
    """
    done: list[str] = []
    created: list[str] = []
    for table in TABLES:
        name = table.physical_name(settings)
        described = _backend_description(backend, name)
        if described is not None:
            done += _add_missing_indexes(backend, table, name, described)
            continue
        try:
            backend.call("CreateTable", table.create_params(name))
            done.append(f"created {name}")
        except AwsError as error:
            if error.code != "ResourceInUseException":  # created meanwhile: fine
                raise
        created.append(name)
    for name in created:
        _wait_active(backend, name)
    for table in TABLES:
        name = table.physical_name(settings)
        ttl = table.ttl_params(name)
        if ttl is not None and not _backend_ttl_enabled(backend, name):
            backend.call("UpdateTimeToLive", ttl)
            done.append(f"enabled TTL on {name}.{table.ttl_attribute}")
    return done


def _wait_active(backend: _Backend, name: str, timeout: float = 300.0) -> None:
    """Items only once the table is ACTIVE, as on AWS (a table CREATING refuses reads and writes;
    ``WEBAPP_TABLE_STATUS_SECONDS`` makes the local phase last): the caller seeds it next."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        described = _backend_description(backend, name)
        if described is None or described.get("TableStatus") == "ACTIVE":
            return
        time.sleep(0.05)
    raise TimeoutError(f"table {name} did not become ACTIVE within {timeout:.0f} s")


def _backend_description(backend: _Backend, name: str) -> dict[str, Any] | None:
    try:
        return dict(backend.call("DescribeTable", {"TableName": name})["Table"])
    except AwsError as error:
        if error.code == "ResourceNotFoundException":
            return None
        raise


def _add_missing_indexes(backend: _Backend, table: Table, name: str, described: dict[str, Any]) -> list[str]:
    """A data directory made before a GSI was added to the data model (the player directory's
    ``ByName``, the session list's ``BySub``) gets it at start: one ``UpdateTable`` per index, as
    DynamoDB allows (API Reference, UpdateTable, ``GlobalSecondaryIndexUpdates``); DynamoDB fills
    it from the existing items. LSIs cannot be added after creation and are left alone."""
    have = {i["IndexName"] for i in described.get("GlobalSecondaryIndexes") or []}
    done = []
    for index in table.indexes:
        if index.type != "GSI" or index.name in have:
            continue
        keys = [k for k in (index.partition_key, index.sort_key) if k]
        backend.call("UpdateTable", {
            "TableName": name,
            "AttributeDefinitions": [{"AttributeName": k, "AttributeType": table.attribute_types.get(k, "S")}
                                     for k in keys],
            "GlobalSecondaryIndexUpdates": [{"Create": _index_params(index)}],
        })
        done.append(f"added index {name}.{index.name}")
    return done


def _backend_ttl_enabled(backend: _Backend, name: str) -> bool:
    description = backend.call("DescribeTimeToLive", {"TableName": name})
    status = description.get("TimeToLiveDescription", {}).get("TimeToLiveStatus")
    return status in ("ENABLED", "ENABLING")


# On AWS or the local stack's endpoint: through a boto3 client ------------------------------


def create_tables(client: Any, settings: Settings) -> list[dict[str, Any]]:
    """Create what is missing (and wait for it to be ACTIVE), then enable TTL; report each table."""
    from botocore.exceptions import ClientError  # type: ignore[import-untyped]

    report = []
    existing = set(_all_table_names(client))
    for table in TABLES:
        name = table.physical_name(settings)
        status = "exists"
        if name not in existing:
            try:
                client.create_table(**table.create_params(name))
                status = "created"
            except ClientError as error:
                if error.response["Error"]["Code"] != "ResourceInUseException":
                    raise
            client.get_waiter("table_exists").wait(
                TableName=name, WaiterConfig={"Delay": 2, "MaxAttempts": 60})
        ttl = table.ttl_params(name)
        if ttl is not None:
            current = client.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
            if current.get("TimeToLiveStatus") not in ("ENABLED", "ENABLING"):
                client.update_time_to_live(**ttl)
                status += ", TTL enabled"
        report.append({"logical": table.logical, "table": name, "status": status})
    return report


def list_tables(client: Any, settings: Settings) -> list[dict[str, Any]]:
    existing = set(_all_table_names(client))
    return [{"logical": t.logical, "table": t.physical_name(settings),
             "status": "exists" if t.physical_name(settings) in existing else "missing"}
            for t in TABLES]


def describe_tables(client: Any, settings: Settings) -> list[dict[str, Any]]:
    from botocore.exceptions import ClientError

    out = []
    for table in TABLES:
        name = table.physical_name(settings)
        try:
            out.append(client.describe_table(TableName=name)["Table"])
        except ClientError as error:
            if error.response["Error"]["Code"] != "ResourceNotFoundException":
                raise
            out.append({"TableName": name, "TableStatus": "MISSING"})
    return out


def _all_table_names(client: Any) -> Iterable[str]:
    for page in client.get_paginator("list_tables").paginate():
        yield from page.get("TableNames", [])
