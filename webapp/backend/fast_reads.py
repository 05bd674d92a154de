"""The hot reads (GetItem, Query, Scan, BatchGetItem) without moto's generic HTTP layer.

Profiling a 100-item Query through ``MotoEngine`` showed ~90% of its time in moto's generic
response serialiser (``moto/core/serialize.py``): for every attribute of every item it walks
the botocore output shape member by member, asking an alias-trying ``XFormedAttributePicker``
for each of the ten ``AttributeValue`` members. The werkzeug request moto is handed and its
JSON round trip cost a little more.

This path keeps everything that decides *what* the answer is and replaces only the plumbing:

* the request is turned into moto's parameters by moto's own ``JSONParser`` (so blobs are
  decoded, unknown members dropped and numbers coerced exactly as in ``DynamoHandler``), from
  the already-decoded dict instead of a werkzeug request;
* moto's ``DynamoHandler`` method for the operation runs unchanged (its validation, key
  conditions, filters, projections, pagination and its ``ConsumedCapacity`` decorator) on the
  private backend;
* its result is serialised by :func:`serializer` below, which applies the rules of moto 5.2.1's
  ``JSONSerializer`` (``BaseJSONSerializer`` over ``ResponseSerializer``) to the same output
  shape, compiled once per shape into plain dict and list walks: structure members that are
  ``None`` or not in the shape are left out, integers go through ``int``, doubles through
  ``float``, blobs are base64-encoded, strings and booleans are passed as they are, and a list
  entry that serialises to nothing is kept as it was.

**GetItem by key alone** (no projection, no attribute names: what the page and the SDKs send
most) skips even the parser and the handler: with the table found, a key naming exactly its key
attributes with non-empty ``S`` or ``N`` values of the schema's types (moto's parser hands those
through unchanged), the handler would do nothing but ``Table.get_item`` and wrap the item in
``DynamoResult``; so this does just that, and renders the item in ``served.py``'s one walk (the
wire form with numbers canonical and its DynamoDB size, which metering and ``canonical_numbers``
then take as they are, instead of ``dynamo_to_dict``, the serialiser, ``normalize_item`` and
``item_size`` each walking it: about a quarter of the backend's time for a GetItem, profiled in
process by ``benchmarks/request_cpu.py``), or as above for a value that walk does not render. Any
other GetItem (binary keys, wrong types, projections, missing tables) takes the handler.

**Writes** (PutItem, UpdateItem, DeleteItem, BatchWriteItem, TransactWriteItems) take the same
path - moto's parser, its handler method, this serialiser - instead of a werkzeug request and
moto's dispatch (which inspects the handler class's members on every call) and generic
serialiser, about half of an UpdateItem's time. ``MotoEngine`` runs them in an undo section: if
this path does not answer, the section is rolled back, so the ordinary path that then runs the
request starts from the same state and gives moto's own answer or error.

Anything else - a moto error, an unexpected value type, a timestamp, a response transformer
registered on moto's ``BaseResponse`` - makes :meth:`FastReads.call` answer ``None`` and the
engine runs the request again on its ordinary path, which produces the error or body moto's
server would. These operations only read, so running one twice changes nothing.
``tests/unit/webapp/backend/test_fast_reads.py`` compares both paths on generated requests.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

from botocore.model import Shape  # type: ignore[import-untyped]
from moto.core.parse import JSONParser
from moto.core.responses import ActionResult, BaseResponse
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.models.utilities import dynamo_to_dict
from moto.dynamodb.responses import DynamoHandler

from webapp.backend import served

#: Operation -> ``DynamoHandler`` method. Reads only: a fallback may run the request again.
OPERATIONS = {"GetItem": "get_item", "Query": "query", "Scan": "scan", "BatchGetItem": "batch_get_item"}
#: Writes taken the same way by ``MotoEngine`` inside an undo section, which it rolls back before
#: running the request again on the ordinary path whenever this one does not answer.
WRITE_OPERATIONS = {"PutItem": "put_item", "UpdateItem": "update_item", "DeleteItem": "delete_item",
                    "BatchWriteItem": "batch_write_item", "TransactWriteItems": "transact_write_items"}
_METHODS = {**OPERATIONS, **WRITE_OPERATIONS}
#: Their unfiltered pages are rendered in the walk that sizes each item (``served.py``).
_PAGED = frozenset({"Query", "Scan"})
#: What moto's handlers put in results that no output shape has a member for, or an alias of:
#: moto's serialiser leaves it out (DeleteItem's legacy ``ConsumedCapacityUnits``).
_NOT_MEMBERS = frozenset({"ConsumedCapacityUnits"})

Serialize = Callable[[Any], Any]
_OMIT: Any = object()
#: The members of a GetItem that the direct lookup answers alone (a ``ReturnConsumedCapacity``
#: other than ``NONE`` takes the handler, whose figure ``metering.py`` then replaces).
_BARE_GET = frozenset({"TableName", "Key", "ConsistentRead", "ReturnConsumedCapacity"})


class Unsupported(Exception):
    """A value this serialiser does not reproduce; the caller takes the ordinary path."""


class FastReads:
    """Runs :data:`OPERATIONS` on ``handler_class`` (a ``DynamoHandler`` bound to a backend)."""

    def __init__(self, handler_class: type[DynamoHandler], service_model: Any, backend: Any = None) -> None:
        """``backend``: the models ``handler_class`` is bound to, for the direct GetItem (without
        it every GetItem takes the handler)."""
        self._handler_class = handler_class
        self._models = {name: service_model.operation_model(name) for name in _METHODS}
        self._backend = backend

    def call(self, operation: str, params: Mapping[str, Any]) -> dict[str, Any] | None:
        """The response body, or ``None`` when the ordinary path must answer."""
        method_name = _METHODS.get(operation)
        if method_name is None or BaseResponse.RESPONSE_KEY_PATH_TO_TRANSFORMER:
            return None
        model = self._models[operation]
        if (operation == "GetItem" and params.keys() <= _BARE_GET
                and params.get("ReturnConsumedCapacity", "NONE") == "NONE"):
            found = self._get_by_key(params)
            if found is not None:
                return found
        try:
            parser: Any = JSONParser(model, map_type=dict)
            parsed = parser._parse_shape(model.input_shape, params)
            handler = self._handler_class()
            handler.params = parsed
            handler.body = parsed
            if operation in _PAGED:
                with served.wire_pages():
                    result = getattr(handler, method_name)()
            else:
                result = getattr(handler, method_name)()
            if not isinstance(result, ActionResult):
                return None
            body = _render(serializer(model.output_shape), result.result)
        except Exception:  # moto's errors (and anything else) are answered by the ordinary path
            return None
        return body if isinstance(body, dict) else None


    def _get_by_key(self, params: Mapping[str, Any]) -> dict[str, Any] | None:
        """GetItem of a plain key straight from the table (see the module doc), or ``None``."""
        if self._backend is None:
            return None
        table = self._backend.tables.get(params.get("TableName"))
        key = params.get("Key")
        if table is None or not isinstance(key, dict) or not table.hash_key_attr:
            return None
        names = (table.hash_key_attr, table.range_key_attr) if table.range_key_attr else (table.hash_key_attr,)
        if len(key) != len(names):
            return None
        values = []
        for name in names:
            value = key.get(name)
            if not isinstance(value, dict) or len(value) != 1:
                return None
            kind, text = next(iter(value.items()))
            if kind not in ("S", "N") or not isinstance(text, str) or not text or kind != self._type(table, name):
                return None
            values.append(DynamoType({kind: text}))
        item = table.get_item(values[0], values[1] if len(values) > 1 else None)
        if item is None:
            return {}
        try:  # the one walk of served.py: the wire form, with its size (metering reads it)
            return {"Item": served.serve(item)[0].wire}
        except served.Unsupported:
            pass
        result = {"Item": item.describe_attrs(attributes=None)["Item"]}
        try:
            body = serializer(self._models["GetItem"].output_shape)(dynamo_to_dict(result))
        except Unsupported:
            return None
        return body if isinstance(body, dict) else None

    @staticmethod
    def _type(table: Any, name: str) -> str | None:
        for definition in table.attr or ():
            if definition.get("AttributeName") == name:
                return str(definition.get("AttributeType"))
        return None


def _render(serialize: Serialize, result: Any) -> Any:
    """The response body; a page of ``served.Served`` entries (an unfiltered Query or Scan page,
    ``moto_models._page``) holds its items rendered already, in their place among the members."""
    items = result.get("Items") if isinstance(result, dict) else None
    if not items or type(items[0]) is not served.Served:
        return serialize(result)
    if not all(type(entry) is served.Served for entry in items):
        raise Unsupported("a page of items and served entries")
    body = serialize({**result, "Items": []})
    body["Items"] = [entry.wire for entry in items]
    return body


# Serialisation ----------------------------------------------------------------------------------


def serializer(shape: Shape) -> Serialize:
    """A function that renders a value of ``shape`` as moto's ``JSONSerializer`` would, into
    JSON-ready values (``_OMIT`` where moto writes nothing)."""
    return _compile(shape)


@cache
def _compile(shape: Shape) -> Serialize:
    kind = shape.type_name
    if kind == "structure":
        return _structure(shape)
    if kind == "list":
        return _list(shape)
    if kind == "map":
        return _map(shape)
    if kind in ("integer", "long"):
        return int
    if kind in ("float", "double"):
        return float
    if kind == "blob":
        return _blob
    if kind in ("string", "boolean"):
        return _same
    raise Unsupported(kind)  # timestamps: none in these operations' outputs


def _same(value: Any) -> Any:
    return value


def _blob(value: Any) -> str:
    if isinstance(value, str):
        value = value.encode("utf-8")
    if not isinstance(value, bytes | bytearray):
        raise Unsupported(type(value).__name__)
    return base64.b64encode(value).strip().decode("utf-8")


def _structure(shape: Shape) -> Serialize:
    if shape.is_document_type:
        return _same
    members: dict[str, tuple[str, Serialize]] = {}

    def walk(value: Any) -> Any:
        if value is None:
            return _OMIT
        if not isinstance(value, dict):
            raise Unsupported(type(value).__name__)
        if not members:  # shapes may be recursive (AttributeValue): compile members lazily
            for name, member in shape.members.items():
                members[name] = (member.serialization.get("name", name), _compile(member))
        out: dict[str, Any] = {}
        for key, item in value.items():
            if item is None:
                continue
            entry = members.get(key)
            if entry is None:
                if key in _NOT_MEMBERS:
                    continue
                raise Unsupported(key)  # moto might still find it under an alias: let it answer
            rendered = entry[1](item)
            if rendered is not _OMIT:
                out[entry[0]] = rendered
        return out

    return walk


def _list(shape: Shape) -> Serialize:
    member = shape.member
    holder: list[Serialize] = []

    def walk(value: Any) -> Any:
        if not holder:
            holder.append(_compile(member))
        render = holder[0]
        out = []
        for item in value:
            rendered = render(item)
            out.append(item if rendered is _OMIT else rendered)
        return out

    return walk


def _map(shape: Shape) -> Serialize:
    value_shape = shape.value
    holder: list[Serialize] = []

    def walk(value: Any) -> Any:
        if not holder:
            holder.append(_compile(value_shape))
        render = holder[0]
        out = {}
        for key, item in value.items():
            rendered = render(item)
            if rendered is not _OMIT:
                out[key] = rendered
        return out

    return walk
