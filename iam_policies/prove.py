"""Prove that a policy allows nothing its intent does not: over every request any user could send.

``prove(intent, policy)`` answers the admin's question, *can any request by one user reach
another user's data, or an attribute they must not see?*, by exhausting equivalence classes of
requests and deciding each with the project's own engine (``iam_policies.dynamodb.derive`` then
``iam_policies.evaluate.evaluate``), so every counterexample is by construction what
``simulate`` (and the local stack) decides for it.

Why equivalence classes and not an SMT solver
--------------------------------------------
IAM decides a DynamoDB request from its derived authorizations alone: per authorization the
action, the resource ARN and the condition-key context (LeadingKeys, Attributes, Select,
ReturnValues, EnclosingOperation, ReturnConsumedCapacity, FullTableScan) plus the caller's
principal keys. Two requests with the same authorizations get the same decision, whatever else
they carry (ConsistentRead, Limit, the text of a condition, values other than the partition key,
legacy versus expression spelling). A policy can only tell context values apart through the tests
its conditions make, and the intent only through its partition patterns and attribute lists. So
the space of requests falls into finitely many classes: for each context key, the values that
agree on every test any condition and any intent rule makes are interchangeable. An SMT encoding
would have to re-implement derivation and evaluation (and drift from them); enumerating one
witness per class runs the real code and hands back a request that can be replayed unchanged.

The classes
-----------
- actions: every operation ``derive`` knows (data plane with every batch and transaction member
  kind, PartiQL SELECT/INSERT/UPDATE/DELETE alone and in ExecuteTransaction, stream reads, every
  control-plane operation); the DynamoDB actions it has no derivation for (``UNDERIVED_ACTIONS``)
  are decided on their resource and reported as ``unreplayable``;
- resources: every table and index of the intent, each table's stream, and tables the policy's
  Resource patterns name that the intent does not (plus one table nobody names);
- partition values: the caller's identity, another user's, and witnesses of every pattern the
  policy's ``LeadingKeys`` conditions (of the statements that can apply to that resource) and the
  intent's ``like`` rules contain (each ``*`` filled with nothing, a random suffix, another user's
  identity, or both; each ``?`` with one character), reduced to one per class of equal answers to
  every one of those tests; pairs of classes where a request can carry several values (BatchGetItem,
  BatchWriteItem, Query with ExclusiveStartKey, PartiQL ``IN``);
- attribute names: index key attributes, every name the policy's ``Attributes`` conditions and the
  intent's lists mention, and one name nobody mentions, reduced the same way; sets of up to two
  non-key names (three when a condition on Attributes is ``ForAnyValue`` or a plain operator in an
  Allow, or ``ForAllValues`` in a Deny: the only forms where adding a name can turn a refusal
  into an allow), always with the key names a request must carry;
- request-controlled keys (``_Variants``): every value of ``Select``, ``ReturnValues``,
  ``ReturnValuesOnConditionCheckFailure``, ``ReturnConsumedCapacity`` and every transaction form
  when some condition reads that key; otherwise only the values that change what the request
  does (a read with and without projection, COUNT, ALL_ATTRIBUTES through an index; ReturnValues
  NONE and ALL_OLD), since a key no condition reads cannot change the decision.

Why that is complete: along each dimension every class has a witness, the decision of a set-valued
key depends only on which classes the set contains, and the sets tried cover every combination
that can make an Allow hold with a forbidden member (``ForAllValues`` tests hold on subsets, so a
single forbidden value suffices; ``ForAnyValue`` needs one extra witness). A transaction or batch
is allowed only if every member is, and members are authorized one by one, so a one-member
request shows any member that goes beyond the intent. ``tests/unit/iam_policies/test_prove_fuzz.py``
checks the argument from outside (random requests from a wider grammar, and weakened policies).
See ``docs/intent.md`` (*What prove cannot decide*) for what falls outside.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from iam_policies.authorization import Authorization
from iam_policies.conditions import FOR_ALL, FOR_ANY, Condition
from iam_policies.dynamodb import OPERATIONS, derive
from iam_policies.errors import AwsError, MalformedPolicyDocument
from iam_policies.evaluate import evaluate
from iam_policies.intent import Intent, Rule
from iam_policies.policy import Policy
from iam_policies.schema import TableSchema

#: The caller's and another user's identity values (what ``${identity}`` resolves to).
OWN = "a11ce000-0000-4000-8000-00000000a11c"
OTHER = "b0b00000-0000-4000-8000-00000000b0b0"
_SUFFIX = "f7adbdade45c"
_FILLERS = ("", _SUFFIX, OTHER, f"{OTHER}~{_SUFFIX}")
UNNAMED_ATTRIBUTE = "AnyOtherAttribute"
UNNAMED_TABLE = "AnyOtherTable"
SORT_VALUE = "s1"
STREAM_LABEL = "2026-01-01T00:00:00.000"

_LEADING = ("dynamodb:leadingkeys", "dynamodb:firstpartitionkeyvalues")
_ATTRIBUTES = "dynamodb:attributes"
_CAPACITY_KEY = "dynamodb:returnconsumedcapacity"
_READS = {"getitem", "batchgetitem", "query", "scan", "partiqlselect"}
_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_ARN = re.compile(r"^arn:[^:]*:dynamodb:[^:]*:[^:]*:table/([^/]+)(?:/(index|stream)/(.+))?$")
_RETURN_VALUES = ("NONE", "ALL_OLD", "UPDATED_OLD", "ALL_NEW", "UPDATED_NEW")
_SELECTS = (None, "ALL_ATTRIBUTES", "ALL_PROJECTED_ATTRIBUTES", "SPECIFIC_ATTRIBUTES", "COUNT")


class ProveError(ValueError):
    """Input prove cannot work with (bad policy); one line, for exit code 2."""


@dataclass(frozen=True)
class Counterexample:
    """A request the policy allows and the intent does not, as a case ``simulate`` can run."""

    case: dict[str, Any]
    violates: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {**self.case, "violates": list(self.violates)}


@dataclass(frozen=True)
class Proof:
    holds: bool
    counterexamples: tuple[Counterexample, ...]
    #: Intended access that no allowed request uses (warnings).
    unreachable: tuple[str, ...]
    #: Requests decided (each a real derive + evaluate).
    requests: int
    notes: tuple[str, ...] = ()
    #: Counterexamples found beyond those listed (one is kept per operation and violation).
    more: int = 0
    #: Allowed actions the engine has no API derivation for (so ``simulate`` cannot replay them),
    #: decided directly on their resource: ``{"action", "resource", "violates"}``.
    unreplayable: tuple[dict[str, Any], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "holds": self.holds,
            "counterexamples": [c.to_dict() for c in self.counterexamples],
            "unreplayable": [dict(u) for u in self.unreplayable],
            "unreachable": list(self.unreachable),
            "requests": self.requests,
            "more_counterexamples": self.more,
            "notes": list(self.notes),
        }


@dataclass
class _Effect:
    kind: str  # read write create delete
    table: str
    index: str | None
    partitions: list[str] | None  # None: every partition
    attributes: set[str] | None  # None: every attribute


@dataclass
class _Checker:
    intent: Intent
    used: set[tuple[int, str]] = field(default_factory=set)
    used_attributes: set[tuple[int, str, str]] = field(default_factory=set)

    def violations(self, auth: Authorization) -> list[str]:
        action = auth.action.split(":", 1)[1].lower()
        match = _ARN.match(auth.resource)
        if match is None:
            return self._control(auth, action)
        table, kind, rest = match.group(1), match.group(2), match.group(3)
        if kind == "stream":
            if action != "getrecords":
                return self._control(auth, action)
            return self._check(_Effect("read", table, None, None, None))
        effects = _effects(action, table, rest if kind == "index" else None, auth.context, self.intent.schemas)
        if effects is None:
            return self._control(auth, action)
        found: list[str] = []
        for effect in effects:
            found += self._check(effect)
        return found

    def _control(self, auth: Authorization, action: str) -> list[str]:
        name = auth.action.split(":", 1)[1]
        operation = next((op for op in self.intent.control_plane if op.lower() == action), None)
        if operation is not None:
            return []
        return [f"calls {name} on {auth.resource} (not in the intent's control_plane)"]

    def _check(self, effect: _Effect) -> list[str]:
        where = effect.table + (f"/index/{effect.index}" if effect.index else "")
        if effect.table not in self.intent.schemas:
            return [f"{_VERB[effect.kind]} table {effect.table}, which the intent does not list"]
        rules = [r for r in self.intent.rules_for(effect.table, effect.index) if effect.kind in r.access]
        found: list[str] = []
        for partition in effect.partitions if effect.partitions is not None else [None]:
            matching = [r for r in rules if _covers(r, partition)]
            shown = "every partition" if partition is None else f"partition {partition}"
            if not matching:
                found.append(f"{_VERB[effect.kind]} {shown} of {where}")
                continue
            for rule in matching:
                self.used.add((rule.position, effect.kind))
            if effect.kind in ("create", "delete"):
                continue
            found += self._attributes(effect, matching, where, shown)
        return found

    def _attributes(self, effect: _Effect, matching: list[Rule], where: str, shown: str) -> list[str]:
        allowed: set[str] = set()
        for rule in matching:
            names = rule.read_attributes if effect.kind == "read" else rule.write_attributes
            if names is None:
                return []
            allowed |= names
        keys = _key_names(self.intent.schemas[effect.table], effect.index)
        if effect.attributes is None:
            what = "reads every attribute" if effect.kind == "read" else "replaces the whole item (writes every attribute)"
            return [f"{what} in {shown} of {where}; the intent allows only {', '.join(sorted(allowed | keys))}"]
        found = []
        for name in sorted(effect.attributes - keys):
            if name in allowed:
                for rule in matching:
                    self.used_attributes.add((rule.position, effect.kind, name))
            else:
                found.append(f"{'reads' if effect.kind == 'read' else 'writes'} attribute {name} in {shown} of {where}")
        return found


_VERB = {"read": "reads", "write": "writes to", "create": "creates an item in", "delete": "deletes from"}


def _covers(rule: Rule, partition: str | None) -> bool:
    if partition is None:
        return rule.partition.kind == "any"
    return rule.partition.matches(partition, OWN)


def _key_names(schema: TableSchema, index: str | None) -> set[str]:
    keys = set(schema.key_names)
    if index is not None and index in schema.indexes:
        spec = schema.indexes[index]
        keys |= {spec.partition_key} | ({spec.sort_key} if spec.sort_key else set())
    return keys


def _effects(action: str, table: str, index: str | None, context: Mapping[str, Any],
             schemas: Mapping[str, TableSchema]) -> list[_Effect] | None:
    """What an authorization does, in the intent's words (docs/intent.md's table)."""
    lk = context.get("dynamodb:LeadingKeys")
    partitions = list(lk) if isinstance(lk, (list, tuple)) and lk else None
    raw = context.get("dynamodb:Attributes")
    attributes = set(raw) if isinstance(raw, (list, tuple)) else set()
    select = context.get("dynamodb:Select")
    whole_old = context.get("dynamodb:ReturnValues") in ("ALL_OLD", "ALL_NEW")

    def effect(kind: str, names: set[str] | None) -> _Effect:
        return _Effect(kind, table, index, partitions, names)

    if action == "searchvectors":  # a vector search returns items from anywhere in the table
        return [_Effect("read", table, index, None, None)]
    if action in _READS:
        return [effect("read", _read_names(action, table, index, raw is None, attributes, select, schemas))]
    reads = [effect("read", None if whole_old else set(attributes))]
    if action == "putitem":
        return [effect("create", None), effect("write", None), *reads]
    if action == "updateitem":
        return [effect("create", None), effect("write", attributes), *reads]
    if action == "batchwriteitem":
        return [effect("create", None), effect("write", None), effect("delete", None), *reads]
    if action == "partiqlinsert":
        return [effect("create", None), effect("write", attributes), *reads]
    if action == "partiqlupdate":
        return [effect("write", attributes), *reads]
    if action in ("deleteitem", "partiqldelete"):
        return [effect("delete", None), *reads]
    if action == "conditioncheckitem":
        return reads
    return None


def _read_names(action: str, table: str, index: str | None, unnamed: bool, named: set[str], select: Any,
                schemas: Mapping[str, TableSchema]) -> set[str] | None:
    """The attributes a read can return (None: every attribute), from Select and the names sent.

    No projection (``Select`` ALL_*, a GetItem without projection, ``SELECT *``) returns every
    attribute of a table; of an index, what it projects, except ALL_ATTRIBUTES through an LSI,
    which fetches the rest from the table. A GSI never returns more than it projects ("Global
    secondary index queries cannot fetch attributes from the parent table", Query API reference).
    """
    everything = select in ("ALL_ATTRIBUTES", "ALL_PROJECTED_ATTRIBUTES") or (
        select is None and (action != "partiqlselect" or unnamed))
    schema = schemas.get(table)
    spec = schema.indexes.get(index) if schema is not None and index is not None else None
    if schema is None or spec is None or index is None:
        return None if everything else named
    if spec.type == "LSI" and select == "ALL_ATTRIBUTES":
        return None
    projected = _projected(schema, index, set())
    if everything:
        return projected
    if spec.type == "GSI" and projected is not None:
        return named & projected
    return named


def _projected(schema: TableSchema, index: str, named: set[str]) -> set[str] | None:
    spec = schema.indexes.get(index)
    if spec is None or spec.projection == "ALL":
        return None
    return named | _key_names(schema, index) | set(spec.non_key_attributes if spec.projection == "INCLUDE" else ())


# -- the classes -----------------------------------------------------------------------------------


def _conditions(policies: Sequence[Policy], keys: Iterable[str], resources: Sequence[str] | None = None,
                lookup: Callable[[str], Any] | None = None) -> list[tuple[Condition, bool]]:
    """Conditions on ``keys`` (lower-cased), of the statements that can apply to ``resources``."""
    wanted = set(keys)
    return [
        (condition, statement.effect == "Deny")
        for policy in policies
        for statement in policy.statements
        if resources is None or any(statement.covers_resource(r, lookup or _none) for r in resources)
        for condition in statement.conditions
        if condition.key.lower() in wanted
    ]


def _none(name: str) -> Any:
    return None


def _substitute(text: str, variables: Mapping[str, str | list[str]]) -> str | None:
    """``text`` with its ``${...}`` variables replaced (None when one is unknown or multivalued:
    IAM does not substitute those, S14)."""
    lowered = {k.lower(): v for k, v in variables.items() if isinstance(v, str)}
    missing = False

    def value(match: re.Match[str]) -> str:
        nonlocal missing
        name = match.group(1).split(",")[0].strip().lower()
        if name in ("*", "?", "$"):
            return name
        if name not in lowered:
            missing = True
            return ""
        return lowered[name]

    result = _VARIABLE.sub(value, text)
    return None if missing else result


def _witnesses(pattern: str, glob: bool) -> Iterator[str]:
    if not glob:
        yield pattern
        return
    slots = [i for i, c in enumerate(pattern) if c in "*?"]
    fillers = _FILLERS if len(slots) <= 3 else _FILLERS[:2]
    for choice in itertools.product(fillers, repeat=len(slots)):
        chars = list(pattern)
        for slot, filler in zip(slots, choice, strict=True):
            chars[slot] = filler if pattern[slot] == "*" else "x"
        yield "".join(chars)


def _classes(candidates: Iterable[str], tests: Sequence[Callable[[str], bool]]) -> list[str]:
    """One witness per combination of answers to ``tests`` (first seen wins)."""
    return _classes_of(candidates, tests)[0]


def _classes_of(candidates: Iterable[str],
                tests: Sequence[Callable[[str], bool]]) -> tuple[list[str], dict[str, str]]:
    seen: dict[tuple[bool, ...], str] = {}
    witness_of: dict[str, str] = {}
    for value in candidates:
        if not value:
            continue
        signature = tuple(test(value) for test in tests)
        witness_of[value] = seen.setdefault(signature, value)
    return list(seen.values()), witness_of


@dataclass
class _Space:
    intent: Intent
    policies: Sequence[Policy]
    variables: dict[str, str | list[str]]
    region: str
    account: str
    partition: str
    schemas: dict[str, TableSchema] = field(default_factory=dict)
    tables: dict[str, Any] = field(default_factory=dict)
    #: Per table, each attribute name -> the witness of its class (for the unreachable report).
    aliases: dict[tuple[str, str | None], dict[str, str]] = field(default_factory=dict)

    def lookup(self) -> Callable[[str], Any]:
        lowered = {k.lower(): v for k, v in self.variables.items()}
        return lambda name: lowered.get(name)

    def arns(self, table: str, index: str | None) -> list[str]:
        arn = f"arn:{self.partition}:dynamodb:{self.region}:{self.account}:table/{table}"
        return [f"{arn}/index/{index}"] if index else [arn]

    def mentions(self, key: str) -> bool:
        return bool(_conditions(self.policies, (key,)))

    def partition_values(self, table: str, index: str | None) -> list[str]:
        conditions = _conditions(self.policies, _LEADING, self.arns(table, index), self.lookup())
        candidates = [OWN, OTHER, f"{OTHER}~{OWN}~{_SUFFIX}", f"{OWN}~{OTHER}~{_SUFFIX}"]
        for condition, _ in conditions:
            for raw in condition.values:
                for who in (OWN, OTHER):
                    text = _substitute(raw, {**self.variables, self.intent.identity_key: who})
                    if text is not None:
                        candidates += _witnesses(text, "Like" in condition.base)
        rules = self.intent.rules_for(table, index) if table in self.intent.schemas else ()
        for rule in rules:
            if rule.partition.pattern is not None:
                for who in (OWN, OTHER):
                    candidates += _witnesses(rule.partition.pattern.replace("${identity}", who), True)
        lookup = self.lookup()
        tests = [_holds(c, lookup) for c, _ in conditions]
        tests += [_partition_test(r) for r in rules]
        tests.append(OWN.__eq__)
        return _classes(candidates, tests)

    def attribute_names(self, table: str, index: str | None) -> tuple[list[str], int]:
        """Witness names and the largest set size worth trying (docstring: the classes)."""
        conditions = _conditions(self.policies, (_ATTRIBUTES,), self.arns(table, index), self.lookup())
        schema = self.schemas[table]
        names: list[str] = [n for spec in schema.indexes.values() for n in (spec.partition_key, spec.sort_key) if n]
        for condition, _ in conditions:
            for raw in condition.values:
                text = _substitute(raw, {**self.variables, self.intent.identity_key: OWN})
                if text is not None:
                    names += _witnesses(text, "Like" in condition.base)
        for rule in self.intent.allow:
            if rule.table == table:
                names += sorted(rule.read_attributes or ()) + sorted(rule.write_attributes or ())
        names.append(UNNAMED_ATTRIBUTE)
        keys = _key_names(schema, index)
        names = [n for n in names if n not in keys and _is_name(n)]
        lookup = self.lookup()
        tests = [_holds(c, lookup) for c, _ in conditions]
        table_rules = [r for r in self.intent.allow if r.table == table]
        tests += [frozenset(r.read_attributes or ()).__contains__ for r in table_rules]
        tests += [frozenset(r.write_attributes or ()).__contains__ for r in table_rules]
        widest = 3 if any(
            (c.set_operator in (FOR_ANY, None) and not deny) or (c.set_operator == FOR_ALL and deny)
            for c, deny in conditions if c.base != "Null"
        ) else 2
        witnesses, classes = _classes_of(names, tests)
        self.aliases.setdefault((table, index), {}).update(classes)
        return witnesses, widest


def _holds(condition: Condition, lookup: Callable[[str], Any]) -> Callable[[str], bool]:
    return lambda value: condition.value_holds(value, lookup)


def _partition_test(rule: Rule) -> Callable[[str], bool]:
    return lambda value: _covers(rule, value)


def _is_name(name: str) -> bool:
    return bool(name) and re.fullmatch(r"[A-Za-z0-9_.-]+", name) is not None and "." not in name


def _subsets(names: Sequence[str], widest: int) -> list[tuple[str, ...]]:
    out: list[tuple[str, ...]] = [()]
    for size in range(1, widest + 1):
        out += list(itertools.combinations(names, size))
    return out


# -- requests --------------------------------------------------------------------------------------


def _s(value: str) -> dict[str, str]:
    return {"S": value}


def _value(attribute: str) -> dict[str, str]:
    """What a counterexample writes into ``attribute``: another user's identity, the value that
    does harm in a key or owner attribute (IAM never sees values, so any is allowed alike)."""
    del attribute
    return _s(OTHER)


def _key(schema: TableSchema, partition: str) -> dict[str, Any]:
    key = {schema.partition_key: _s(partition)}
    if schema.sort_key:
        key[schema.sort_key] = _s(SORT_VALUE)
    return key


def _names(attrs: Sequence[str]) -> dict[str, str]:
    return {f"#a{i}": name for i, name in enumerate(attrs)}


def _projection(attrs: Sequence[str]) -> dict[str, Any]:
    return {"ProjectionExpression": ", ".join(_names(attrs)), "ExpressionAttributeNames": _names(attrs)}


def _condition_on(attrs: Sequence[str]) -> dict[str, Any]:
    names = _names(attrs)
    return {"ConditionExpression": " AND ".join(f"attribute_exists({n})" for n in names),
            "ExpressionAttributeNames": names}


@dataclass(frozen=True)
class _Variants:
    """Which values of the request-controlled keys to try.

    A key no condition of the policy reads cannot change the decision, so for it only the
    values that change what the request *does* are tried: ReturnValues NONE and ALL_OLD (whole
    old item), a read with and without projection, plain calls (a transaction member does what
    the plain call does). Keys the policy mentions get every value.
    """

    capacities: tuple[str | None, ...]
    return_values: tuple[str, ...]
    on_failure: bool
    selects: bool
    transactions: bool

    @classmethod
    def of(cls, space: _Space) -> _Variants:
        rv = space.mentions("dynamodb:returnvalues")
        return cls(
            capacities=(None, "TOTAL", "INDEXES") if space.mentions(_CAPACITY_KEY) else (None,),
            return_values=_RETURN_VALUES if rv else ("NONE", "ALL_OLD"),
            on_failure=rv,
            selects=space.mentions("dynamodb:select"),
            transactions=space.mentions("dynamodb:enclosingoperation"),
        )


def _requests(space: _Space) -> Iterator[tuple[str, dict[str, Any]]]:
    variants = _Variants.of(space)
    for table, schema in space.schemas.items():
        yield from _table_requests(space, table, schema, variants)
        for index in schema.indexes:
            yield from _index_requests(space, table, schema, index, variants)
        stream = f"arn:{space.partition}:dynamodb:{space.region}:{space.account}:table/{table}/stream/{STREAM_LABEL}"
        yield "DescribeStream", {"StreamArn": stream}
        yield "GetShardIterator", {"StreamArn": stream, "ShardId": "shardId-00000000000000000000-00000000",
                                   "ShardIteratorType": "TRIM_HORIZON"}
        yield "GetRecords", {"ShardIterator": f"{stream}|0|prove"}
        yield from _control_requests(space, table)
    for operation in _EVERYWHERE:
        yield operation, {}


_EVERYWHERE = ("ListTables", "DescribeLimits", "DescribeEndpoints", "ListStreams", "ListBackups", "ListGlobalTables",
               "ListContributorInsights", "ListExports", "ListImports")


def _with_capacity(params: dict[str, Any], capacity: str | None) -> dict[str, Any]:
    return params if capacity is None else {**params, "ReturnConsumedCapacity": capacity}


def _table_requests(space: _Space, table: str, schema: TableSchema,
                    variants: _Variants) -> Iterator[tuple[str, dict[str, Any]]]:
    partitions = space.partition_values(table, None)
    names, widest = space.attribute_names(table, None)
    subsets = _subsets(names, widest)
    pairs = list(itertools.combinations(partitions, 2))
    for capacity in variants.capacities:
        for partition in partitions:
            key = _key(schema, partition)
            query = {"TableName": table, "KeyConditionExpression": "#pk = :pk",
                     "ExpressionAttributeNames": {"#pk": schema.partition_key},
                     "ExpressionAttributeValues": {":pk": _s(partition)}}
            for attrs in subsets:
                read = {"TableName": table, "Key": key, **(_projection(attrs) if attrs else {})}
                yield "GetItem", _with_capacity(read, capacity)
                if variants.transactions:
                    yield "TransactGetItems", _with_capacity({"TransactItems": [{"Get": read}]}, capacity)
                batch_get: dict[str, Any] = {"Keys": [key], **(_projection(attrs) if attrs else {})}
                yield "BatchGetItem", _with_capacity({"RequestItems": {table: batch_get}}, capacity)
                yield from _write_requests(table, key, attrs, capacity, variants)
                for params in _read_variants(query, attrs, False, variants):
                    yield "Query", _with_capacity(params, capacity)
                if capacity is None:
                    yield from _partiql(table, None, schema, partition, attrs, variants)
        for attrs in subsets:
            for params in _read_variants({"TableName": table}, attrs, False, variants):
                yield "Scan", _with_capacity(params, capacity)
        for values in pairs:
            keys = [_key(schema, v) for v in values]
            for attrs in [(), *((n,) for n in names)]:
                batch_get = {"Keys": keys, **(_projection(attrs) if attrs else {})}
                yield "BatchGetItem", _with_capacity({"RequestItems": {table: batch_get}}, capacity)
                puts = [{"PutRequest": {"Item": {**k, **{a: _value(a) for a in attrs}}}} for k in keys]
                yield "BatchWriteItem", _with_capacity({"RequestItems": {table: puts}}, capacity)
            query = {"TableName": table, "KeyConditionExpression": "#pk = :pk",
                     "ExpressionAttributeNames": {"#pk": schema.partition_key},
                     "ExpressionAttributeValues": {":pk": _s(values[0])},
                     "ExclusiveStartKey": _key(schema, values[1])}
            yield "Query", _with_capacity(query, capacity)
            if capacity is None:
                statement = f'SELECT * FROM "{table}" WHERE "{schema.partition_key}" IN [?, ?]'
                yield "ExecuteStatement", {"Statement": statement, "Parameters": [_s(values[0]), _s(values[1])]}
    yield "ExecuteStatement", {"Statement": f'SELECT * FROM "{table}"'}
    for attrs in subsets:
        if attrs:
            columns = ", ".join(f'"{a}"' for a in attrs)
            yield "ExecuteStatement", {"Statement": f'SELECT {columns} FROM "{table}"'}


def _write_requests(table: str, key: dict[str, Any], attrs: tuple[str, ...], capacity: str | None,
                    variants: _Variants) -> Iterator[tuple[str, dict[str, Any]]]:
    item = {**key, **{a: _value(a) for a in attrs}}
    names = _names(attrs)
    update: dict[str, Any] = {"TableName": table, "Key": key}
    if attrs:
        update["UpdateExpression"] = "SET " + ", ".join(f"{n} = :v{i}" for i, n in enumerate(names))
        update["ExpressionAttributeNames"] = names
        update["ExpressionAttributeValues"] = {f":v{i}": _value(a) for i, a in enumerate(attrs)}
    conditional = {"TableName": table, "Key": key, **(_condition_on(attrs) if attrs else {})}
    put = {"TableName": table, "Item": item}
    failure = (None, "ALL_OLD") if variants.on_failure else (None,)
    for params, operation, member, return_values in (
        (put, "PutItem", "Put", ("NONE", "ALL_OLD")),
        (update, "UpdateItem", "Update", variants.return_values),
        (conditional, "DeleteItem", "Delete", ("NONE", "ALL_OLD")),
    ):
        for rv in return_values:
            yield operation, _with_capacity({**params, "ReturnValues": rv}, capacity)
        for on_failure in failure:
            if on_failure:
                yield operation, _with_capacity({**params, "ReturnValuesOnConditionCheckFailure": on_failure},
                                                capacity)
            if variants.transactions:
                body = {**params, **({"ReturnValuesOnConditionCheckFailure": on_failure} if on_failure else {})}
                yield "TransactWriteItems", _with_capacity({"TransactItems": [{member: body}]}, capacity)
    check = {"TableName": table, "Key": key, **(_condition_on(attrs) if attrs else _condition_on(list(key)))}
    for on_failure in (None, "ALL_OLD"):
        body = {**check, **({"ReturnValuesOnConditionCheckFailure": on_failure} if on_failure else {})}
        yield "TransactWriteItems", _with_capacity({"TransactItems": [{"ConditionCheck": body}]}, capacity)
    yield "BatchWriteItem", _with_capacity({"RequestItems": {table: [{"DeleteRequest": {"Key": key}}]}}, capacity)
    yield "BatchWriteItem", _with_capacity({"RequestItems": {table: [{"PutRequest": {"Item": item}}]}}, capacity)


def _read_variants(base: dict[str, Any], attrs: tuple[str, ...], index: bool,
                   variants: _Variants) -> Iterator[dict[str, Any]]:
    """A projection of ``attrs``, and every Select that takes none (with ``attrs`` in a filter)."""
    merged_names = {**base.get("ExpressionAttributeNames", {}), **_names(attrs)}
    if attrs:
        projected = {**base, "ProjectionExpression": ", ".join(_names(attrs)), "ExpressionAttributeNames": merged_names}
        yield projected
        if variants.selects:
            yield {**projected, "Select": "SPECIFIC_ATTRIBUTES"}
    selects = _SELECTS if variants.selects else (None, "ALL_ATTRIBUTES", "COUNT") if index else (None, "COUNT")
    for select in selects:
        if select == "SPECIFIC_ATTRIBUTES" or (select == "ALL_PROJECTED_ATTRIBUTES" and not index):
            continue
        params = {**base, **({"Select": select} if select else {})}
        if attrs:
            params["FilterExpression"] = " AND ".join(f"attribute_exists({n})" for n in _names(attrs))
            params["ExpressionAttributeNames"] = merged_names
        yield params


def _partiql(table: str, index: str | None, schema: TableSchema, partition: str, attrs: tuple[str, ...],
             variants: _Variants) -> Iterator[tuple[str, dict[str, Any]]]:
    pk = schema.indexes[index].partition_key if index else schema.partition_key
    source = f'"{table}"' + (f'."{index}"' if index else "")
    columns = ", ".join(f'"{a}"' for a in attrs) if attrs else "*"
    select = f'SELECT {columns} FROM {source} WHERE "{pk}" = ?'
    statements = [{"Statement": select, "Parameters": [_s(partition)]}]
    if index is None:
        where = f'"{schema.partition_key}" = ?' + (f' AND "{schema.sort_key}" = ?' if schema.sort_key else "")
        params = [_s(partition)] + ([_s(SORT_VALUE)] if schema.sort_key else [])
        pairs = [f"'{schema.partition_key}': ?"] + ([f"'{schema.sort_key}': ?"] if schema.sort_key else [])
        pairs += [f"'{a}': 'v'" for a in attrs]
        statements.append({"Statement": f'INSERT INTO "{table}" VALUE {{{", ".join(pairs)}}}', "Parameters": params})
        returnings = ("", " RETURNING ALL OLD *", " RETURNING MODIFIED NEW *") if variants.on_failure else (
            "", " RETURNING ALL OLD *")
        if attrs:
            sets = ", ".join(f'"{a}" = \'v\'' for a in attrs)
            for returning in returnings:
                statements.append({"Statement": f'UPDATE "{table}" SET {sets} WHERE {where}{returning}',
                                   "Parameters": params})
        for returning in returnings[:2]:
            statements.append({"Statement": f'DELETE FROM "{table}" WHERE {where}{returning}', "Parameters": params})
    for statement in statements:
        yield "ExecuteStatement", statement
        if variants.transactions:
            yield "ExecuteTransaction", {"TransactStatements": [statement]}


def _index_requests(space: _Space, table: str, schema: TableSchema, index: str,
                    variants: _Variants) -> Iterator[tuple[str, dict[str, Any]]]:
    partitions = space.partition_values(table, index)
    names, widest = space.attribute_names(table, index)
    subsets = _subsets(names, widest)
    pk = schema.indexes[index].partition_key
    for capacity in variants.capacities:
        for partition in partitions:
            query = {"TableName": table, "IndexName": index, "KeyConditionExpression": "#pk = :pk",
                     "ExpressionAttributeNames": {"#pk": pk}, "ExpressionAttributeValues": {":pk": _s(partition)}}
            for attrs in subsets:
                for params in _read_variants(query, attrs, True, variants):
                    yield "Query", _with_capacity(params, capacity)
                if capacity is None:
                    yield from _partiql(table, index, schema, partition, attrs, variants)
        for attrs in subsets:
            for params in _read_variants({"TableName": table, "IndexName": index}, attrs, True, variants):
                yield "Scan", _with_capacity(params, capacity)
    yield "ExecuteStatement", {"Statement": f'SELECT * FROM "{table}"."{index}"'}


def _control_requests(space: _Space, table: str) -> Iterator[tuple[str, dict[str, Any]]]:
    arn = f"arn:{space.partition}:dynamodb:{space.region}:{space.account}:table/{table}"
    by_parameter = {
        "ResourceArn": arn, "BackupArn": f"{arn}/backup/01700000000000-prove",
        "ExportArn": f"{arn}/export/01700000000000-prove", "TableArn": arn,
    }
    for operation in OPERATIONS:
        if operation in _DATA_PLANE or operation in _EVERYWHERE:
            continue
        if operation in ("DescribeGlobalTable", "DescribeGlobalTableSettings"):
            yield operation, {"GlobalTableName": table}
        elif operation in ("DescribeBackup", "DeleteBackup"):
            yield operation, {"BackupArn": by_parameter["BackupArn"]}
        elif operation == "DescribeExport":
            yield operation, {"ExportArn": by_parameter["ExportArn"]}
        elif operation == "ExportTableToPointInTime":
            yield operation, {"TableArn": arn, "S3Bucket": "prove-bucket"}
        elif operation in ("TagResource", "UntagResource", "ListTagsOfResource", "PutResourcePolicy",
                           "GetResourcePolicy", "DeleteResourcePolicy"):
            yield operation, {"ResourceArn": arn}
        else:
            yield operation, {"TableName": table}


_DATA_PLANE = frozenset({
    "GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "Scan", "BatchGetItem", "BatchWriteItem",
    "TransactGetItems", "TransactWriteItems", "ExecuteStatement", "BatchExecuteStatement", "ExecuteTransaction",
    "DescribeStream", "GetShardIterator", "GetRecords",
})


# -- the proof -------------------------------------------------------------------------------------


def _extra_tables(policies: Sequence[Policy], intent: Intent) -> list[str]:
    """Tables a policy's Resource patterns name that the intent does not, plus one nobody names."""
    found: list[str] = []
    for policy in policies:
        for statement in policy.statements:
            for resource in statement.resources or ():
                match = re.search(r":table/([^/]*)", resource)
                if match is None:
                    continue
                name = match.group(1).replace("*", "Other").replace("?", "x")
                if _VARIABLE.search(name) or not re.fullmatch(r"[a-zA-Z0-9_.-]{3,255}", name):
                    continue
                if name not in intent.schemas and name not in found:
                    found.append(name)
    return found + ([UNNAMED_TABLE] if UNNAMED_TABLE not in intent.schemas else [])


def _where(policies: Sequence[Policy]) -> tuple[str, str, str] | None:
    for policy in policies:
        for statement in policy.statements:
            for resource in statement.resources or ():
                match = re.match(r"^arn:([a-z-]+):dynamodb:([a-z0-9-]+):(\d{12}):", resource)
                if match:
                    return match.group(1), match.group(2), match.group(3)
    return None


def parse_policy(document: Any, kind: str) -> Policy:
    try:
        return Policy.parse(document, kind=kind)
    except MalformedPolicyDocument as exc:
        raise ProveError(f"{kind} policy: MalformedPolicyDocument: {exc.reason} (at {exc.path})") from None


def prove(
    intent: Intent,
    policy: Mapping[str, Any],
    session_policy: Mapping[str, Any] | None = None,
    *,
    region: str | None = None,
    account: str | None = None,
    partition: str | None = None,
    limit: int = 1,
) -> Proof:
    """Decide every class of request (module docstring); ``limit`` counterexamples per operation
    and violation are kept."""
    identity = parse_policy(policy, "identity")
    session = [parse_policy(session_policy, "session")] if session_policy is not None else None
    policies = [identity, *(session or [])]
    found = _where(policies) or ("aws", "us-east-1", "123456789012")
    space = _Space(
        intent, policies, {**intent.principal_vars, intent.identity_key: OWN},
        region or found[1], account or found[2], partition or found[0],
    )
    space.schemas = dict(intent.schemas)
    space.tables = {name: dict(spec) for name, spec in intent.tables.items()}
    for name in _extra_tables(policies, intent):
        space.schemas[name] = TableSchema(name, "Id")
        space.tables[name] = {"partition_key": "Id"}
    checker = _Checker(intent)
    decided: dict[Any, bool] = {}
    kept: dict[tuple[str, str], int] = {}
    counterexamples: list[Counterexample] = []
    more = 0
    requests = 0
    seen_params: set[str] = set()
    for operation, params in _requests(space):
        fingerprint = operation + json.dumps(params, sort_keys=True)
        if fingerprint in seen_params:
            continue
        seen_params.add(fingerprint)
        try:
            authorizations = derive(operation, params, schemas=space.schemas, region=space.region,
                                    account=space.account, partition=space.partition)
        except AwsError:
            continue  # refused before any authorization: no access
        requests += 1
        memo = tuple((a.action, a.resource, _freeze(a.context)) for a in authorizations)
        allowed = decided.get(memo)
        if allowed is None:
            allowed = evaluate(authorizations, identity=[identity], session=session, variables=space.variables).allowed
            decided[memo] = allowed
        if not allowed:
            continue
        violations: list[str] = []
        for auth in authorizations:
            for text in checker.violations(auth):
                if text not in violations:
                    violations.append(text)
        if not violations:
            continue
        violations = [_likewise(v, space.aliases) for v in violations]
        shapes = [(operation, _shape(v)) for v in violations]
        if all(kept.get(shape, 0) >= limit for shape in shapes):
            more += 1
            continue
        for shape in shapes:
            kept[shape] = kept.get(shape, 0) + 1
        counterexamples.append(Counterexample(
            _case(len(counterexamples) + 1, space, policy, session_policy, operation, params, authorizations,
                  violations),
            tuple(violations),
        ))
    unreplayable = tuple(_unreplayable(space, checker, identity, session))
    return Proof(
        holds=not counterexamples and not unreplayable,
        unreplayable=unreplayable,
        counterexamples=tuple(counterexamples),
        unreachable=tuple(_unreachable(intent, checker, space.aliases)),
        requests=requests,
        notes=tuple(_notes(policies, space)),
        more=more,
    )


#: IAM actions of DynamoDB (Service Authorization Reference, S2; botocore's dynamodb model) that
#: ``iam_policies.dynamodb`` does not derive from an API request: restores, imports, global-table
#: writes, bulk and vector operations, and permission-only actions. Decided on the table ARN and
#: on ``*`` with no condition keys (S2 lists only aws:ResourceTag-style keys for them).
UNDERIVED_ACTIONS = (
    "RestoreTableFromBackup", "RestoreTableToPointInTime", "ImportTable", "DescribeImport", "CreateGlobalTable",
    "UpdateGlobalTable", "UpdateGlobalTableSettings", "SearchVectors", "StartBulkPutItems", "DescribeBulkOperation",
    "ListBulkOperations", "CancelBulkOperation", "StartAwsBackupJob", "RestoreTableFromAwsBackup", "CreateTableReplica",
    "DeleteTableReplica", "InjectError", "GetAbacStatus", "UpdateAbacStatus", "UpdateTableReplicaAutoScaling",
)


def _unreplayable(space: _Space, checker: _Checker, identity: Policy,
                  session: Sequence[Policy] | None) -> Iterator[dict[str, Any]]:
    arns = [f"arn:{space.partition}:dynamodb:{space.region}:{space.account}:table/{t}" for t in space.schemas]
    for action in UNDERIVED_ACTIONS:
        for resource in ["*", *arns]:
            auth = Authorization(f"dynamodb:{action}", resource, {"aws:RequestedRegion": space.region})
            if not evaluate([auth], identity=[identity], session=session, variables=space.variables).allowed:
                continue
            violations = checker.violations(auth)
            if violations:
                yield {"action": auth.action, "resource": resource, "violates": violations}
                break


_ATTRIBUTE_VIOLATION = re.compile(r"^(reads|writes) attribute (\S+) in .* of ([^/\s]+)(?:/index/(\S+))?$")


def _likewise(violation: str, aliases: Mapping[tuple[str, str | None], Mapping[str, str]]) -> str:
    """Name the other attributes of the witness's class: they are allowed and forbidden alike."""
    match = _ATTRIBUTE_VIOLATION.match(violation)
    if match is None:
        return violation
    witness, table, index = match.group(2), match.group(3), match.group(4)
    same = sorted(n for n, w in aliases.get((table, index), {}).items() if w == witness and n != witness)
    if not same:
        return violation
    shown = [n for n in same if n != UNNAMED_ATTRIBUTE] + (["any attribute nobody names"] if UNNAMED_ATTRIBUTE in same
                                                            else [])
    return f"{violation} (likewise {', '.join(shown)})"


def _shape(violation: str) -> str:
    """A violation with its partition value generalised (for keeping one example per kind)."""
    return re.sub(r"partition \S+", "partition <value>", violation)


def _freeze(context: Mapping[str, Any]) -> tuple[tuple[str, Any], ...]:
    return tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in context.items()))


def _case(number: int, space: _Space, policy: Mapping[str, Any], session_policy: Mapping[str, Any] | None,
          operation: str, params: dict[str, Any], authorizations: Sequence[Authorization],
          violations: Sequence[str]) -> dict[str, Any]:
    resource = next((a.resource for a in authorizations if a.resource.startswith("arn:")),
                    f"arn:{space.partition}:dynamodb:{space.region}:{space.account}:table/{UNNAMED_TABLE}")
    case: dict[str, Any] = {
        "id": f"PROVE-{number:03d}",
        "title": f"{operation} that {violations[0]}",
        "tables": space.tables,
        "policy": policy,
    }
    if session_policy is not None:
        case["session_policy"] = session_policy
    case["principal_vars"] = dict(space.variables)
    case["request"] = {"operation": operation, "resource": resource, "api_params": params}
    case["expected"] = "Allow"
    return case


def _unreachable(intent: Intent, checker: _Checker, aliases: Mapping[tuple[str, str | None], Mapping[str, str]]) -> Iterator[str]:
    for rule in intent.allow:
        for kind in sorted(rule.access):
            if (rule.position, kind) not in checker.used:
                yield f"{rule.label}: no request can {kind} here"
                continue
            names = rule.read_attributes if kind == "read" else rule.write_attributes if kind == "write" else None
            for name in sorted(names or ()):
                keys = _key_names(intent.schemas[rule.table], rule.index)
                witness = aliases.get((rule.table, rule.index), {}).get(name, name)
                if name not in keys and not {(rule.position, kind, name), (rule.position, kind, witness)} & (
                        checker.used_attributes):
                    yield f"{rule.label}: no request can {kind} attribute {name}"


def _notes(policies: Sequence[Policy], space: _Space) -> Iterator[str]:
    known = {k.lower() for k in space.variables}
    mentioned = sorted({
        condition.key for policy in policies for statement in policy.statements for condition in statement.conditions
        if condition.key.lower().startswith("aws:") and condition.key.lower() not in known
        and condition.key.lower() != "aws:requestedregion"
    })
    for key in mentioned:
        yield f"{key} is not in the intent's principal_vars: prove took it as absent"
