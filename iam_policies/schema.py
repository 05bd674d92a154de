"""Key schemas of tables and their indexes: what context derivation needs to know of a table."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal


@dataclass(frozen=True)
class IndexSchema:
    name: str
    type: Literal["GSI", "LSI"]
    partition_key: str
    sort_key: str | None = None
    projection: Literal["ALL", "KEYS_ONLY", "INCLUDE"] = "ALL"
    non_key_attributes: tuple[str, ...] = ()


@dataclass(frozen=True)
class TableSchema:
    name: str
    partition_key: str
    sort_key: str | None = None
    indexes: Mapping[str, IndexSchema] = field(default_factory=dict)
    #: ``AttributeDefinitions`` as name -> ``S``/``N``/``B`` (empty where the source gives none):
    #: DynamoDB's key checks name the expected type (webapp.dynamodb.validation.keys).
    attribute_types: Mapping[str, str] = field(default_factory=dict)

    @property
    def key_names(self) -> tuple[str, ...]:
        return (self.partition_key,) if self.sort_key is None else (self.partition_key, self.sort_key)

    @classmethod
    def from_case(cls, name: str, spec: Mapping[str, Any]) -> TableSchema:
        """Build from the ``tables`` entry format of ``shared/spec/fgac-cases.json``."""
        indexes = {
            index_name: IndexSchema(
                name=index_name,
                type=index["type"],
                partition_key=index["partition_key"],
                sort_key=index.get("sort_key"),
                projection=index.get("projection", "ALL"),
                non_key_attributes=tuple(index.get("non_key_attributes", ())),
            )
            for index_name, index in spec.get("indexes", {}).items()
        }
        return cls(name, spec["partition_key"], spec.get("sort_key"), indexes)

    @classmethod
    def from_description(cls, table: Mapping[str, Any]) -> TableSchema:
        """Build from a DynamoDB ``DescribeTable`` ``Table`` description."""

        def keys(schema: Any) -> tuple[str, str | None]:
            hash_key = next(k["AttributeName"] for k in schema if k["KeyType"] == "HASH")
            range_key = next((k["AttributeName"] for k in schema if k["KeyType"] == "RANGE"), None)
            return hash_key, range_key

        indexes: dict[str, IndexSchema] = {}
        for kind, field_name in (("GSI", "GlobalSecondaryIndexes"), ("LSI", "LocalSecondaryIndexes")):
            for index in table.get(field_name) or ():
                pk, sk = keys(index["KeySchema"])
                projection = index.get("Projection", {})
                indexes[index["IndexName"]] = IndexSchema(
                    name=index["IndexName"],
                    type=kind,  # type: ignore[arg-type]
                    partition_key=pk,
                    sort_key=sk,
                    projection=projection.get("ProjectionType", "ALL"),
                    non_key_attributes=tuple(projection.get("NonKeyAttributes", ())),
                )
        pk, sk = keys(table["KeySchema"])
        types = {d["AttributeName"]: d["AttributeType"] for d in table.get("AttributeDefinitions") or ()}
        return cls(table["TableName"], pk, sk, indexes, types)
