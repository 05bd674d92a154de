"""What a role is *meant* to allow, as data: the intent file that ``prove`` checks a policy against.

An intent says who the caller is (the policy variable that names them), the tables (in the
``tables`` format of ``shared/spec/fgac-cases.json``), and a list of ``allow`` rules: which
table or index, which partitions (``own``, ``any`` or a ``like`` pattern), which kinds of access
(``read``, ``write``, ``create``, ``delete``) and which top-level attributes may be read or
written. Anything a policy allows outside every rule is a violation. The format is documented in
``docs/intent.md``; this module is its one loader, so every reader gets the same typed value and
every bad file the same one-line error (``IntentError``, naming the JSON path).

Intent is kept apart from mechanism on purpose (STYLE.md 15; Cedar keeps schemas and policies
apart the same way): the rules speak of partitions and attributes, never of condition keys, so
the same intent can judge any policy that claims to implement it.

Shipped intents sit in ``iam_policies/intents/<template>.json`` beside the policy templates and
may use the templates' ``{{Name}}`` parameters (rendered with the same values).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from iam_policies import shipped
from iam_policies.render import Value
from iam_policies.schema import TableSchema

ACCESS = ("read", "write", "create", "delete")
Access = Literal["read", "write", "create", "delete"]

#: Control-plane operations an intent may allow by name (they touch no item): ``control_plane``.
CONTROL_PLANE = frozenset({
    "DescribeTable", "ListTables", "DescribeLimits", "DescribeEndpoints", "DescribeTimeToLive",
    "DescribeContinuousBackups", "DescribeContributorInsights", "DescribeKinesisStreamingDestination",
    "DescribeTableReplicaAutoScaling", "ListTagsOfResource", "ListStreams", "DescribeStream", "ListBackups",
    "ListGlobalTables", "ListContributorInsights", "ListExports", "ListImports", "GetResourcePolicy",
    "CreateTable", "UpdateTable", "DeleteTable", "UpdateTimeToLive", "UpdateContinuousBackups",
    "UpdateContributorInsights", "UpdateTableReplicaAutoScaling", "CreateBackup", "DescribeBackup", "DeleteBackup",
    "EnableKinesisStreamingDestination", "DisableKinesisStreamingDestination", "UpdateKinesisStreamingDestination",
    "TagResource", "UntagResource", "PutResourcePolicy", "DeleteResourcePolicy", "ExportTableToPointInTime",
    "DescribeExport", "DescribeGlobalTable", "DescribeGlobalTableSettings", "GetShardIterator",
    "RestoreTableFromBackup", "RestoreTableToPointInTime", "ImportTable", "DescribeImport", "CreateGlobalTable",
    "UpdateGlobalTable", "UpdateGlobalTableSettings", "StartBulkPutItems", "DescribeBulkOperation",
    "ListBulkOperations", "CancelBulkOperation", "StartAwsBackupJob", "RestoreTableFromAwsBackup",
    "CreateTableReplica", "DeleteTableReplica", "InjectError", "GetAbacStatus", "UpdateAbacStatus",
})

_VARIABLE = re.compile(r"^\$\{([^${}*?]+)\}$")
_TOP_LEVEL = re.compile(r"^[^.\[\]]+$")
_IDENTITY_SLOT = "${identity}"


class IntentError(ValueError):
    """An intent that cannot be used as written; the message names the JSON path and the fix."""


@dataclass(frozen=True)
class Partition:
    """Which partitions a rule covers: the caller's own, any, or those matching a glob pattern.

    ``pattern`` keeps the identity as ``${identity}``; ``*`` is any run of characters (empty
    included) and ``?`` exactly one, as in IAM's ``StringLike``; everything else is literal.
    """

    kind: Literal["own", "any", "like"]
    pattern: str | None = None

    def matches(self, value: str, identity: str) -> bool:
        if self.kind == "any":
            return True
        if self.kind == "own":
            return value == identity
        assert self.pattern is not None
        return _glob(self.pattern, identity).fullmatch(value) is not None

    def describe(self) -> str:
        return self.kind if self.kind != "like" else f"like {self.pattern}"


def _glob(pattern: str, identity: str) -> re.Pattern[str]:
    parts = pattern.split(_IDENTITY_SLOT)
    regex = re.escape(identity).join(
        "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in part) for part in parts
    )
    return re.compile(regex, re.DOTALL)


#: ``None`` means ``"*"``: every attribute.
Attributes = frozenset[str] | None


@dataclass(frozen=True)
class Rule:
    """One ``allow`` entry. ``index`` is ``None`` for the table itself."""

    table: str
    index: str | None
    partition: Partition
    access: frozenset[str]
    read_attributes: Attributes = None
    write_attributes: Attributes = None
    #: Position in the file's ``allow`` list (for messages).
    position: int = 0

    @property
    def label(self) -> str:
        where = self.table + (f"/index/{self.index}" if self.index else "")
        return f"allow[{self.position}] ({where}, partition {self.partition.describe()}, {'/'.join(sorted(self.access))})"


@dataclass(frozen=True)
class Intent:
    """A loaded, checked intent."""

    #: The policy variable naming the caller, as written: ``${www.amazon.com:user_id}``.
    identity: str
    #: The variable's key (``www.amazon.com:user_id``): where ``prove`` puts the caller's value.
    identity_key: str
    principal_vars: Mapping[str, str | list[str]]
    #: The ``tables`` object as given (case format), and the same as key schemas.
    tables: Mapping[str, Any]
    schemas: Mapping[str, TableSchema]
    allow: tuple[Rule, ...]
    control_plane: frozenset[str] = field(default_factory=frozenset)

    def rules_for(self, table: str, index: str | None) -> tuple[Rule, ...]:
        return tuple(rule for rule in self.allow if rule.table == table and rule.index == index)


def load_intent(source: str | Path | Mapping[str, Any], params: Mapping[str, Value] | None = None) -> Intent:
    """Load an intent from a file path, a shipped intent's name, JSON text or a decoded mapping.

    ``params`` renders ``{{Name}}`` template parameters (as ``render`` does for templates); an
    intent that still has placeholders without ``params`` is an error saying so.
    """
    data = _read(source)
    if params is None:
        from iam_policies.render import placeholders_in

        found = sorted(placeholders_in(data))
        if found:
            raise IntentError(f"intent uses the template parameter {{{{{found[0]}}}}}; render it for a deployment "
                              "(the prove command's deployment options) or write the values out")
    else:
        from iam_policies.render import TemplateError, render_value

        try:
            data = render_value(data, params, name="intent")
        except TemplateError as exc:
            raise IntentError(str(exc)) from None
    return parse_intent(data)


def shipped_intents() -> list[str]:
    """Names of the intents shipped beside the templates (``user-role``, ...)."""
    return shipped.names("intents")


def shipped_intent_text(name: str) -> str:
    text = shipped.text("intents", name)
    if text is None:
        stem = name[: -len(".json")] if name.endswith(".json") else name
        raise IntentError(f"no shipped intent {stem!r}; shipped: {', '.join(shipped_intents()) or 'none'}")
    return text


def _read(source: str | Path | Mapping[str, Any]) -> Any:
    if isinstance(source, Mapping):
        return source
    text: str
    where = str(source)
    path = Path(source)
    if isinstance(source, Path) or path.suffix == ".json" or "/" in where or path.exists():
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise IntentError(f"cannot read intent {where}: {exc.strerror}") from None
        except UnicodeDecodeError:
            raise IntentError(f"intent {where} is not UTF-8 text") from None
    elif where.lstrip().startswith("{"):
        text, where = where, "intent"
    else:
        text = shipped_intent_text(where)
    try:
        return json.loads(text)
    except ValueError as exc:
        raise IntentError(f"{where} is not valid JSON: {exc}") from None


def parse_intent(data: Any) -> Intent:
    """Check and type a decoded intent document; ``IntentError`` names the first problem."""
    if not isinstance(data, Mapping):
        raise IntentError("intent: must be a JSON object with identity, tables and allow")
    unknown = set(data) - {"identity", "principal_vars", "tables", "allow", "control_plane", "description"}
    if unknown:
        raise IntentError(f"intent: unknown field(s) {', '.join(sorted(unknown))}; "
                          "known: identity, principal_vars, tables, allow, control_plane, description")
    raw_identity = data.get("identity")
    match = _VARIABLE.match(raw_identity) if isinstance(raw_identity, str) else None
    if match is None:
        raise IntentError('intent.identity: must be one policy variable, e.g. "${www.amazon.com:user_id}", '
                          f"not {raw_identity!r}")
    identity = match.group(0)
    principal_vars = data.get("principal_vars", {})
    if not isinstance(principal_vars, Mapping) or not all(
        isinstance(k, str) and (isinstance(v, str) or (isinstance(v, list) and all(isinstance(i, str) for i in v)))
        for k, v in principal_vars.items()
    ):
        raise IntentError("intent.principal_vars: must be an object of strings (or lists of strings, for "
                          "multivalued keys such as cognito-identity.amazonaws.com:amr)")
    if match.group(1).lower() in {k.lower() for k in principal_vars}:
        raise IntentError(f"intent.principal_vars: must not set the identity {match.group(1)} (prove chooses "
                          "the caller's and another user's values)")
    tables, schemas = _tables(data.get("tables"))
    rules = data.get("allow")
    if not isinstance(rules, list):
        raise IntentError("intent.allow: must be a list of rules (an empty list allows nothing)")
    allow = tuple(_rule(entry, i, schemas, identity) for i, entry in enumerate(rules))
    control = data.get("control_plane", [])
    if not isinstance(control, list) or not all(isinstance(c, str) for c in control):
        raise IntentError("intent.control_plane: must be a list of operation names")
    for name in control:
        if name not in CONTROL_PLANE:
            raise IntentError(f"intent.control_plane: {name!r} is not a control-plane operation; "
                              f"known: {', '.join(sorted(CONTROL_PLANE))}")
    return Intent(identity, match.group(1), dict(principal_vars), tables, schemas, allow, frozenset(control))


def _tables(value: Any) -> tuple[dict[str, Any], dict[str, TableSchema]]:
    if not isinstance(value, Mapping) or not value:
        raise IntentError("intent.tables: must be an object of tables in the fgac-cases.json format, "
                          '{"Name": {"partition_key": "...", "sort_key": "...", "indexes": {...}}}')
    schemas: dict[str, TableSchema] = {}
    for name, spec in value.items():
        path = f"intent.tables.{name}"
        if not isinstance(spec, Mapping) or not isinstance(spec.get("partition_key"), str):
            raise IntentError(f"{path}: needs a partition_key (string)")
        if spec.get("sort_key") is not None and not isinstance(spec.get("sort_key"), str):
            raise IntentError(f"{path}.sort_key: must be a string")
        extra = set(spec) - {"partition_key", "sort_key", "indexes", "note"}
        if extra:
            raise IntentError(f"{path}: unknown field(s) {', '.join(sorted(extra))}")
        indexes = spec.get("indexes", {})
        if not isinstance(indexes, Mapping):
            raise IntentError(f"{path}.indexes: must be an object")
        for index_name, index in indexes.items():
            where = f"{path}.indexes.{index_name}"
            if not isinstance(index, Mapping) or index.get("type") not in ("GSI", "LSI"):
                raise IntentError(f'{where}.type: must be "GSI" or "LSI"')
            if not isinstance(index.get("partition_key"), str):
                raise IntentError(f"{where}: needs a partition_key (string)")
            if index.get("projection", "ALL") not in ("ALL", "KEYS_ONLY", "INCLUDE"):
                raise IntentError(f'{where}.projection: must be "ALL", "KEYS_ONLY" or "INCLUDE"')
            if index["type"] == "LSI" and index["partition_key"] != spec["partition_key"]:
                raise IntentError(f"{where}: an LSI shares the table's partition key {spec['partition_key']}")
            non_key = index.get("non_key_attributes", [])
            if not isinstance(non_key, list) or not all(isinstance(a, str) for a in non_key):
                raise IntentError(f"{where}.non_key_attributes: must be a list of names")
        schemas[name] = TableSchema.from_case(name, spec)
    return dict(value), schemas


def _rule(entry: Any, position: int, schemas: Mapping[str, TableSchema], identity: str) -> Rule:
    path = f"intent.allow[{position}]"
    if not isinstance(entry, Mapping):
        raise IntentError(f"{path}: must be an object with table, partition and access")
    extra = set(entry) - {"table", "index", "partition", "access", "read_attributes", "write_attributes", "why"}
    if extra:
        raise IntentError(f"{path}: unknown field(s) {', '.join(sorted(extra))}; known: table, index, partition, "
                          "access, read_attributes, write_attributes, why")
    table = entry.get("table")
    if not isinstance(table, str) or table not in schemas:
        raise IntentError(f"{path}.table: {table!r} is not in intent.tables ({', '.join(schemas)})")
    index = entry.get("index")
    if index is not None and index not in schemas[table].indexes:
        raise IntentError(f"{path}.index: {table} has no index {index!r} in intent.tables")
    access = entry.get("access")
    if isinstance(access, str):
        access = [access]
    if not isinstance(access, list) or not access or any(a not in ACCESS for a in access):
        raise IntentError(f"{path}.access: must be a non-empty list of {', '.join(ACCESS)}")
    if index is not None and set(access) != {"read"}:
        raise IntentError(f'{path}.access: an index is read-only, so its rules take ["read"] only')
    return Rule(
        table=table,
        index=index,
        partition=_partition(entry.get("partition"), f"{path}.partition", identity),
        access=frozenset(access),
        read_attributes=_attributes(entry.get("read_attributes", "*"), f"{path}.read_attributes"),
        write_attributes=_attributes(entry.get("write_attributes", "*"), f"{path}.write_attributes"),
        position=position,
    )


def _partition(value: Any, path: str, identity: str) -> Partition:
    if value in ("own", "any"):
        return Partition(value)
    if isinstance(value, Mapping) and set(value) == {"like"} and isinstance(value["like"], str) and value["like"]:
        pattern = value["like"].replace(identity, _IDENTITY_SLOT)
        leftover = pattern.replace(_IDENTITY_SLOT, "")
        if "${" in leftover:
            raise IntentError(f"{path}.like: only the identity ({identity} or ${{identity}}) may appear as a "
                              f"variable, not in {value['like']!r}")
        return Partition("like", pattern)
    raise IntentError(f'{path}: must be "own", "any" or {{"like": "${{identity}}~*"}}, not {json.dumps(value)}')


def _attributes(value: Any, path: str) -> Attributes:
    if value == "*":
        return None
    if not isinstance(value, list) or not all(isinstance(a, str) and a for a in value):
        raise IntentError(f'{path}: must be "*" or a list of top-level attribute names')
    for name in value:
        if not _TOP_LEVEL.match(name):
            raise IntentError(f"{path}: {name!r} is not a top-level attribute name (no '.' or '[')")
    return frozenset(value)
