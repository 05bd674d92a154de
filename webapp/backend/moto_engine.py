"""moto's DynamoDB, in process, answering as ``moto_server`` would.

Each call is turned into the HTTP request an SDK sends (``POST /``, ``X-Amz-Target:
DynamoDB_20120810.<Operation>``, a JSON 1.0 body) and handed to moto's own ``DynamoHandler``,
so moto's parameter parsing, validation and response serialisation all run, and the bodies
and errors are the ones its server returns. The handler is bound to a *private* backend
instead of moto's process-wide registry, so two backends in one process (tests, or an upstream
peer) never share tables. No ``mock_aws``: nothing is patched.

moto's models are not thread-safe (security-anchors §5.2); the caller keeps calls that touch
the same table apart (``locking.py``).

**Hot reads.** GetItem, Query, Scan and BatchGetItem (and TransactGetItems' per-item reads)
first try ``fast_reads.py``: the same ``DynamoHandler`` method on the same parameters, without
the werkzeug request and moto's generic response serialiser (90% of a 100-item Query); whatever
it does not answer - errors included - takes the path above, so answers are the same.

Where moto differs from DynamoDB in a way that matters, DynamoDB wins:

* **Semantics.** Every call first passes ``webapp.backend.semantics``, which decides conditions,
  filters, ``Limit``, ``ReturnValues``, numbers and segments itself and hands moto only the bare
  read or write (``MotoStorage`` gives it key schemas and stored items).
* **Operations moto lacks.** An operation of DynamoDB's model that moto's handler does not
  implement (contributor insights, global tables, imports, Kinesis destinations...) is answered
  as DynamoDB Local answers the operations it lacks: HTTP 400 ``UnknownOperationException``, not
  moto's ``NotImplementedError`` as a 500 (terraform-provider-aws issue 1059, localstack issue
  6909: DynamoDB Local's ``DescribeTimeToLive`` and ``DescribeContinuousBackups``). ``ListExports``
  without its optional ``TableArn`` (a ``KeyError`` in moto) lists every table's exports.
* **Crashes.** An exception moto raises (not one of its DynamoDB errors) is logged with
  ``INTERNAL_ERROR_MARK`` and answered ``InternalServerError`` (HTTP 500, retryable), never a
  ValidationException quoting Python.

* **Leaks past IAM.** moto 5.2.1's ``TransactGetItems`` ignores each ``Get``'s
  ``ProjectionExpression`` and returns whole items, so a policy limiting ``dynamodb:Attributes``
  would be bypassed; it is answered instead by one ``GetItem`` per entry (atomic, since calls
  hold the tables' locks), which honours projections, and without moto's limit of 25 entries (DynamoDB
  allows 100). moto also ignores the legacy ``AttributesToGet`` of GetItem, Query and Scan
  (whole items again); it is rewritten into the equivalent ``ProjectionExpression``.
* **Half-applied failures.** A call moto answers with an error is undone item by item
  (``moto_models.py``).
* **Request checks** moto lacks are made before any backend is called, by the gateway
  (``webapp.dynamodb.validation``), for this engine and upstreams alike.
* Unrequested ``ConsumedCapacity`` / ``ItemCollectionMetrics`` are dropped (``metering.py``),
  and error messages use the service model's member spelling (``errors.py``).
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Mapping
from functools import cache
from typing import Any

from botocore.model import ServiceModel  # type: ignore[import-untyped]
from moto.core.utils import camelcase_to_underscores
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.responses import DynamoHandler
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from webapp import aws_models
from webapp.backend.errors import (
    VALIDATE_NAMESPACE,
    DynamoDBError,
    DynamoDBValidationException,
    InternalServerError,
)
from webapp.backend.fast_reads import OPERATIONS as FAST_READS
from webapp.backend.fast_reads import WRITE_OPERATIONS as FAST_WRITES
from webapp.backend.fast_reads import FastReads
from webapp.backend.moto_models import SerialDynamoDBBackend
from webapp.backend.semantics import Semantics

log = logging.getLogger(__name__)

TARGET_PREFIX = "DynamoDB_20120810."


def service_model() -> ServiceModel:
    return aws_models.service_model("dynamodb")


class MotoEngine:
    """One private moto DynamoDB backend and the handler that speaks its wire protocol."""

    def __init__(self, region: str, account_id: str, models: DynamoDBBackend | None = None) -> None:
        self.region = region
        self.account_id = account_id
        self.models: DynamoDBBackend = models or SerialDynamoDBBackend(region, account_id)
        private = self.models

        class _Handler(DynamoHandler):
            @property
            def dynamodb_backend(self) -> DynamoDBBackend:
                return private

        self._handler = _Handler
        self._fast: FastReads | None = FastReads(_Handler, service_model(), self.models)
        self._url = f"https://dynamodb.{region}.amazonaws.com/"
        self.semantics = Semantics(MotoStorage(self.models), self._route)

    def call(self, operation: str, params: Mapping[str, Any]) -> dict[str, Any]:
        """The response body of ``operation``; raises ``DynamoDBError`` as moto's server would."""
        if operation not in service_model().operation_names:
            raise DynamoDBError("", code="UnknownOperationException", status=400,
                                namespace="com.amazon.coral.service")
        if not moto_implements(operation):
            raise DynamoDBError(f"An unknown operation was requested: the local stack does not implement {operation}",
                                code="UnknownOperationException", status=400, namespace="com.amazon.coral.service")
        if operation == "ListExports" and "TableArn" not in params:
            return self._list_all_exports()
        if operation in ("GetItem", "Query", "Scan") and "AttributesToGet" in params:
            params = legacy_projection(params)
        return self.semantics.call(operation, params)

    def _list_all_exports(self) -> dict[str, Any]:
        """``ListExports`` without ``TableArn``: every table's exports (API Reference, ListExports:
        ``TableArn`` is optional), in moto's summary shape."""
        exports = list(getattr(self.models, "table_exports", {}).values())
        return {"ExportSummaries": [{"ExportArn": e.arn, "ExportStatus": e.status, "ExportType": e.export_type}
                                    for e in exports]}

    def _route(self, operation: str, params: Mapping[str, Any]) -> dict[str, Any]:
        """moto's answer (``semantics`` decides what DynamoDB decides itself first)."""
        if operation == "TransactGetItems":
            return self._transact_get_items(params)
        if operation in FAST_READS:
            return self._read(operation, params)
        if operation in FAST_WRITES:
            return self._write(operation, params)
        return self._dispatch(operation, params)

    def _read(self, operation: str, params: Mapping[str, Any]) -> dict[str, Any]:
        """A read by the direct path (``fast_reads.py``), else by moto's handler over HTTP."""
        if self._fast is not None:
            answer = self._fast.call(operation, params)
            if answer is not None:
                return answer
        return self._dispatch(operation, params)

    def _write(self, operation: str, params: Mapping[str, Any]) -> dict[str, Any]:
        """A write by the direct path in an undo section; if that path does not answer (a moto
        error included), the section is rolled back and the ordinary path answers."""
        undo = self.models if isinstance(self.models, SerialDynamoDBBackend) else None
        if self._fast is None or undo is None:
            return self._dispatch(operation, params)
        undo.begin()
        try:
            answer = self._fast.call(operation, params)
        except BaseException:
            undo.rollback()
            raise
        if answer is None:
            undo.rollback()
            return self._dispatch(operation, params)
        undo.commit()
        return answer

    def _dispatch(self, operation: str, params: Mapping[str, Any]) -> dict[str, Any]:
        body = json.dumps(params)
        headers: Any = {
            "Content-Type": "application/x-amz-json-1.0",
            "X-Amz-Target": TARGET_PREFIX + operation,
            "x-moto-account-id": self.account_id,
        }
        environ = EnvironBuilder(
            method="POST",
            path="/",
            base_url=self._url.rstrip("/"),
            data=body,
            headers=headers,
        ).get_environ()
        request = Request(environ)
        undo = self.models if isinstance(self.models, SerialDynamoDBBackend) else None
        if undo is not None:
            undo.begin()
        try:
            status, text = self._run(operation, request)
        except BaseException:
            if undo is not None:
                undo.rollback()
            raise
        if undo is not None:  # a failed call changes nothing, as in DynamoDB
            if status >= 300:
                undo.rollback()
            else:
                undo.commit()
        if status >= 300:
            error = DynamoDBError.from_wire(status, text)
            if error.code == "ValidationException":
                # moto writes its validation errors in the service's namespace; DynamoDB sends
                # every ValidationException from its front end (dynalite test/helpers.js
                # assertValidation: com.amazon.coral.validate#ValidationException, recorded live).
                error.namespace = VALIDATE_NAMESPACE
            raise error
        result = json.loads(text or "{}")
        return result if isinstance(result, dict) else {}

    def _run(self, operation: str, request: Request) -> tuple[int, str]:
        try:
            status, _headers, text = self._handler.dispatch(request, self._url, request.headers)
        except DynamoDBError:
            raise
        except Exception as error:  # a moto crash: ours to fix, never the client's fault
            raise internal_error(operation, error) from error
        return int(status), str(text)

    def _transact_get_items(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """API Reference, TransactGetItems: up to 100 ``Get``s, one item at most once, answered
        in order with ``{"Item": ...}`` or ``{}`` for an absent item."""
        gets = [entry["Get"] for entry in params["TransactItems"]]
        seen: set[str] = set()
        for get in gets:
            identity = json.dumps([get["TableName"], get["Key"]], sort_keys=True)
            if identity in seen:
                raise DynamoDBValidationException("Transaction request cannot include multiple operations on one item")
            seen.add(identity)
        responses = []
        for get in gets:
            request = {"TableName": get["TableName"], "Key": get["Key"], "ConsistentRead": True}
            for name in ("ProjectionExpression", "ExpressionAttributeNames"):
                if name in get:
                    request[name] = get[name]
            found = self._read("GetItem", request)
            responses.append({"Item": found["Item"]} if "Item" in found else {})
        return {"Responses": responses}


@cache
def moto_implements(operation: str) -> bool:
    """Whether moto's DynamoDB handler has a method for ``operation`` (its dispatch looks the
    operation up by its snake_case name and raises ``NotImplementedError`` without one)."""
    return callable(getattr(DynamoHandler, camelcase_to_underscores(operation), None))


#: Marks every crash the engine turned into an InternalServerError in the log; the test suite
#: fails when a stack's log holds it (``tests/conftest.py``).
INTERNAL_ERROR_MARK = "INTERNAL ERROR in the DynamoDB engine"


def internal_error(operation: str, error: BaseException) -> InternalServerError:
    """An exception moto raised where DynamoDB answers: logged with its traceback, answered as
    DynamoDB answers its own failures - ``InternalServerError``, HTTP 500, which SDKs retry
    (API Reference, "Common Errors") - and never with Python's text, which would tell the client
    nothing it can act on and pretend the request was at fault."""
    log.error("%s on %s: %r", INTERNAL_ERROR_MARK, operation, error, exc_info=error)
    return InternalServerError()


class MotoStorage:
    """What the semantic layer reads from moto directly: key schemas and stored items."""

    def __init__(self, models: DynamoDBBackend) -> None:
        self.models = models

    def key_names(self, table: str, index: str | None = None) -> tuple[str, ...] | None:
        found = self.models.tables.get(table)
        if found is None:
            return None
        if index is None:
            return tuple(name for name in (found.hash_key_attr, found.range_key_attr) if name)
        for candidate in found.all_indexes():
            if candidate.name == index:
                ordered = sorted(candidate.schema, key=lambda k: k.get("KeyType") != "HASH")
                return tuple(str(k["AttributeName"]) for k in ordered)
        return ()

    def index_names(self, table: str) -> tuple[str, ...]:
        """The names of the table's secondary indexes, global then local, in definition order."""
        found = self.models.tables.get(table)
        return tuple(str(index.name) for index in found.all_indexes()) if found is not None else ()

    def attribute_type(self, table: str, name: str) -> str | None:
        """The type ``AttributeDefinitions`` gives ``name`` (``S``, ``N``, ``B``), if any."""
        found = self.models.tables.get(table)
        for definition in (found.attr or ()) if found is not None else ():
            if definition.get("AttributeName") == name:
                return str(definition.get("AttributeType"))
        return None

    def local_index_projection(self, table: str, index: str) -> str | None:
        """The ``ProjectionType`` of the table's local secondary index ``index``; ``None`` when
        there is no such local index."""
        found = self.models.tables.get(table)
        for candidate in found.indexes if found is not None else ():
            if candidate.name == index:
                return str((candidate.projection or {}).get("ProjectionType", "ALL"))
        return None

    def current_item(self, table: str, key: Mapping[str, Any]) -> dict[str, Any] | None:
        found = self.models.tables.get(table)
        names = self.key_names(table)
        if found is None or not names:
            return None
        hash_key = DynamoType(dict(key[names[0]]))
        range_key = DynamoType(dict(key[names[1]])) if len(names) > 1 else None
        item = found.get_item(hash_key, range_key)
        if item is None:
            return None
        attributes: dict[str, Any] = wire_item(item.to_json()["Attributes"])
        return attributes


def wire_item(value: Any) -> Any:
    """moto's stored form (binaries as Python bytes) as the wire carries it (base64 text)."""
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, dict):
        return {k: wire_item(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [wire_item(v) for v in value]
    return value


EXPRESSION_PARAMETERS = ("ProjectionExpression", "KeyConditionExpression", "FilterExpression",
                         "ExpressionAttributeNames", "ExpressionAttributeValues")


def legacy_projection(params: Mapping[str, Any]) -> dict[str, Any]:
    """``AttributesToGet: [a, b]`` as ``ProjectionExpression: "#p0, #p1"`` (names go through
    placeholders, so reserved words and dots stay literal attribute names). DynamoDB refuses to
    mix the legacy and the expression parameters (Developer Guide, "Legacy conditional
    parameters")."""
    mixed = [name for name in EXPRESSION_PARAMETERS if name in params]
    if mixed:
        raise DynamoDBValidationException(
            "Can not use both expression and non-expression parameters in the same request: "
            f"Non-expression parameters: {{AttributesToGet}} Expression parameters: {{{', '.join(mixed)}}}"
        )
    rewritten = {k: v for k, v in params.items() if k != "AttributesToGet"}
    names = params["AttributesToGet"]
    if not isinstance(names, list) or not names:
        raise DynamoDBValidationException(
            "1 validation error detected: Value '[]' at 'attributesToGet' failed to satisfy "
            "constraint: Member must have length greater than or equal to 1"
        )
    placeholders = {f"#p{i}": str(name) for i, name in enumerate(names)}
    rewritten["ProjectionExpression"] = ", ".join(placeholders)
    rewritten["ExpressionAttributeNames"] = placeholders
    return rewritten
