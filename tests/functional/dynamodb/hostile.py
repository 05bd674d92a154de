"""Hostile DynamoDB requests generated from botocore's service model: every operation, every
member, values of the right type and of the wrong one, at and past DynamoDB's limits.

``requests_for(tables)`` draws ``(operation, raw body)``: the body is usually JSON made from the
operation's input shape (a random subset of its members, each a value of its declared type drawn
from edge cases, or now and then a value of another type), sometimes malformed JSON. Attribute
values and expressions are drawn from the values that broke things before (numbers at DynamoDB's
range and precision limits, ``-0``, unicode, NUL, empty and invalid base64, names at 255 bytes and
64 KB, 32-level documents, expressions at 4 KB) and from random combinations of them.

The admin sends them (every action allowed), so what the endpoint answers comes from validation
and the engine, not from IAM: the property checked (``check_answer``) is DynamoDB's contract for
any input: no 5xx, no traceback, an error body ``{"__type": "<namespace>#<Code>", "message"}``.
Used by ``test_fuzz_hostile.py`` (a short run against the session's stack) and
``benchmarks/fuzz.py --hostile N`` (as long as asked).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from botocore.model import ListShape, MapShape, Shape, StructureShape  # type: ignore[import-untyped]
from hypothesis import strategies as st

from webapp.aws_models import service_model

#: Numbers at DynamoDB's limits (Developer Guide, "Supported data types": 38 significant digits,
#: magnitude 1E-130 to 9.9999999999999999999999999999999999999E+125) and text a number must not be.
NUMBERS = ["0", "-0", "-0.0", "1", "-1", "+1", ".5", "5.", "1e125", "1E+126", "9.9999999999999999999999999999999999999E+125",
           "1E-130", "1E-131", "1" * 38, "1" * 39, "0." + "0" * 129 + "1", "1e999999999999", "NaN", "Infinity", "-Infinity",
           "0x10", " 1", "", "1_000", "\u0661", "1e", "--1", "1" * 5000, "123456789012345678901234567890123456789e10"]
STRINGS = ["", "a", "\x00", "a\x00b", "\uffff", "\U0010ffff", "\u00e9", "x" * 255, "x" * 256, "#", ":", ".", "[0]",
           "owner", "pk", "sk", "title", " ", "\t\n", "\u202e", "SELECT", "'", '"', "\\"]
BLOBS = ["", "YQ==", "YQ", "!!!!", "====", "AAAA" * 100, "\x00", "Y Q==", "ZmFrZQ==="]
NAMES = ["pk", "sk", "owner", "noteId", "title", "a", "", "x" * 255, "\x00", "a.b", "#n", ":v", "a[0]", "\u00e9"]
PLACEHOLDER_NAMES = ["#n", "#p0", "#", "#\x00", "n", "#" + "x" * 300]
PLACEHOLDER_VALUES = [":v", ":w", ":", "v", ":" + "x" * 300]
EXPRESSION_PARTS = ["#n", ":v", ":w", "a", "a.b", "a[0]", "a[99999999999]", "a[-1]", "size(a)", "attribute_exists(a)",
                    "attribute_not_exists(#n)", "attribute_type(a, :v)", "begins_with(a, :v)", "contains(a, :v)",
                    "a BETWEEN :v AND :w", "a IN (:v, :w)", "=", "<>", "<", ">=", "AND", "OR", "NOT", "(", ")", ",",
                    "SET", "REMOVE", "ADD", "DELETE", "if_not_exists(a, :v)", "list_append(a, :v)", "+", "-",
                    "a = :v", "SET a = :v", "REMOVE a", "ADD a :v", "DELETE a :v", "SET a = a + :v", "\x00", "\u00e9",
                    "a" * 255, "a" * 4096, "." * 40, "[", "]", "'x'", '"x"', "*"]
INTEGERS = [0, 1, -1, 2, 25, 26, 100, 101, 2**31 - 1, 2**31, 2**63, -(2**63) - 1, 10**30]
INTEGER_DEFAULTS = {"Limit", "Segment", "TotalSegments"}


def _any_json() -> st.SearchStrategy[Any]:
    scalars = st.one_of(st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(allow_nan=False),
                        st.sampled_from(STRINGS))
    return st.recursive(scalars, lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(NAMES + ["S", "N", "M", "L"]), inner, max_size=3)),
        max_leaves=8)


def _nested(levels: int, leaf: dict[str, Any]) -> dict[str, Any]:
    value = leaf
    for _ in range(levels):
        value = {"M": {"n": value}} if levels % 2 else {"L": [value]}
    return value


def attribute_values() -> st.SearchStrategy[Any]:
    """AttributeValues: every type with edge-case payloads, nested, sometimes malformed."""
    scalar = st.one_of(
        st.sampled_from(NUMBERS).map(lambda n: {"N": n}),
        st.sampled_from(STRINGS).map(lambda s: {"S": s}),
        st.sampled_from(BLOBS).map(lambda b: {"B": b}),
        st.booleans().map(lambda b: {"BOOL": b}),
        st.just({"NULL": True}),
        st.lists(st.sampled_from(NUMBERS), max_size=3).map(lambda ns: {"NS": ns}),
        st.lists(st.sampled_from(STRINGS), max_size=3).map(lambda ss: {"SS": ss}),
        st.lists(st.sampled_from(BLOBS), max_size=3).map(lambda bs: {"BS": bs}),
        st.sampled_from([31, 32, 33]).map(lambda d: _nested(d, {"S": "leaf"})),
    )
    odd = st.one_of(st.just({}), st.just({"S": "a", "N": "1"}), st.just({"NULL": False}), _any_json(),
                    st.dictionaries(st.sampled_from(["S", "N", "B", "M", "L", "SS", "X"]), _any_json(), max_size=2))
    values = st.recursive(scalar, lambda inner: st.one_of(
        st.lists(inner, max_size=3).map(lambda items: {"L": items}),
        st.dictionaries(st.sampled_from(NAMES), inner, max_size=3).map(lambda m: {"M": m})), max_leaves=6)
    return st.one_of(values, values, values, odd)


def items() -> st.SearchStrategy[dict[str, Any]]:
    return st.one_of(
        st.dictionaries(st.sampled_from(NAMES), attribute_values(), max_size=5),
        st.builds(lambda n, v: {f"a{i}": v for i in range(n)}, st.sampled_from([100, 2000]), attribute_values()),
        st.builds(lambda size: {"pk": {"S": "big"}, "sk": {"N": "1"}, "b": {"S": "x" * size}},
                  st.sampled_from([400 * 1024 - 20, 400 * 1024, 400 * 1024 + 1])),
        st.just({"pk": {"S": "n"}, "sk": {"N": "1"}, "x" * 65535: {"S": "v"}}),
    )


@st.composite
def expressions(draw: Any) -> str:
    if draw(st.integers(0, 9)) == 0:
        return str(draw(st.sampled_from(["(" * 40 + "a = :v" + ")" * 40, "NOT " * 300 + "a = :v",
                                         " OR ".join(["a = :v"] * 150), "a" + ".b" * 31, "a" + ".b" * 32,
                                         "a = :v AND " + "b" * (4096 - 11), "a = :v AND " + "b" * (4096 - 10)])))
    return " ".join(draw(st.lists(st.sampled_from(EXPRESSION_PARTS), min_size=1, max_size=8)))


def _string_for(name: str, tables: Sequence[str]) -> st.SearchStrategy[Any]:
    if name in ("TableName", "IndexName", "ResourceArn", "TableArn"):
        return st.sampled_from([*tables, "", "ab", "x" * 256, "no-such-table", "a;b", "\x00\x00\x00"])
    if name.endswith("Expression"):
        return expressions()
    if name == "Statement":
        return st.sampled_from([f'SELECT * FROM "{t}"' for t in tables] + [
            f'SELECT * FROM "{tables[0]}" WHERE pk = ?', f'INSERT INTO "{tables[0]}" VALUE {{\'pk\': ?}}',
            f'UPDATE "{tables[0]}" SET a = 1 WHERE pk = \'x\' AND sk = 1', "SELECT", "", "\x00",
            f'SELECT * FROM "{tables[0]}" WHERE pk = \'x\' AND sk = 1e999', f'SELECT a[999999999999] FROM "{tables[0]}"'])
    return st.sampled_from(STRINGS + ["ALL_OLD", "ALL_NEW", "NONE", "TOTAL", "INDEXES", "SIZE", "COUNT",
                                      "SPECIFIC_ATTRIBUTES", "ALL_ATTRIBUTES", "EQ", "BETWEEN", "IN", "PUT",
                                      "DELETE", "ADD", "AND", "OR", "S", "N", "B", "HASH", "RANGE"])


def shaped(shape: Shape, tables: Sequence[str], name: str = "", depth: int = 0) -> st.SearchStrategy[Any]:
    """A value for ``shape`` (named ``name`` in its parent), right-typed most of the time."""
    if shape.name == "AttributeValue":
        return attribute_values()
    if name in ("Item",) or shape.name in ("PutItemInputAttributeMap",):
        return items()
    wrong = _any_json()
    if depth > 6:
        return wrong
    if isinstance(shape, StructureShape):
        members = dict(shape.members)
        right: st.SearchStrategy[Any] = st.fixed_dictionaries(
            {}, optional={member: shaped(s, tables, member, depth + 1) for member, s in members.items()})
    elif isinstance(shape, ListShape):
        right = st.lists(shaped(shape.member, tables, name, depth + 1), max_size=4)
        if shape.metadata.get("max", 0) >= 25:
            big = shape.metadata["max"]
            right = st.one_of(right, st.builds(lambda v, n: [v] * n, shaped(shape.member, tables, name, depth + 1),
                                               st.sampled_from([big, big + 1])))
    elif isinstance(shape, MapShape):
        keys: st.SearchStrategy[str]
        if name == "ExpressionAttributeNames":
            keys, values = st.sampled_from(PLACEHOLDER_NAMES), st.sampled_from(NAMES)
            return st.one_of(st.dictionaries(keys, values, max_size=3), wrong)
        if name == "ExpressionAttributeValues":
            keys = st.sampled_from(PLACEHOLDER_VALUES)
        elif name == "RequestItems":
            keys = st.sampled_from(list(tables) + ["", "no-such-table"])
        else:
            keys = st.sampled_from(NAMES)
        right = st.dictionaries(keys, shaped(shape.value, tables, name, depth + 1), max_size=3)
    elif shape.type_name == "string":
        enum = shape.metadata.get("enum")
        right = st.sampled_from(list(enum) + ["", "x"]) if enum else _string_for(name, tables)
    elif shape.type_name in ("integer", "long"):
        right = st.sampled_from(INTEGERS)
    elif shape.type_name == "boolean":
        right = st.booleans()
    elif shape.type_name == "blob":
        right = st.sampled_from(BLOBS)
    elif shape.type_name == "timestamp":
        right = st.sampled_from([0, -1, 1e20, "2026-01-01T00:00:00Z", "yesterday"])
    else:
        right = wrong
    return st.one_of(right, right, right, right, right, right, right, right, right, wrong)


#: Operations of the data plane and the control plane that do not change the set of tables
#: (CreateTable, DeleteTable and UpdateTable would make the run depend on its own history).
SKIP = {"CreateTable", "DeleteTable", "UpdateTable", "CreateBackup", "DeleteBackup", "RestoreTableFromBackup",
        "RestoreTableToPointInTime", "CreateGlobalTable", "UpdateGlobalTable", "ImportTable", "ExportTableToPointInTime",
        "UpdateTableReplicaAutoScaling", "UpdateGlobalTableSettings", "DeleteResourcePolicy", "PutResourcePolicy",
        "UpdateContinuousBackups", "UpdateKinesisStreamingDestination", "EnableKinesisStreamingDestination",
        "DisableKinesisStreamingDestination", "UpdateContributorInsights"}

MALFORMED = [b"", b"{", b"[]", b"null", b"1", b'"x"', b"{}", b'{"TableName":"a","TableName":"b"}', b"{" * 3000,
             b'{"a":' * 1000 + b"1" + b"}" * 1000, b'{"TableName":"\\ud800"}', b'{"TableName":"\\u0000"}',
             b"\xff\xfe{}", b'{"TableName":1e999}', b'{"Limit":NaN}', b'{"TableName":"x"}' + b" " * 100000,
             b'{"Key":{"pk":{"N":"1"}}} trailing', b"\x00", b'{"TableName": "x", "Key": [' + b"[" * 5000 + b"]" * 5000 + b"]}"]


def requests_for(tables: Sequence[str]) -> st.SearchStrategy[tuple[str, bytes]]:
    """(operation, raw body): model-shaped JSON nine times in ten, malformed bytes otherwise."""
    model = service_model("dynamodb")
    operations = sorted(set(model.operation_names) - SKIP)

    def of(operation: str) -> st.SearchStrategy[tuple[str, bytes]]:
        params = shaped(model.operation_model(operation).input_shape, tables, depth=0)
        return params.map(lambda value: (operation, _dumps(value)))

    shaped_requests = st.sampled_from(operations).flatmap(of)
    malformed = st.tuples(st.sampled_from(operations), st.sampled_from(MALFORMED))
    return st.one_of(*[shaped_requests] * 9, malformed)


def _dumps(params: Any) -> bytes:
    try:
        return json.dumps(params, allow_nan=True).encode("utf-8", "surrogatepass")
    except (TypeError, ValueError):
        return b"{}"


def check_answer(status: int, body: bytes, where: Callable[[], str]) -> str | None:
    """DynamoDB's contract for any input, or what broke it (None: kept)."""
    if status >= 500:
        return f"HTTP {status}: {where()}"
    if b"Traceback" in body or b'File "' in body:
        return f"traceback in the answer: {where()}"
    if status == 200:
        return None
    if status in (404, 413) and not body.startswith(b"{"):
        return None  # the framing answers (UnknownOperationException / server 413)
    try:
        error = json.loads(body)
    except ValueError:
        return f"error body is not JSON: {where()}"
    kind = str(error.get("__type", "")) if isinstance(error, Mapping) else ""
    if "#" not in kind or not kind.split("#", 1)[1]:
        return f"error body without __type: {where()}"
    return None
