"""UpdateItem: what it stores and what ``ReturnValues`` returns, as DynamoDB answers.

Sources (``source`` of each row):

* ``api-update``: API Reference, UpdateItem ("Edits an existing item's attributes, or adds a new
  item to the table if it does not already exist"; ``ReturnValues``: "UPDATED_OLD - Returns only
  the updated attributes, as they appeared before the UpdateItem operation", "UPDATED_NEW -
  Returns only the updated attributes, as they appear after the UpdateItem operation")
  (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_UpdateItem.html);
* ``dg-update``: Developer Guide, "Update expressions" (every path names the item as it was
  before the update; ``REMOVE`` of list elements; ``DELETE`` from a set)
  (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.UpdateExpressions.html);
* ``api-av``: API Reference, AttributeValue (``N``: "leading and trailing zeroes are trimmed");
* ``api-avu``: API Reference, AttributeValueUpdate (the legacy ``AttributeUpdates`` actions);
* ``alternator``: ScyllaDB Alternator's tests run against real DynamoDB
  (test/alternator/test_returnvalues.py, test/alternator/test_update_expression.py);
* ``issue13``: requests the suite behind issue 13 (checked against real DynamoDB) saw accepted;
* ``dynalite``: architect/dynalite's test/updateItem.js, recorded against DynamoDB.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

import pytest

from tests.conformance.conftest import Endpoint

SOURCES = {"api-update", "dg-update", "api-av", "api-avu", "alternator", "issue13", "dynalite"}
N1, N2 = {"N": "1"}, {"N": "2"}


@dataclass(frozen=True)
class Update:
    id: str
    #: Attributes stored first (besides the key ``a``); ``None``: no item.
    before: dict[str, Any] | None
    #: The UpdateItem request without TableName and Key.
    request: dict[str, Any]
    #: The response's ``Attributes`` (``None``: no such member).
    returned: dict[str, Any] | None
    #: Attributes stored afterwards (besides ``a``); ``None``: no item.
    after: dict[str, Any] | None
    source: str


def _list(*values: str) -> dict[str, Any]:
    return {"L": [{"S": v} for v in values]}


ROWS = [
    Update("key-only-creates", None, {}, None, {}, "api-update: adds a new item if it does not exist"),
    Update("key-only-all-new", None, {"ReturnValues": "ALL_NEW"}, {}, {}, "api-update: the new item is its key"),
    Update("remove-on-missing-creates-nothing", None, {"UpdateExpression": "REMOVE x", "ReturnValues": "ALL_NEW"},
           None, None, "alternator: test_returnvalues.py test_update_item_returnvalues_all_new (no item is created)"),
    Update("legacy-delete-on-missing", None, {"AttributeUpdates": {"x": {"Action": "DELETE"}}}, None, None,
           "api-avu: DELETE of an attribute of no item creates nothing"),
    Update("updated-old-same-value", {"x": N1}, {"UpdateExpression": "SET x = :v", "ExpressionAttributeValues": {
           ":v": N1}, "ReturnValues": "UPDATED_OLD"}, {"x": N1}, {"x": N1},
           "alternator: test_returnvalues.py test_update_item_returnvalues_updated_old (same value)"),
    Update("updated-new-same-value", {"x": N1}, {"UpdateExpression": "SET x = :v, y = :w",
           "ExpressionAttributeValues": {":v": N1, ":w": N2}, "ReturnValues": "UPDATED_NEW"},
           {"x": N1, "y": N2}, {"x": N1, "y": N2}, "api-update: UPDATED_NEW - every updated attribute"),
    Update("updated-new-remove-only", {"x": N1, "y": N2}, {"UpdateExpression": "REMOVE x",
           "ReturnValues": "UPDATED_NEW"}, None, {"y": N2}, "api-update: nothing updated remains to return"),
    Update("updated-old-nested-path", {"m": {"M": {"b": N1, "c": N2}}}, {"UpdateExpression": "SET m.b = :v",
           "ExpressionAttributeValues": {":v": N2}, "ReturnValues": "UPDATED_OLD"}, {"m": {"M": {"b": N1}}},
           {"m": {"M": {"b": N2, "c": N2}}}, "alternator: test_returnvalues.py test_update_item_returnvalues_nested (only the path)"),
    Update("all-old-missing", None, {"UpdateExpression": "SET x = :v", "ExpressionAttributeValues": {":v": N1},
           "ReturnValues": "ALL_OLD"}, None, {"x": N1}, "api-update: ALL_OLD of no item returns nothing"),
    Update("remove-then-set-list", {"l": _list("0", "1", "2", "3", "4")}, {
           "UpdateExpression": "REMOVE l[1] SET l[3] = :x", "ExpressionAttributeValues": {":x": {"S": "x"}}},
           None, {"l": _list("0", "2", "x", "4")}, "dg-update: paths name the item before the update"),
    Update("set-reads-removed", {"x": N1}, {"UpdateExpression": "REMOVE x SET y = x"}, None, {"y": N1},
           "dg-update: a SET reads the item as it was before the update"),
    Update("number-normalized", None, {"UpdateExpression": "SET x = :v, y = :w", "ExpressionAttributeValues": {
           ":v": {"N": "-0015.789e6"}, ":w": {"N": "000100.500"}}, "ReturnValues": "UPDATED_NEW"},
           {"x": {"N": "-15789000"}, "y": {"N": "100.5"}}, {"x": {"N": "-15789000"}, "y": {"N": "100.5"}},
           "api-av: leading and trailing zeroes are trimmed"),
    Update("if-not-exists-reads-key", {"x": N1}, {"UpdateExpression": "SET c = if_not_exists(c, a)",
           "ReturnValues": "UPDATED_NEW"}, {"c": {"S": "KEY"}}, {"x": N1, "c": {"S": "KEY"}},
           "issue13: reading a key attribute in SET is accepted by real DynamoDB (writing one is not)"),
    Update("arithmetic-with-exponent", {"x": {"N": "5"}}, {"UpdateExpression": "SET x = x + :v",
           "ExpressionAttributeValues": {":v": {"N": "1e2"}}, "ReturnValues": "UPDATED_NEW"}, {"x": {"N": "105"}},
           {"x": {"N": "105"}}, "api-av: a number is its value, whatever its notation"),
    Update("legacy-put-binary", None, {"AttributeUpdates": {"b": {"Action": "PUT", "Value": {"B": b"\x00\x01"}}}},
           None, {"b": {"B": b"\x00\x01"}}, "api-avu: PUT stores the value as given (a binary stays a binary)"),
    Update("legacy-put-bool-null", None, {"AttributeUpdates": {"t": {"Value": {"BOOL": True}},
                                                               "z": {"Value": {"NULL": True}}}},
           None, {"t": {"BOOL": True}, "z": {"NULL": True}}, "api-avu: PUT is the default action, any type"),
    Update("add-nothing-exists", None, {"UpdateExpression": "REMOVE b DELETE c :c ADD d :d, e :e SET f = :f",
           "ExpressionAttributeValues": {":c": {"SS": ["a", "b"]}, ":d": {"N": "5"}, ":e": {"SS": ["a", "b"]},
                                         ":f": _list("a")}, "ReturnValues": "UPDATED_NEW"},
           {"d": {"N": "5"}, "e": {"SS": ["a", "b"]}, "f": _list("a")}, {"d": {"N": "5"}, "e": {"SS": ["a", "b"]},
                                                                         "f": _list("a")},
           "dynalite: test/updateItem.js should just add valid ADD actions if nothing exists"),
    Update("nested-parenthesised", {"b": {"M": {"a": N1, "b": N2, "c": {"N": "3"}}}, "c": {"L": [N1, {"N": "3"}]}}, {
           "UpdateExpression": "set b.c=((c[1])+(b.a)),b.a = a,c[1] = a, c[4] = b.a - b.b, c[2] = b.c "
                               "add c[8] :b, c[6] :a",
           "ExpressionAttributeValues": {":a": N2, ":b": {"SS": ["a"]}}, "ReturnValues": "UPDATED_NEW"},
           {"b": {"M": {"a": {"S": "KEY"}, "c": {"N": "4"}}}, "c": {"L": [{"S": "KEY"}, {"N": "3"}, N2]}},
           {"b": {"M": {"a": {"S": "KEY"}, "b": N2, "c": {"N": "4"}}},
            "c": {"L": [N1, {"S": "KEY"}, {"N": "3"}, {"N": "-1"}, N2, {"SS": ["a"]}]}},
           "dynalite: test/updateItem.js should update nested attributes"),
    Update("set-reads-before-list-element", {"x": N1, "l": _list("p")}, {
           "UpdateExpression": "SET y = x, x = :v, l[0] = :w", "ExpressionAttributeValues": {":v": N2, ":w": {"S": "w"}}},
           None, {"x": N2, "y": N1, "l": _list("w")}, "dg-update: every path names the item as it was before the update"),
    Update("legacy-add-list", {"l": _list("a")}, {"AttributeUpdates": {"l": {"Action": "ADD", "Value": _list("b")}}},
           None, {"l": _list("a", "b")}, "api-avu: ADD of a list appends to it"),
    Update("remove-nested-on-missing", None, {"UpdateExpression": "REMOVE x.y, z[0]"}, None, None,
           "alternator: test_update_expression.py test_nested_attribute_remove_from_missing_item (accepted, "
           "nothing written)"),
    Update("remove-missing-leaf", {"m": {"M": {"x": N1}}, "l": _list("hi")}, {"UpdateExpression": "REMOVE m.y, l[7], c"},
           None, {"m": {"M": {"x": N1}}, "l": _list("hi")},
           "alternator: test_update_expression.py test_nested_attribute_remove_missing_leaf"),
    Update("if-not-exists-nested-fallback", None, {"UpdateExpression": "SET x = if_not_exists(y, if_not_exists(#z, :v))",
           "ExpressionAttributeNames": {"#z": "z"}, "ExpressionAttributeValues": {":v": N1}, "ReturnValues": "UPDATED_NEW"},
           {"x": N1}, {"x": N1}, "alternator: test_update_expression.py test_update_expression_function_nesting"),
    Update("if-not-exists-nested-existing", {"z": N2}, {
           "UpdateExpression": "SET x = if_not_exists(y, if_not_exists(z, :v))", "ExpressionAttributeValues": {":v": N1},
           "ReturnValues": "UPDATED_NEW"}, {"x": N2}, {"z": N2, "x": N2},
           "alternator: test_update_expression.py test_update_expression_function_nesting"),
    Update("set-copies-its-own-list", {"l": _list("a", "b")}, {"UpdateExpression": "SET l[5] = l"}, None,
           {"l": {"L": [{"S": "a"}, {"S": "b"}, _list("a", "b")]}},
           "dg-update: the value is the item as it was before the update (moto stored a list holding itself)"),
    Update("set-copies-its-own-map", {"m": {"M": {"k": N1}}}, {"UpdateExpression": "SET m.c = m, m.k = :v",
           "ExpressionAttributeValues": {":v": N2}}, None, {"m": {"M": {"k": N2, "c": {"M": {"k": N1}}}}},
           "dg-update: the value is the item as it was before the update"),
    Update("list-append-of-if-not-exists", {"x": _list("a")}, {
           "UpdateExpression": "SET x = list_append(if_not_exists(x, :v), :w)",
           "ExpressionAttributeValues": {":v": _list("v"), ":w": _list("w")}}, None, {"x": _list("a", "w")},
           "alternator: test_update_expression.py test_update_expression_function_nesting"),
]


@pytest.mark.parametrize("row", ROWS, ids=[row.id for row in ROWS])
def test_update_item(endpoint: Endpoint, hash_table: str, row: Update) -> None:
    assert row.source.split(":", 1)[0] in SOURCES
    client = endpoint.client()
    key = {"a": {"S": "upd-" + secrets.token_hex(6)}}
    if row.before is not None:
        client.put_item(TableName=hash_table, Item={**key, **row.before})
    answer = client.update_item(TableName=hash_table, Key=key, **row.request)
    expected_returned = _with_key(row.returned, key)
    if expected_returned is not None and row.request.get("ReturnValues", "").startswith("ALL_"):
        expected_returned = {**key, **expected_returned}
    assert answer.get("Attributes") == expected_returned
    stored = client.get_item(TableName=hash_table, Key=key, ConsistentRead=True).get("Item")
    assert stored == ({**key, **_with_key(row.after, key)} if row.after is not None else None)


def _with_key(attributes: dict[str, Any] | None, key: dict[str, Any]) -> dict[str, Any] | None:
    """``{"S": "KEY"}`` in a row stands for the row's own key value."""
    if attributes is None:
        return None

    def substitute(value: Any) -> Any:
        if value == {"S": "KEY"}:
            return key["a"]
        if isinstance(value, dict) and set(value) == {"M"}:
            return {"M": {name: substitute(inner) for name, inner in value["M"].items()}}
        if isinstance(value, dict) and set(value) == {"L"}:
            return {"L": [substitute(inner) for inner in value["L"]]}
        return value

    return {name: substitute(value) for name, value in attributes.items()}


# Refusals that need the table and the item ------------------------------------------------------
#
# Source of every row: architect/dynalite test/updateItem.js (assertValidation), recorded against
# DynamoDB. The table is dynalite's testRangeTable: key a, b; local indexes on (a, c) and (a, d),
# global indexes on c and on (c, d), every one of them strings.

DYNALITE = "dynalite test/updateItem.js, recorded against DynamoDB"
VALIDATE = "com.amazon.coral.validate#ValidationException"
INVALID_PATH = "The document path provided in the update expression is invalid for update"
OPERAND = "An operand in the update expression has an incorrect data type"


@dataclass(frozen=True)
class Refused:
    id: str
    #: Attributes stored first (besides the key); ``None``: no item.
    before: dict[str, Any] | None
    request: dict[str, Any]
    message: str
    #: A prefix of the message is all the source pins.
    prefix: bool = False


SS = {"SS": ["a"]}
NESTED = {"b": {"S": "s"}, "c": {"M": {"1": {"S": "a"}}}, "d": {"L": [{"S": "a"}, {"S": "b"}]}}
TYPED = {"b": {"M": {"a": {"SS": ["1"]}}}, "c": N1, "d": {"NS": ["1"]}}

REFUSED = [
    Refused("set a key attribute's member", None, {"UpdateExpression": "add a.b :a", "ExpressionAttributeValues": {
            ":a": N1}}, "One or more parameter values were invalid: Cannot update attribute a. This attribute is part of "
            "the key"),
    Refused("legacy index key of another type", None, {"AttributeUpdates": {"d": {"Value": N2}, "c": {"Value": N1}}},
            "One or more parameter values were invalid: Type mismatch for Index Key c Expected: S Actual: N IndexName: ",
            prefix=True),
    Refused("index key summed", None, {"UpdateExpression": "set e = c[1], c = a + :a", "ExpressionAttributeValues": {
            ":a": N1}}, "One or more parameter values were invalid: Type mismatch for Index Key c Expected: S Actual: N "
            "IndexName: ", prefix=True),
    Refused("index key read as a list", None, {"UpdateExpression": "set e = list_append(a, b), f = d[1]"},
            "Key attributes must be scalars; list random access '[]' and map lookup '.' are not allowed: IndexKey: d"),
    Refused("index key added into", None, {"UpdateExpression": "add d.b :a", "ExpressionAttributeValues": {":a": N1}},
            "Key attributes must be scalars; list random access '[]' and map lookup '.' are not allowed: IndexKey: d"),
    Refused("index key set from a number", {"e": N1}, {"UpdateExpression": "set c = e"},
            "The update expression attempted to update the secondary index key to unsupported type"),
    Refused("nested in no item", None, {"UpdateExpression": "set f.a = a"}, INVALID_PATH),
    Refused("member of a string", NESTED, {"UpdateExpression": "set b.a = :a, #1 = :a", "ExpressionAttributeNames": {
            "#1": "1"}, "ExpressionAttributeValues": {":a": SS}}, INVALID_PATH),
    Refused("index into a map", NESTED, {"UpdateExpression": "set c[1] = :a, #1 = :a", "ExpressionAttributeNames": {
            "#1": "1"}, "ExpressionAttributeValues": {":a": SS}}, INVALID_PATH),
    Refused("member of a list", NESTED, {"UpdateExpression": "set d.#1 = :a", "ExpressionAttributeNames": {"#1": "1"},
            "ExpressionAttributeValues": {":a": SS}}, INVALID_PATH),
    Refused("remove a member of a string", NESTED, {"UpdateExpression": "remove b.a set #1 = :a",
            "ExpressionAttributeNames": {"#1": "1"}, "ExpressionAttributeValues": {":a": SS}}, INVALID_PATH),
    Refused("remove a member of a list", NESTED, {"UpdateExpression": "remove d.#1 set #1 = :a",
            "ExpressionAttributeNames": {"#1": "1"}, "ExpressionAttributeValues": {":a": SS}}, INVALID_PATH),
    Refused("delete from a member of a string", NESTED, {"UpdateExpression": "delete b.a :a set #1 = :a",
            "ExpressionAttributeNames": {"#1": "1"}, "ExpressionAttributeValues": {":a": SS}}, INVALID_PATH),
    Refused("add into a member of a list", NESTED, {"UpdateExpression": "add d.#1 :a", "ExpressionAttributeNames": {
            "#1": "1"}, "ExpressionAttributeValues": {":a": SS}}, INVALID_PATH),
    Refused("add to a missing member", NESTED, {"UpdateExpression": "add y.a :a set #1 = :a",
            "ExpressionAttributeNames": {"#1": "1"}, "ExpressionAttributeValues": {":a": SS}}, INVALID_PATH),
    Refused("delete a number set from a string set", TYPED, {"UpdateExpression": "delete b.a :a",
            "ExpressionAttributeValues": {":a": {"NS": ["1"]}}}, OPERAND),
    Refused("key string plus a number", TYPED, {"UpdateExpression": "set e = a + :a", "ExpressionAttributeValues": {
            ":a": N1}}, OPERAND),
    Refused("list_append of a number set", TYPED, {"UpdateExpression": "set e = list_append(d, if_not_exists(f, :a))",
            "ExpressionAttributeValues": {":a": {"L": []}}}, OPERAND),
    Refused("legacy delete a number set from a string set", {"b": {"SS": ["1"]}}, {"AttributeUpdates": {"b": {
            "Action": "DELETE", "Value": {"NS": ["1"]}}}}, "Type mismatch for attribute to update"),
    Refused("legacy add a number to a number set", {"d": {"NS": ["1"]}}, {"AttributeUpdates": {"d": {
            "Action": "ADD", "Value": N1}}}, "Type mismatch for attribute to update"),
]


@pytest.fixture(scope="module")
def indexed_table(endpoint: Endpoint) -> str:
    """dynalite's testRangeTable."""
    def index(name: str, *keys: str) -> dict[str, Any]:
        schema = [{"AttributeName": key, "KeyType": kind} for key, kind in zip(keys, ("HASH", "RANGE"), strict=False)]
        return {"IndexName": name, "KeySchema": schema, "Projection": {"ProjectionType": "ALL"}}
    return endpoint.create_table(
        AttributeDefinitions=[{"AttributeName": name, "AttributeType": "S"} for name in "abcd"],
        KeySchema=[{"AttributeName": "a", "KeyType": "HASH"}, {"AttributeName": "b", "KeyType": "RANGE"}],
        LocalSecondaryIndexes=[index("index1", "a", "c"), index("index2", "a", "d")],
        GlobalSecondaryIndexes=[index("index3", "c"), index("index4", "c", "d")],
    )


@pytest.mark.parametrize("row", REFUSED, ids=[row.id for row in REFUSED])
def test_update_item_refused(endpoint: Endpoint, hash_table: str, indexed_table: str, row: Refused) -> None:
    indexed = any(word in row.id for word in ("index key",))
    table = indexed_table if indexed else hash_table
    key = {"a": {"S": "upd-" + secrets.token_hex(6)}}
    if indexed:
        key["b"] = {"S": "b"}
    client = endpoint.client()
    if row.before is not None:
        client.put_item(TableName=table, Item={**key, **row.before})
    answer = endpoint.call("UpdateItem", {"TableName": table, "Key": key, **row.request})
    assert (answer.status, answer.type) == (400, VALIDATE), answer.raw[:300]
    message = answer.message or ""
    assert message.startswith(row.message) if row.prefix else message == row.message, answer.raw[:300]
    stored = client.get_item(TableName=table, Key=key, ConsistentRead=True).get("Item")
    assert stored == ({**key, **row.before} if row.before is not None else None)  # nothing was written


def test_a_transaction_update_the_item_cannot_take_is_cancelled(endpoint: Endpoint, hash_table: str) -> None:
    """An ``Update`` member writing into a member of a string: UpdateItem's ValidationException
    (dynalite test/updateItem.js) becomes the transaction's cancellation, ``ValidationError`` for
    that member and ``None`` for the others (API Reference, TransactionCanceledException: "a
    similar validation error occurs because of changes made by the transaction"; the reason's
    text is taken to be UpdateItem's). Nothing is written; moto answered with Python's
    ``[TypeError]`` as the reason for ``REMOVE``."""
    client = endpoint.client()
    other, key = {"a": {"S": "upd-" + secrets.token_hex(6)}}, {"a": {"S": "upd-" + secrets.token_hex(6)}}
    client.put_item(TableName=hash_table, Item={**key, "s": {"S": "text"}})
    for expression in ("REMOVE s.x", "SET s.x = :v"):
        answer = endpoint.call("TransactWriteItems", {"TransactItems": [
            {"Put": {"TableName": hash_table, "Item": {**other, "x": N1}}},
            {"Update": {"TableName": hash_table, "Key": key, "UpdateExpression": expression,
                        **({"ExpressionAttributeValues": {":v": N1}} if ":v" in expression else {})}}]})
        assert (answer.status, (answer.type or "").split("#")[-1]) == (400, "TransactionCanceledException"), \
            answer.raw[:300]
        assert answer.json["CancellationReasons"] == [{"Code": "None"}, {"Code": "ValidationError",
                                                                         "Message": INVALID_PATH}], answer.raw[:300]
    assert client.get_item(TableName=hash_table, Key=other, ConsistentRead=True).get("Item") is None
    assert client.get_item(TableName=hash_table, Key=key, ConsistentRead=True)["Item"] == {**key, "s": {"S": "text"}}


def test_a_transaction_update_that_only_removes_from_no_item_creates_nothing(endpoint: Endpoint,
                                                                             hash_table: str) -> None:
    """As UpdateItem (``remove-on-missing-creates-nothing`` above, alternator): nothing to edit,
    nothing created, also when the path is nested (``remove-nested-on-missing``); moto created an
    empty item, or refused ``REMOVE l[0]`` as an invalid path."""
    client = endpoint.client()
    for expression in ("REMOVE x", "REMOVE l[0], m.k"):
        key = {"a": {"S": "upd-" + secrets.token_hex(6)}}
        client.transact_write_items(TransactItems=[{"Update": {"TableName": hash_table, "Key": key,
                                                               "UpdateExpression": expression}}])
        assert client.get_item(TableName=hash_table, Key=key, ConsistentRead=True).get("Item") is None


def test_a_transaction_update_of_the_wrong_type_in_dynamodb_words(endpoint: Endpoint, hash_table: str) -> None:
    """``SET n = s + :v`` where ``s`` holds a string: UpdateItem's text (dynalite
    test/updateItem.js, ``OPERAND``), not moto's ``Invalid UpdateExpression: Incorrect operand
    type ...``; nothing is written."""
    client = endpoint.client()
    key = {"a": {"S": "upd-" + secrets.token_hex(6)}}
    client.put_item(TableName=hash_table, Item={**key, "s": {"S": "text"}})
    answer = endpoint.call("TransactWriteItems", {"TransactItems": [{"Update": {
        "TableName": hash_table, "Key": key, "UpdateExpression": "SET n = s + :v", "ExpressionAttributeValues": {":v": N1}}}]})
    assert (answer.status, answer.json.get("message")) == (400, OPERAND), answer.raw[:300]
    assert client.get_item(TableName=hash_table, Key=key, ConsistentRead=True)["Item"] == {**key, "s": {"S": "text"}}
