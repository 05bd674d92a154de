"""The AWS Query protocol, both ways, driven by botocore's own service models.

IAM and STS speak it: a form-encoded request (``Action=CreateRole&Version=2010-05-08&...``, lists
as ``Name.member.N``) and an XML response ``<OpResponse><OpResult>...</OpResult>
<ResponseMetadata><RequestId>`` (errors: ``<ErrorResponse><Error><Type><Code><Message>``). Reading
the request and writing the response from the botocore model of the operation, the same model the
SDKs parse with, makes every response shape exactly what botocore expects (lists as ``<member>``,
timestamps as ISO 8601, booleans as ``true``/``false``), without a hand-written template per
action. Sources: AWS "Query API request" docs; botocore ``parsers.QueryParser``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any
from xml.sax.saxutils import escape

from botocore.model import ListShape, OperationModel, Shape, StructureShape  # type: ignore[import-untyped]

from iam_policies.errors import AwsError
from webapp.aws_models import service_model as service_model


class ParameterError(Exception):
    """A parameter is not of its declared type; ``name`` is the wire name."""

    def __init__(self, name: str, expected: str) -> None:
        super().__init__(f"{name}: {expected}")
        self.name = name
        self.expected = expected


def parse_params(operation: OperationModel, form: Mapping[str, str]) -> dict[str, Any]:
    """The operation's input as botocore would have built it, from the flat form parameters."""
    shape = operation.input_shape
    if shape is None:
        return {}
    return _parse_structure(shape, form, "")


def _parse_structure(shape: StructureShape, form: Mapping[str, str], prefix: str) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for name, member in shape.members.items():
        key = prefix + member.serialization.get("name", name)
        value = _parse_value(member, form, key)
        if value is not None:
            result[name] = value
    return result


def _parse_value(shape: Shape, form: Mapping[str, str], key: str) -> Any:
    if isinstance(shape, StructureShape):
        if not any(k.startswith(key + ".") for k in form):
            return None
        return _parse_structure(shape, form, key + ".")
    if isinstance(shape, ListShape):
        if key in form and form[key] == "":
            return []  # botocore sends an empty list as "Name="
        items = []
        index = 1
        while True:
            item = _parse_value(shape.member, form, f"{key}.member.{index}")
            if item is None:
                break
            items.append(item)
            index += 1
        return items if items else None
    if key not in form:
        return None
    raw = form[key]
    if shape.type_name in ("integer", "long"):
        try:
            return int(raw)
        except ValueError:
            raise ParameterError(key, "an integer") from None
    if shape.type_name == "boolean":
        if raw.lower() not in ("true", "false"):
            raise ParameterError(key, "true or false")
        return raw.lower() == "true"
    return raw


def response_xml(service: str, operation: str, result: Mapping[str, Any] | None, request_id: str) -> bytes:
    """``<{operation}Response>`` with the result serialized per the operation's output shape."""
    model = service_model(service)
    op = model.operation_model(operation)
    xmlns = model.metadata["xmlNamespace"]
    parts = [f'<{operation}Response xmlns="{xmlns}">']
    shape = op.output_shape
    if shape is not None and result is not None:
        wrapper = shape.serialization.get("resultWrapper", f"{operation}Result")
        parts.append(f"<{wrapper}>")
        parts.append(_structure_xml(shape, result))
        parts.append(f"</{wrapper}>")
    parts.append(f"<ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata>")
    parts.append(f"</{operation}Response>")
    return "".join(parts).encode()


def _structure_xml(shape: StructureShape, value: Mapping[str, Any]) -> str:
    out = []
    for name, member in shape.members.items():
        if name not in value or value[name] is None:
            continue
        tag = member.serialization.get("name", name)
        out.append(f"<{tag}>{_value_xml(member, value[name])}</{tag}>")
    return "".join(out)


def _value_xml(shape: Shape, value: Any) -> str:
    if isinstance(shape, StructureShape):
        return _structure_xml(shape, value)
    if isinstance(shape, ListShape):
        tag = shape.member.serialization.get("name", "member")
        return "".join(f"<{tag}>{_value_xml(shape.member, item)}</{tag}>" for item in value)
    if shape.type_name == "timestamp":
        return _iso(value)
    if shape.type_name == "boolean":
        return "true" if value else "false"
    return escape(str(value))


def _iso(value: float | dt.datetime) -> str:
    if isinstance(value, (int, float)):
        value = dt.datetime.fromtimestamp(value, dt.UTC)
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def error_xml(service: str, error: AwsError, request_id: str) -> bytes:
    """``<ErrorResponse>`` as IAM and STS send it (fgac-semantics §E.2)."""
    xmlns = service_model(service).metadata["xmlNamespace"]
    return (
        f'<ErrorResponse xmlns="{xmlns}"><Error><Type>{error.fault}</Type>'
        f"<Code>{escape(error.code)}</Code><Message>{escape(error.message)}</Message></Error>"
        f"<RequestId>{request_id}</RequestId></ErrorResponse>"
    ).encode()
