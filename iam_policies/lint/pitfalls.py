"""Lint rules for the holes ``prove`` found in shipped policies (issue 9), and for misspelt names.

Each rule says what request gets through and cites where AWS documents the behaviour:

- FGAC008: PartiQL or Scan under an attribute allowlist without a guard. ``ForAllValues`` is
  true when ``dynamodb:Attributes`` is absent (IAM UG, "multivalued context keys", S12), and a
  ``SELECT *`` or a Scan without projection names no attribute yet returns them all (DynamoDB DG,
  "Ensuring attribute-based restrictions are enforced", S1; fgac-semantics FGAC-J01…J05). Either
  ``"Null": {"dynamodb:Attributes": "false"}`` or a ``dynamodb:Select`` condition without
  ``IfExists`` closes it (a PartiQL statement carries no ``dynamodb:Select``, fgac-semantics.md
  A.2, so ``...IfExists`` on Select lets every ``SELECT *`` through). PartiQL ``UPDATE``/``DELETE``
  return whole items with ``RETURNING ALL OLD|NEW`` unless ``dynamodb:ReturnValues`` is limited.
- FGAC009: ``UpdateItem`` creates the item when it does not exist (DynamoDB API Reference,
  UpdateItem: "Edits an existing item's attributes, or adds a new item to the table if it does
  not already exist"), and IAM cannot tell the two apart. With an intent (``lint --intent``):
  an error wherever the intent allows no ``create`` on the table. Without one, we cannot know
  whether creating is meant, so: a **warning** when the partition is a ``StringLike`` pattern
  (a partition shared with other users, as the games were: a user can create an item that
  shows up as someone else's), an **info** when it is the caller's own partition.
- IAM005: a policy variable inside a ``StringLike`` pattern whose values may contain the
  pattern's separator or be a prefix of another user's value. ``${sub}~*`` lets user ``a``
  reach the keys of user ``a~b``; ``${id}*`` (no separator) lets ``a`` reach ``ab``'s
  (fgac-semantics.md, prefix pitfalls). Only variables whose values are known to exclude the
  separator (``VALUE_ALPHABETS``) pass.
- IAM006/IAM007: action and condition-key names that do not exist (``iam_policies.lint.names``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from iam_policies.lint.findings import Finding, Severity
from iam_policies.lint.names import unknown_action, unknown_condition_key
from iam_policies.lint.rules import Statement, rule

#: Reads that name no attribute when they return whole items (SELECT *, Scan without projection).
UNGUARDED_READS = frozenset({"partiqlselect", "scan"})
PARTIQL_RETURNING = frozenset({"partiqlupdate", "partiqldelete"})


def _attribute_allowlist(st: Statement) -> bool:
    return any(op.lower().startswith("forallvalues:") for op, _, _ in st.condition_on("dynamodb:attributes"))


def _strict_select(st: Statement) -> bool:
    """A dynamodb:Select condition that a request without Select fails (no IfExists, no set operator)."""
    return any(not op.lower().endswith("ifexists") and ":" not in op
               for op, _, _ in st.condition_on("dynamodb:select"))


@rule
def partiql_and_scan_under_attribute_allowlist(doc: Mapping[str, Any], stmts: Sequence[Statement]) -> Iterator[Finding]:
    """FGAC008 (see the module docstring)."""
    for st in stmts:
        if st.effect != "Allow" or not _attribute_allowlist(st):
            continue
        actions = st.dynamodb_actions()
        guarded = st.has_null_false_guard("dynamodb:attributes") or _strict_select(st)
        open_reads = sorted(actions & UNGUARDED_READS)
        if open_reads and not guarded:
            yield Finding(
                "FGAC008", Severity.ERROR,
                f"grants {', '.join('dynamodb:' + a for a in open_reads)} under a dynamodb:Attributes allowlist, "
                "but SELECT * (or a Scan without projection) names no attribute, so ForAllValues holds and "
                "every attribute is returned; add \"Null\": {\"dynamodb:Attributes\": \"false\"} (an IfExists "
                "condition on dynamodb:Select does not help: PartiQL carries no Select)", st.path)
        returning = sorted(actions & PARTIQL_RETURNING)
        if returning and not st.condition_on("dynamodb:returnvalues"):
            yield Finding(
                "FGAC008", Severity.ERROR,
                f"grants {', '.join('dynamodb:' + a for a in returning)} under a dynamodb:Attributes allowlist "
                "without a dynamodb:ReturnValues condition: RETURNING ALL OLD|NEW returns whole items; limit "
                "it to NONE, UPDATED_OLD, UPDATED_NEW", st.path)


def _leading_key_patterns(st: Statement) -> tuple[bool, bool]:
    """(LeadingKeys is limited at all, LeadingKeys is limited by a StringLike pattern)."""
    conditions = st.condition_on("dynamodb:leadingkeys")
    limited = any(op.lower() != "null" for op, _, _ in conditions)
    patterned = any("like" in op.lower() and any("*" in v or "?" in v for v in _values(values))
                    for op, values, _ in conditions)
    return limited, patterned


def _values(values: Any) -> list[str]:
    return [str(v) for v in values] if isinstance(values, list) else [str(values)]


@rule
def update_item_creates_items(doc: Mapping[str, Any], stmts: Sequence[Statement]) -> Iterator[Finding]:
    """FGAC009 without an intent (see the module docstring; ``intent_findings`` has the other half)."""
    for st in stmts:
        if st.effect != "Allow" or "updateitem" not in st.dynamodb_actions():
            continue
        limited, patterned = _leading_key_patterns(st)
        if patterned:
            yield Finding(
                "FGAC009", Severity.WARNING,
                "grants dynamodb:UpdateItem on partitions matched by a StringLike pattern: UpdateItem creates "
                "missing items, so a user can create an item under a key other users' patterns match too; "
                "create with PutItem keyed by the caller and deny UpdateItem on the attributes that name "
                "owners (lint --intent says whether creating is meant)", st.path)
        elif limited:
            yield Finding(
                "FGAC009", Severity.INFO,
                "grants dynamodb:UpdateItem, which creates the item when it is missing (in the caller's own "
                "partition here); if users must not create items, say so in an intent (lint --intent)", st.path)


def intent_findings(document: Mapping[str, Any], intent: Any) -> list[Finding]:
    """FGAC009 with an intent: UpdateItem granted on a table whose intent rules allow no create."""
    from iam_policies.lint.rules import statements

    found: list[Finding] = []
    for st in statements(document):
        if st.effect != "Allow" or "updateitem" not in st.dynamodb_actions():
            continue
        for table in sorted({entry.table for entry in intent.allow}):
            if not any(_resource_covers(resource, table) for resource in st.resources):
                continue
            if any("create" in entry.access for entry in intent.allow if entry.table == table):
                continue
            found.append(Finding(
                "FGAC009", Severity.ERROR,
                f"grants dynamodb:UpdateItem on {table}, where the intent allows no create: UpdateItem creates "
                "missing items and IAM cannot tell a create from an update; deny UpdateItem on the attributes "
                "that decide whose item it is, or allow creation in the intent", st.path))
    return found


def _resource_covers(resource: str, table: str) -> bool:
    """Does a Resource entry name table ``table`` (its table ARN, wildcards allowed)?"""
    if resource == "*":
        return True
    _, sep, rest = resource.partition(":table/")
    if not sep:
        return False
    name = rest.split("/", 1)[0]
    pattern = re.escape(name).replace(r"\*", ".*").replace(r"\?", ".")
    return re.fullmatch(pattern, table) is not None


# IAM005 --------------------------------------------------------------------------------------------

#: Characters a variable's values are made of, where the issuer documents them; any other
#: variable (an OIDC ``sub`` is any string of up to 255 ASCII characters, OpenID Connect Core
#: 1.0 §2) may contain any character.
VALUE_ALPHABETS: dict[str, str] = {
    # IAM API Reference, CreateUser: UserName pattern [\w+=,.@-]+
    "aws:username": r"[\w+=,.@-]",
    # Login with Amazon user ids: amzn1.account.<alphanumeric>
    "www.amazon.com:user_id": r"[A-Za-z0-9.]",
    # Google and Facebook subject ids are decimal numbers
    "accounts.google.com:sub": r"[0-9]",
    "graph.facebook.com:id": r"[0-9]",
    # Cognito identity ids: <region>:<uuid>
    "cognito-identity.amazonaws.com:sub": r"[a-z0-9:-]",
}

_VARIABLE = re.compile(r"\$\{([^}]+)\}")


def _neighbours(pattern: str, match: re.Match[str]) -> list[str]:
    """The literal text between the variable and the nearest wildcard on each side that has one."""
    found = []
    before = pattern[: match.start()]
    after = pattern[match.end():]
    for text, wildcard_at in ((before, max(before.rfind("*"), before.rfind("?"))),
                              (after, min([i for i in (after.find("*"), after.find("?")) if i >= 0], default=-1))):
        if wildcard_at < 0:
            continue
        found.append(text[wildcard_at + 1:] if text is before else text[:wildcard_at])
    return found


@rule
def variable_inside_like_pattern(doc: Mapping[str, Any], stmts: Sequence[Statement]) -> Iterator[Finding]:
    """IAM005 (see the module docstring)."""
    for st in stmts:
        for op, _key, values, path in st.conditions():
            if "stringlike" not in op.lower() and "stringnotlike" not in op.lower():
                continue
            for pattern in _values(values):
                for match in _VARIABLE.finditer(pattern):
                    name = match.group(1)
                    if name in ("*", "?", "$"):
                        continue
                    for separator in _neighbours(pattern, match):
                        alphabet = VALUE_ALPHABETS.get(name.lower())
                        if separator and alphabet is not None and not any(
                                re.fullmatch(alphabet, c) for c in separator):
                            continue
                        why = (f"values of ${{{name}}} may contain {separator!r}" if separator else
                               f"${{{name}}} is next to a wildcard, so one value matches any longer value "
                               "that starts with it")
                        yield Finding(
                            "IAM005", Severity.WARNING,
                            f"{op} pattern {pattern!r}: {why}, so one user's pattern can match another user's "
                            "keys; use StringEquals with the whole value, or a separator the variable's values "
                            "cannot contain", path)
                        break


# IAM006 / IAM007 -----------------------------------------------------------------------------------


@rule
def unknown_names(doc: Mapping[str, Any], stmts: Sequence[Statement]) -> Iterator[Finding]:
    """IAM006 unknown action names; IAM007 unknown condition keys (``iam_policies.lint.names``)."""
    for st in stmts:
        for element in ("Action", "NotAction"):
            raw = st.raw.get(element)
            entries = raw if isinstance(raw, list) else [raw] if raw is not None else []
            for index, action in enumerate(entries):
                problem = unknown_action(str(action))
                if problem:
                    where = f"{st.path}.{element}" + (f"[{index}]" if isinstance(raw, list) else "")
                    yield Finding("IAM006", Severity.ERROR, f"{problem}; the statement never applies to it", where)
        for op, _key, _values, path in st.conditions():
            original = path.split(f".Condition.{op}.", 1)[-1]
            problem = unknown_condition_key(original)
            if problem:
                yield Finding("IAM007", Severity.ERROR,
                              f"{problem}; a condition on a key no request carries is false (true with IfExists)",
                              path)
