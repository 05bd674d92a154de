"""DynamoDB's behaviour where moto's differs: the semantic layer between the engine and moto.

The endpoint has validated and authorized the request; moto stores the items. In between, this
package decides what DynamoDB decides itself, one module per family of operations as the API
Reference groups them, each citing the page it follows:

* ``writes.py`` - conditional writes (PutItem, UpdateItem, DeleteItem, TransactWriteItems):
  conditions and legacy ``Expected`` evaluated here, never by moto;
* ``reads.py`` - Query and Scan: ``Limit`` before filters, legacy ``QueryFilter``/``ScanFilter``
  with ``ConditionalOperator``, ``Select: COUNT``, ``LastEvaluatedKey``; projections (GetItem and
  BatchGetItem too); ``segments.py`` - parallel-scan segments; ``order.py`` - the order a Scan
  and an index's equal keys are read in;
* ``conditions.py`` / ``values.py`` - the one condition evaluator and DynamoDB's value rules
  (types, order, numbers) both use;
* ``partiql.py`` - PartiQL statements (WHERE, projections, UPDATE actions), evaluated here
  rather than by moto's PartiQL engine;
* ``tables.py`` - index ARNs in table descriptions, tags replaced by key; ``indexes.py`` -
  an index UpdateTable would create twice; ``tags.py`` - the tag limits;
* numbers enter moto and leave the stack in DynamoDB's canonical form (``values.normalize_number``).

Everything else goes to moto unchanged (``forward``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from webapp.backend.semantics import indexes, key_paths, partiql, reads, tables, tags, writes
from webapp.backend.semantics.values import canonical_request, normalize_item
from webapp.backend.semantics.writes import Storage

Forward = Callable[[str, Mapping[str, Any]], dict[str, Any]]

__all__ = ["Semantics", "Storage"]

_CONDITIONAL_WRITES = frozenset({"PutItem", "DeleteItem"})


class Semantics:
    """``call(operation, params)``: the answer DynamoDB gives, using ``forward`` (moto) to read
    and write and ``storage`` for key schemas and stored items."""

    def __init__(self, storage: Storage, forward: Forward) -> None:
        self.storage = storage
        self.forward = forward

    def call(self, operation: str, params: Mapping[str, Any]) -> dict[str, Any]:
        params = canonical_request(params)
        if operation == "UpdateItem":
            response = writes.update_item(self.storage, params, self.forward)
        elif operation in _CONDITIONAL_WRITES:
            response = writes.conditional_write(self.storage, operation, params, self.forward)
        elif operation == "TransactWriteItems":
            response = writes.transact_write(self.storage, params, self.forward)
        elif operation in ("Query", "Scan"):
            if operation == "Scan":
                key_paths.check_scan(self.storage, params)
            response = reads.read(self.storage, operation, params, self.forward)
        elif operation == "GetItem":
            writes.check_key(self.storage, params)
            key_paths.check(self.storage, params, "ProjectionExpression")
            response = reads.get_item(params, self.forward)
        elif operation == "BatchGetItem":
            response = reads.batch_get_item(params, self.forward)
        elif operation == "TransactGetItems":
            response = reads.transact_get_items(params, self.forward)
        elif operation == "CreateTable":
            tags.check_create_table(params)
            response = tables.with_index_arns(self.forward(operation, params))
        elif operation == "UpdateTable":
            indexes.check_index_updates(self.storage, params)
            response = tables.with_index_arns(self.forward(operation, params))
        elif operation == "ExecuteStatement":
            # the engine's handler passes only the statement and its parameters on (partiql.py)
            with partiql.on_condition_failure(params.get("ReturnValuesOnConditionCheckFailure")), \
                    partiql.paged(params) as page:
                response = self.forward(operation, params)
            if page.next_token is not None:
                response["NextToken"] = page.next_token
                response["LastEvaluatedKey"] = page.last_key
        elif operation == "ListTagsOfResource":
            response = tags.list_tags(params, self.forward)
        elif operation == "TagResource":
            tags.check_tag_resource(params, self.forward)
            response = tables.tag_resource(params, self.forward)
        else:
            response = tables.with_index_arns(self.forward(operation, params))
        return canonical_numbers(response)


def canonical_numbers(response: dict[str, Any]) -> dict[str, Any]:
    """Every item, key and attribute map of a response with numbers as DynamoDB writes them."""
    for member in ("Item", "Attributes", "LastEvaluatedKey"):
        if isinstance(response.get(member), Mapping):
            response[member] = normalize_item(response[member])
    if isinstance(response.get("Items"), list):
        response["Items"] = [normalize_item(item) for item in response["Items"]]
    responses = response.get("Responses")
    if isinstance(responses, Mapping):  # BatchGetItem
        response["Responses"] = {table: [normalize_item(item) for item in items] if isinstance(items, list) else items
                                 for table, items in responses.items()}
    elif isinstance(responses, list):  # TransactGetItems
        response["Responses"] = [{**entry, "Item": normalize_item(entry["Item"])}
                                 if isinstance(entry, Mapping) and "Item" in entry else entry for entry in responses]
    return response
