"""Table-level answers moto gives differently: index ARNs and tags.

* ``IndexArn``: every ``GlobalSecondaryIndexDescription`` and ``LocalSecondaryIndexDescription``
  carries "The Amazon Resource Name (ARN) that uniquely identifies the index" (API Reference,
  those data types), ``<table ARN>/index/<index name>``; moto leaves it out.
* Tags: "Each DynamoDB table can only have up to one tag with the same key. If you try to add an
  existing tag (same key), the existing tag value will be updated to the new value" (Developer
  Guide, "Tagging restrictions in DynamoDB"); moto appends a second tag with the same key.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

Forward = Callable[[str, Mapping[str, Any]], dict[str, Any]]

_DESCRIPTIONS = ("Table", "TableDescription")


def with_index_arns(response: dict[str, Any]) -> dict[str, Any]:
    for member in _DESCRIPTIONS:
        table = response.get(member)
        if not isinstance(table, dict) or not isinstance(table.get("TableArn"), str):
            continue
        for kind in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
            for index in table.get(kind) or ():
                if isinstance(index, dict) and isinstance(index.get("IndexName"), str):
                    index.setdefault("IndexArn", f"{table['TableArn']}/index/{index['IndexName']}")
    return response


def tag_resource(params: Mapping[str, Any], forward: Forward) -> dict[str, Any]:
    """New values replace the tags of the same keys (and a key given twice keeps its last value)."""
    tags = params.get("Tags")
    if not isinstance(tags, list) or not all(isinstance(tag, Mapping) and "Key" in tag for tag in tags):
        return forward("TagResource", params)
    last: dict[Any, Mapping[str, Any]] = {tag["Key"]: tag for tag in tags}
    arn = params.get("ResourceArn")
    forward("UntagResource", {"ResourceArn": arn, "TagKeys": list(last)})
    return forward("TagResource", {**params, "Tags": list(last.values())})
