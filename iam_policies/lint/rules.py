"""Lint rules for DynamoDB fine-grained access policies.

The evaluator reproduces AWS's sharp edges on purpose (security-anchors.md, "Design principle"):
``ForAllValues`` is true on an absent key, a Scan has no leading keys, a PutItem replaces hidden
attributes. A policy that relies on those edges passes the local stack exactly as it passes AWS,
and leaks on both. This linter is where the extra strictness lives. Each rule cites the AWS
guidance it enforces (DynamoDB DG "Using IAM policy conditions for fine-grained access control",
S1 in ``shared/spec/fgac-semantics.md``; IAM UG "multivalued context keys", S12).

Rules read the raw document (so they also run on documents the parser would refuse, after the
parse errors are reported) through ``Statement`` views that know their JSON path.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from iam_policies.lint.findings import Finding, Severity
from iam_policies.matching import ActionMatcher

#: DynamoDB actions whose requests carry ``dynamodb:LeadingKeys`` (fgac-semantics A.2).
KEYED_ACTIONS = frozenset({
    "getitem", "batchgetitem", "query", "putitem", "updateitem", "deleteitem", "batchwriteitem",
    "conditioncheckitem", "partiqlinsert", "partiqlupdate", "partiqldelete",
})
#: Actions that replace or remove whole items, hidden attributes included (S1 Examples 3 and 4).
WHOLE_ITEM_WRITES = frozenset({"putitem", "batchwriteitem", "deleteitem", "partiqlinsert", "partiqldelete"})
READ_ACTIONS = frozenset({"getitem", "batchgetitem", "query", "scan", "partiqlselect"})
WRITE_ACTIONS = frozenset({"putitem", "updateitem", "deleteitem"})
#: Data-plane actions with no leading keys: a LeadingKeys-only allow lets them read everything.
UNKEYED_DATA_ACTIONS = frozenset({"scan", "partiqlselect"})
#: The DynamoDB IAM actions, lower-case, to expand wildcards against (Service Authorization Reference).
DYNAMODB_ACTIONS = sorted(KEYED_ACTIONS | UNKEYED_DATA_ACTIONS | {
    "describetable", "listtables", "createtable", "updatetable", "deletetable", "describetimetolive",
    "updatetimetolive", "tagresource", "untagresource", "listtagsofresource", "describestream",
    "getrecords", "getsharditerator", "liststreams", "describelimits", "describeendpoints",
    "describecontinuousbackups", "createbackup", "restoretablefrombackup", "exporttabletopointintime",
    "importtable", "putresourcepolicy", "getresourcepolicy",
})
SINGLE_VALUED_DYNAMODB_KEYS = frozenset({
    "dynamodb:select", "dynamodb:returnvalues", "dynamodb:returnconsumedcapacity",
    "dynamodb:enclosingoperation", "dynamodb:fulltablescan",
})


@dataclass(frozen=True)
class Statement:
    """A read-only view of one statement of a raw policy document."""

    raw: Mapping[str, Any]
    path: str

    @property
    def effect(self) -> str:
        return str(self.raw.get("Effect", ""))

    def _list(self, name: str) -> list[str]:
        value = self.raw.get(name)
        if value is None:
            return []
        return [str(v) for v in value] if isinstance(value, list) else [str(value)]

    @property
    def actions(self) -> list[str]:
        return self._list("Action")

    @property
    def resources(self) -> list[str]:
        return self._list("Resource")

    def dynamodb_actions(self) -> set[str]:
        """The DynamoDB actions (lower-case names) this statement covers, wildcards expanded with
        the evaluator's own ``ActionMatcher`` (so lint and evaluation agree on what ``Get*`` is)."""
        if "NotAction" in self.raw:
            excluded = ActionMatcher(tuple(self._list("NotAction")))
            return {a for a in DYNAMODB_ACTIONS if not excluded.matches(f"dynamodb:{a}")}
        matcher = ActionMatcher(tuple(self.actions))
        return {a for a in DYNAMODB_ACTIONS if matcher.matches(f"dynamodb:{a}")}

    def conditions(self) -> Iterator[tuple[str, str, Any, str]]:
        """``(operator, key, values, path)`` for every condition entry; key lower-cased."""
        block = self.raw.get("Condition")
        if not isinstance(block, Mapping):
            return
        for operator, entries in block.items():
            if not isinstance(entries, Mapping):
                continue
            for key, values in entries.items():
                yield str(operator), str(key).lower(), values, f"{self.path}.Condition.{operator}.{key}"

    def condition_on(self, key: str) -> list[tuple[str, Any, str]]:
        return [(op, values, path) for op, k, values, path in self.conditions() if k == key]

    def has_null_false_guard(self, key: str) -> bool:
        for op, values, _ in self.condition_on(key):
            vals = values if isinstance(values, list) else [values]
            if op.lower() == "null" and [str(v).lower() for v in vals] == ["false"]:
                return True
        return False


def statements(document: Mapping[str, Any]) -> list[Statement]:
    raw = document.get("Statement", [])
    if isinstance(raw, Mapping):
        return [Statement(raw, "$.Statement")]
    if not isinstance(raw, list):
        return []
    return [Statement(s, f"$.Statement[{i}]") for i, s in enumerate(raw) if isinstance(s, Mapping)]


# Rules -----------------------------------------------------------------------------------------

Rule = Callable[[Mapping[str, Any], Sequence[Statement]], Iterator[Finding]]
RULES: list[Rule] = []


def rule(fn: Rule) -> Rule:
    RULES.append(fn)
    return fn


@rule
def unkeyed_actions_pass_leading_keys(doc: Mapping[str, Any], stmts: Sequence[Statement]) -> Iterator[Finding]:
    """FGAC001: ``ForAllValues`` on LeadingKeys is vacuously true for a Scan (it has no leading
    keys), so an Allow that grants Scan or PartiQLSelect "protected" only by LeadingKeys lets the
    user read every partition (S1 Example 2 "Important"; FGAC-A05/A06)."""
    for st in stmts:
        if st.effect != "Allow" or not st.condition_on("dynamodb:leadingkeys"):
            continue
        if st.has_null_false_guard("dynamodb:leadingkeys"):
            continue
        leaking = sorted(st.dynamodb_actions() & UNKEYED_DATA_ACTIONS)
        if leaking:
            yield Finding(
                "FGAC001", Severity.ERROR,
                f"grants {', '.join('dynamodb:' + a for a in leaking)}, which has no leading keys, so the "
                "dynamodb:LeadingKeys condition is vacuously true and every partition is readable; remove "
                'the action or add "Null": {"dynamodb:LeadingKeys": "false"}',
                st.path,
            )


@rule
def leading_keys_need_for_all_values(doc: Mapping[str, Any], stmts: Sequence[Statement]) -> Iterator[Finding]:
    """FGAC002/FGAC003: "you must use the ForAllValues modifier" with LeadingKeys (S1). ForAnyValue
    lets a batch mix foreign keys with one of your own (FGAC-A25); a plain operator on a multivalued
    key is undocumented (G-11)."""
    for st in stmts:
        if st.effect != "Allow":
            continue
        for op, _, path in st.condition_on("dynamodb:leadingkeys"):
            lowered = op.lower()
            if lowered.startswith("foranyvalue:"):
                yield Finding("FGAC002", Severity.ERROR,
                              "ForAnyValue on dynamodb:LeadingKeys allows a request whose keys include any one "
                              "allowed value, e.g. a BatchGetItem mixing your key with other users'; use ForAllValues",
                              path)
            elif not lowered.startswith("forallvalues:") and lowered != "null":
                yield Finding("FGAC003", Severity.WARNING,
                              f"{op} on the multivalued key dynamodb:LeadingKeys has undocumented semantics; "
                              "use ForAllValues:" + op.split(":")[-1], path)


@rule
def attribute_limits_with_whole_item_writes(doc: Mapping[str, Any], stmts: Sequence[Statement]) -> Iterator[Finding]:
    """FGAC004: PutItem, DeleteItem and BatchWriteItem "always replace the entire previous item",
    so an attribute restriction cannot protect the attributes it leaves out (S1 Examples 3, 4)."""
    for st in stmts:
        if st.effect != "Allow" or not st.condition_on("dynamodb:attributes"):
            continue
        writes = sorted(st.dynamodb_actions() & WHOLE_ITEM_WRITES)
        if writes:
            yield Finding("FGAC004", Severity.WARNING,
                          f"restricts dynamodb:Attributes but grants {', '.join('dynamodb:' + a for a in writes)}, "
                          "which replace or remove whole items including attributes the list leaves out; "
                          "grant UpdateItem instead", st.path)


@rule
def attribute_limits_need_select_and_return_values(doc: Mapping[str, Any], stmts: Sequence[Statement]) -> Iterator[Finding]:
    """FGAC005/FGAC006: a read without a projection returns every attribute "regardless of any
    attribute restrictions in the policy", and ReturnValues ALL_OLD/ALL_NEW return whole items
    (S1 "Ensuring attribute-based restrictions are enforced")."""
    for st in stmts:
        if st.effect != "Allow" or not any(
            op.lower().startswith("forallvalues:") for op, _, _ in st.condition_on("dynamodb:attributes")
        ):
            continue
        actions = st.dynamodb_actions()
        if actions & READ_ACTIONS and not st.condition_on("dynamodb:select"):
            yield Finding("FGAC005", Severity.WARNING,
                          "restricts dynamodb:Attributes on reads without a dynamodb:Select condition: a read "
                          "with no ProjectionExpression returns every attribute; add "
                          '"StringEquals": {"dynamodb:Select": "SPECIFIC_ATTRIBUTES"}', st.path)
        if actions & WRITE_ACTIONS and not st.condition_on("dynamodb:returnvalues"):
            yield Finding("FGAC006", Severity.WARNING,
                          "restricts dynamodb:Attributes on writes without a dynamodb:ReturnValues condition: "
                          "ReturnValues ALL_OLD/ALL_NEW return whole items; limit it to NONE, UPDATED_OLD, "
                          "UPDATED_NEW", st.path)


@rule
def partiql_select_without_scan_guard(doc: Mapping[str, Any], stmts: Sequence[Statement]) -> Iterator[Finding]:
    """FGAC007: a PartiQL SELECT without a partition-key equality is a full table scan; DynamoDB's
    own example denies ``dynamodb:FullTableScan`` (DG ql-iam.html, example 6)."""
    guarded = any(
        st.effect == "Deny" and "partiqlselect" in st.dynamodb_actions() and st.condition_on("dynamodb:fulltablescan")
        for st in stmts
    )
    if guarded:
        return
    for st in stmts:
        if st.effect == "Allow" and "partiqlselect" in st.dynamodb_actions() and not any(
            "bool" in op.lower() for op, _, _ in st.condition_on("dynamodb:fulltablescan")
        ):
            yield Finding("FGAC007", Severity.WARNING,
                          "allows dynamodb:PartiQLSelect without denying full table scans; add a Deny with "
                          '"Bool": {"dynamodb:FullTableScan": "true"}', st.path)


@rule
def set_operator_on_single_valued_key(doc: Mapping[str, Any], stmts: Sequence[Statement]) -> Iterator[Finding]:
    """IAM001: "Do not use set operators with single-valued condition keys" (S12): ForAllValues on
    a single-valued key is true when the key is absent, which an Allow rarely means."""
    for st in stmts:
        for op, key, _, path in st.conditions():
            if op.lower().startswith("forallvalues:") and key in SINGLE_VALUED_DYNAMODB_KEYS and st.effect == "Allow":
                yield Finding("IAM001", Severity.WARNING,
                              f"ForAllValues on the single-valued key {key} is true when the key is absent; "
                              f"use {op.split(':', 1)[1]} (or ...IfExists) instead", path)


@rule
def policy_variables_need_version(doc: Mapping[str, Any], stmts: Sequence[Statement]) -> Iterator[Finding]:
    """IAM002: without ``"Version": "2012-10-17"`` a ``${...}`` is literal text (S14), so a
    LeadingKeys condition on ``${...:sub}`` matches nobody, or, negated, everybody."""
    if doc.get("Version") == "2012-10-17":
        return
    if "${" in repr(doc.get("Statement")):
        yield Finding("IAM002", Severity.ERROR,
                      'uses policy variables but Version is not "2012-10-17", so they are literal text', "$.Version")


@rule
def allow_with_not_action_or_not_resource(doc: Mapping[str, Any], stmts: Sequence[Statement]) -> Iterator[Finding]:
    """IAM003: ``NotAction``/``NotResource`` with Allow grants everything not listed, including
    actions and resources that do not exist yet (S16)."""
    for st in stmts:
        if st.effect == "Allow":
            for element in ("NotAction", "NotResource"):
                if element in st.raw:
                    yield Finding("IAM003", Severity.WARNING,
                                  f"Allow with {element} grants everything not listed, now and in the future",
                                  f"{st.path}.{element}")


@rule
def wildcard_data_access(doc: Mapping[str, Any], stmts: Sequence[Statement]) -> Iterator[Finding]:
    """IAM004: DynamoDB item actions on ``Resource: "*"`` without any key condition reach every
    table of the account (S19 "specific table" example)."""
    for st in stmts:
        if st.effect != "Allow" or "*" not in st.resources:
            continue
        item_actions = st.dynamodb_actions() & (KEYED_ACTIONS | UNKEYED_DATA_ACTIONS)
        if item_actions and not st.condition_on("dynamodb:leadingkeys"):
            yield Finding("IAM004", Severity.WARNING,
                          "grants DynamoDB item actions on every table (Resource \"*\") with no key condition",
                          f"{st.path}.Resource")


@rule
def web_identity_trust_needs_audience(doc: Mapping[str, Any], stmts: Sequence[Statement]) -> Iterator[Finding]:
    """TRUST001: a web-identity trust policy must pin the audience (the app's client id), or any
    app registered with the same provider can assume the role (IAM UG, id_roles_create_for-idp_oidc;
    STS API: Cognito trust policies "must contain the cognito-identity.amazonaws.com:aud key")."""
    for st in stmts:
        principal = st.raw.get("Principal")
        if st.effect != "Allow" or not isinstance(principal, Mapping) or "Federated" not in principal:
            continue
        if not any(key.endswith(":aud") or key.endswith(":app_id") for _, key, _, _ in st.conditions()):
            yield Finding("TRUST001", Severity.ERROR,
                          "trusts a web identity provider without a condition on its audience (…:aud); any "
                          "client of that provider could assume this role", st.path)


def lint_document(document: Mapping[str, Any]) -> list[Finding]:
    """Every finding of every rule, most severe first, then in document order."""
    stmts = statements(document)
    found = [finding for check in RULES for finding in check(document, stmts)]
    return sorted(found, key=lambda f: (f.severity.rank, path_order(f.path), f.code))


def path_order(path: str) -> tuple[tuple[int, str], ...]:
    """A JSON path as a sort key in document order: ``$.Statement[2]`` before ``$.Statement[10]``
    (digit runs compare as numbers, zero-padded; everything else as text)."""
    return tuple((0, part.zfill(12)) if part.isdigit() else (1, part) for part in _PATH_PARTS.findall(path))


_PATH_PARTS = re.compile(r"\d+|\D+")
