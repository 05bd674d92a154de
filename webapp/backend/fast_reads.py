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
from moto.dynamodb.responses import DynamoHandler

#: Operation -> ``DynamoHandler`` method. Reads only: a fallback may run the request again.
OPERATIONS = {"GetItem": "get_item", "Query": "query", "Scan": "scan", "BatchGetItem": "batch_get_item"}

Serialize = Callable[[Any], Any]
_OMIT: Any = object()


class Unsupported(Exception):
    """A value this serialiser does not reproduce; the caller takes the ordinary path."""


class FastReads:
    """Runs :data:`OPERATIONS` on ``handler_class`` (a ``DynamoHandler`` bound to a backend)."""

    def __init__(self, handler_class: type[DynamoHandler], service_model: Any) -> None:
        self._handler_class = handler_class
        self._models = {name: service_model.operation_model(name) for name in OPERATIONS}

    def call(self, operation: str, params: Mapping[str, Any]) -> dict[str, Any] | None:
        """The response body, or ``None`` when the ordinary path must answer."""
        method_name = OPERATIONS.get(operation)
        if method_name is None or BaseResponse.RESPONSE_KEY_PATH_TO_TRANSFORMER:
            return None
        model = self._models[operation]
        try:
            parser: Any = JSONParser(model, map_type=dict)
            parsed = parser._parse_shape(model.input_shape, params)
            handler = self._handler_class()
            handler.params = parsed
            handler.body = parsed
            result = getattr(handler, method_name)()
            if not isinstance(result, ActionResult):
                return None
            body = serializer(model.output_shape)(result.result)
        except Exception:  # moto's errors (and anything else) are answered by the ordinary path
            return None
        return body if isinstance(body, dict) else None


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
            if entry is None:  # moto might still find it under an alias: let it answer
                raise Unsupported(key)
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
