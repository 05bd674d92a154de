"""PartiQL statements, parsed far enough to authorise them.

ExecuteStatement, BatchExecuteStatement and ExecuteTransaction map each statement to
``dynamodb:PartiQLSelect|Insert|Update|Delete`` on the table, or on the index for
``SELECT … FROM "T"."I"`` (S2, S4; fgac-semantics.md A.3, FGAC-J11). Keys (A.2, A.4, G-6):

- ``dynamodb:FullTableScan`` (SELECT): ``"false"`` when every branch of the WHERE clause pins the
  partition key by ``=`` or ``IN``, ``"true"`` otherwise, including no WHERE at all (S5 lists
  ``k = 1``, ``k = 1 AND a = …``, ``k = 1 OR k = 2`` and ``k IN […]`` as no scan; ``k > 1``,
  ``a = …`` and ``k = 1 OR a = …`` as scans). Written as the string the cases use.
- ``dynamodb:LeadingKeys``: those ``=``/``IN`` values (``?`` resolved from ``Parameters``), or
  the inserted item's partition value.
- ``dynamodb:Attributes``: the top-level names a statement names: projection and WHERE for a
  SELECT with a column list, SET/REMOVE targets and operands and WHERE for UPDATE, WHERE for
  DELETE, the item's names for INSERT. ``SELECT *`` names none, like a GetItem without
  projection reads everything (S1 warning) and as the cases show (FGAC-J01…J05).
- ``dynamodb:ReturnValues`` (UPDATE/DELETE): from ``RETURNING`` (ALL OLD → ALL_OLD, MODIFIED NEW
  → UPDATED_NEW, …) or ReturnValuesOnConditionCheckFailure=ALL_OLD; absent otherwise.
- ``dynamodb:EnclosingOperation``: ``ExecuteTransaction`` inside a transaction only (A.4).

The parser descends recursively, so its nesting (parentheses, ``NOT``, list and map literals,
function calls) is bounded: a statement of 8,192 characters could otherwise nest 4,000 deep and
end in Python's ``RecursionError`` (issue 11). ``AND``/``OR`` chains are kept flat (one node per
chain), and bounded in number because moto's PartiQL engine, which runs the statement next,
evaluates them recursively. Both bounds are the local stack's, not documented DynamoDB limits,
and say so in their message.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from typing import Any

from iam_policies.authorization import Authorization
from iam_policies.dynamodb.errors import constraint, invalid
from iam_policies.dynamodb.keys import key_value, scalar_type
from iam_policies.dynamodb.request import Env, enum, index_schema, item_context, on_condition_failure, require
from iam_policies.errors import ValidationException

_TOKEN = re.compile(
    r"""(?P<ws>\s+|--[^\n]*|/\*[\s\S]*?\*/)
      | (?P<string>'(?:[^']|'')*')
      | (?P<quoted>"(?:[^"]|"")*")
      | (?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
      | (?P<name>[A-Za-z_][A-Za-z0-9_$]*)
      | (?P<op><<|>>|<>|!=|<=|>=|\|\||[=<>()\[\]{},.:?*+\-/%])
    """,
    re.VERBOSE,
)
_RETURNING = {("ALL", "OLD"): "ALL_OLD", ("ALL", "NEW"): "ALL_NEW", ("MODIFIED", "OLD"): "UPDATED_OLD",
              ("MODIFIED", "NEW"): "UPDATED_NEW"}
_ACTIONS = {"SELECT": "PartiQLSelect", "INSERT": "PartiQLInsert", "UPDATE": "PartiQLUpdate", "DELETE": "PartiQLDelete"}


@dataclass(frozen=True)
class Tok:
    kind: str
    text: str
    start: int = 0


# Expression nodes: which names are pinned to which values (authorization), and the whole
# statement for the engine that runs it (``webapp.backend.partiql_eval``).
@dataclass(frozen=True)
class Ref:
    name: str
    nested: bool
    #: The whole document path: the name, then a name (``.b``) or a list index (``[2]``) per
    #: step; ``None`` for a step whose index is not a number literal.
    path: tuple[str | int | None, ...] = ()
    #: Where the name starts in the statement (DynamoDB's errors point at tokens).
    at: int = -1


@dataclass(frozen=True)
class Lit:
    #: A literal as an AttributeValue (``{"S": …}``/``{"N": …}``), or ``("?", n)`` for parameter n.
    value: Any


@dataclass(frozen=True)
class Node:
    """An operator and its operands. ``op``: ``=`` ``<>`` ``<`` ``<=`` ``>`` ``>=`` ``IN``
    ``BETWEEN`` ``AND`` ``OR`` ``NOT`` ``IS`` (operand, ``MISSING``/``NULL``, negated) ``call``
    (name, arguments...) ``+`` ``-`` (and the other arithmetic signs) ``list`` ``set`` ``map``
    (``(key, value)`` pairs). Only ``=``, ``IN``, ``AND`` and ``OR`` pin a key."""

    op: str
    args: tuple[Any, ...] = ()
    #: Where a call's function name starts in the statement.
    at: int = -1


@dataclass(frozen=True)
class Statement:
    verb: str
    table: str
    index: str | None
    names: frozenset[str]
    star: bool = False
    where: Any = None
    item: Mapping[str, Any] = field(default_factory=dict)
    returning: str | None = None
    parameters: int = 0
    #: A SELECT's projected top-level names, when every projected item is a plain name (no path,
    #: no function); None otherwise and for other statements.
    projection: tuple[str, ...] | None = None
    #: A SELECT's projected expressions (empty for ``*``).
    projected: tuple[Any, ...] = ()
    #: An UPDATE's actions in order: ``("SET", Ref, value)`` or ``("REMOVE", Ref, None)``.
    actions: tuple[tuple[str, Ref, Any], ...] = ()
    #: A SELECT's ``ORDER BY``: (path, descending) in order.
    order: tuple[tuple[Ref, bool], ...] = ()
    #: The statement as written (for the positions errors name).
    text: str = ""


#: Nesting of parentheses, NOT, literals and calls the parser follows (a local bound, see above).
MAX_NESTING = 64
#: AND/OR per statement (a local bound: moto's PartiQL engine recurses on each).
MAX_BOOLEAN_OPERATORS = 300


def malformed(detail: str = "") -> ValidationException:
    """DynamoDB's refusal of a statement its parser cannot read; with no detail for a character or
    a literal it cannot read at all (paritysuite/dynamodb-conformance tests/tier3/error-messages/
    partiqlGrammar.test.ts, captured against DynamoDB: ``#`` comments, an unterminated ``/*``, an
    exponent beyond 32 bits)."""
    return invalid(f"Statement wasn't well formed, can't be processed: {detail}")


#: A complete statement followed by more tokens (the same capture).
LEFTOVER = "Unexpected token after expression"
#: ``FROM "T" t``, ``FROM "T" AS t``, ``UPDATE "T" t`` (the same capture; no envelope).
ALIASING = "Aliasing is not supported"
_INT32 = 2**31 - 1


def too_complex(what: str) -> ValidationException:
    return invalid(f"The statement has {what}; the local stack does not evaluate statements this complex")


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens: list[Tok] = []
        position = 0
        while position < len(text):
            match = _TOKEN.match(text, position)
            if match is None or (match.lastgroup == "op" and text.startswith("/*", position)):
                raise malformed()  # an unknown character, an unterminated comment
            if match.lastgroup != "ws":
                self.tokens.append(Tok(match.lastgroup or "op", match.group(), position))
            position = match.end()
        self.tokens.append(Tok("eof", "", len(text)))
        self.text = text
        self.position = 0
        self.names: set[str] = set()
        self.parameters = 0
        self.depth = 0
        self.booleans = 0

    def enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise too_complex(f"more than {MAX_NESTING} levels of nesting")

    def leave(self) -> None:
        self.depth -= 1

    def boolean(self) -> None:
        self.booleans += 1
        if self.booleans > MAX_BOOLEAN_OPERATORS:
            raise too_complex(f"more than {MAX_BOOLEAN_OPERATORS} AND/OR operators")

    def peek(self, offset: int = 0) -> Tok:
        return self.tokens[min(self.position + offset, len(self.tokens) - 1)]

    def advance(self) -> Tok:
        token = self.peek()
        self.position = min(self.position + 1, len(self.tokens) - 1)
        return token

    def keyword(self, *words: str) -> bool:
        token = self.peek()
        return token.kind == "name" and token.text.upper() in words

    def expect_keyword(self, word: str) -> None:
        if not self.keyword(word):
            raise malformed(f"Expected {word}, found {self.peek().text or '<EOF>'}")
        self.advance()

    def op(self, *ops: str) -> bool:
        token = self.peek()
        return token.kind == "op" and token.text in ops

    def expect_op(self, op: str) -> None:
        if not self.op(op):
            raise malformed(f"Expected {op}, found {self.peek().text or '<EOF>'}")
        self.advance()

    # -- names -------------------------------------------------------------------------------
    def identifier(self) -> str:
        token = self.advance()
        if token.kind == "quoted":
            return token.text[1:-1].replace('""', '"')
        if token.kind == "name":
            return token.text
        raise malformed(f"Expected an identifier, found {token.text or '<EOF>'}")

    def target(self) -> tuple[str, str | None]:
        table = self.identifier()
        index = None
        if self.op("."):
            self.advance()
            index = self.identifier()
        return table, index

    def path(self) -> Ref:
        at = self.peek().start
        name = self.identifier()
        steps: list[str | int | None] = [name]
        while self.op(".", "["):
            if self.advance().text == ".":
                steps.append(self.identifier())
            else:
                index = self.operand()
                value = index.value if isinstance(index, Lit) else None
                steps.append(int(value["N"]) if isinstance(value, Mapping) and str(value.get("N", "")).isdigit()
                             else value["S"] if isinstance(value, Mapping) and "S" in value else None)
                self.expect_op("]")
        self.names.add(name)
        return Ref(name, len(steps) > 1, tuple(steps), at)

    # -- values and expressions -----------------------------------------------------------------
    def literal(self) -> Any:
        token = self.peek()
        if token.kind == "string":
            self.advance()
            return Lit({"S": token.text[1:-1].replace("''", "'")})
        if token.kind == "number":
            self.advance()
            return Lit({"N": _number(token.text)})
        if self.op("?"):
            self.advance()
            self.parameters += 1
            return Lit(("?", self.parameters - 1))
        if self.op("-") and self.peek(1).kind == "number":
            self.advance()
            return Lit({"N": "-" + _number(self.advance().text)})
        if self.op("[", "<<"):
            opened = self.advance().text
            close = "]" if opened == "[" else ">>"
            items: list[Any] = []
            self.enter()
            while not self.op(close):
                items.append(self.expression())
                if not self.op(","):
                    break
                self.advance()
            self.expect_op(close)
            self.leave()
            return Node("list" if opened == "[" else "set", tuple(items))
        if self.op("{"):
            return Node("map", tuple(self.map_literal().items()))
        if self.keyword("TRUE", "FALSE", "NULL", "MISSING"):
            word = self.advance().text.upper()
            return Lit({"TRUE": {"BOOL": True}, "FALSE": {"BOOL": False}, "NULL": {"NULL": True}}.get(word))
        return None

    def map_literal(self) -> dict[str, Any]:
        self.expect_op("{")
        self.enter()
        entries: dict[str, Any] = {}
        while not self.op("}"):
            key = self.advance()
            if key.kind != "string":
                raise malformed("Map keys must be string literals")
            self.expect_op(":")
            entries[key.text[1:-1].replace("''", "'")] = self.expression()
            if not self.op(","):
                break
            self.advance()
        self.expect_op("}")
        self.leave()
        return entries

    def operand(self) -> Any:
        found = self.literal()
        if found is not None:
            return found
        if self.op("("):
            self.advance()
            self.enter()
            inner = self.expression()
            self.expect_op(")")
            self.leave()
            return inner
        if self.peek().kind == "name" and self.peek(1).kind == "op" and self.peek(1).text == "(":
            at = self.peek().start
            function = self.advance().text.lower()
            self.advance()
            self.enter()
            args: list[Any] = []
            while not self.op(")"):
                args.append(self.expression())
                if not self.op(","):
                    break
                self.advance()
            self.expect_op(")")
            self.leave()
            return Node("call", (function, *args), at)
        if self.peek().kind in ("name", "quoted"):
            return self.path()
        raise malformed(f"Unexpected token {self.peek().text or '<EOF>'}")

    def additive(self) -> Any:
        left = self.operand()
        while self.op("+", "-", "||", "*", "/", "%"):
            sign = self.advance().text
            left = Node(sign, (left, self.operand()))
        return left

    def predicate(self) -> Any:
        left = self.additive()
        if self.op("=", "<>", "!=", "<", "<=", ">", ">="):
            op = self.advance().text
            return Node("<>" if op == "!=" else op, (left, self.additive()))
        negated = False
        if self.keyword("NOT") and self.peek(1).kind == "name" and self.peek(1).text.upper() in ("IN", "BETWEEN"):
            self.advance()
            negated = True
        if self.keyword("IN"):
            self.advance()
            choices = self.operand()
            items = choices.args if isinstance(choices, Node) and choices.op == "list" else (choices,)
            found = Node("IN", (left, items))
            return Node("NOT", (found,)) if negated else found
        if self.keyword("BETWEEN"):
            self.advance()
            low = self.additive()
            self.expect_keyword("AND")
            between = Node("BETWEEN", (left, low, self.additive()))
            return Node("NOT", (between,)) if negated else between
        if self.keyword("IS"):
            self.advance()
            negated = self.keyword("NOT")
            if negated:
                self.advance()
            if not self.keyword("MISSING", "NULL"):
                raise malformed("Expected MISSING or NULL after IS")
            return Node("IS", (left, self.advance().text.upper(), negated))
        return left

    def negation(self) -> Any:
        if self.keyword("NOT"):
            self.advance()
            self.enter()
            inner = self.negation()
            self.leave()
            return Node("NOT", (inner,))
        return self.predicate()

    def conjunction(self) -> Any:
        """``a AND b AND c`` as one node with three arguments (no depth per operand)."""
        terms = [self.negation()]
        while self.keyword("AND"):
            self.boolean()
            self.advance()
            terms.append(self.negation())
        return terms[0] if len(terms) == 1 else Node("AND", tuple(terms))

    def expression(self) -> Any:
        terms = [self.conjunction()]
        while self.keyword("OR"):
            self.boolean()
            self.advance()
            terms.append(self.conjunction())
        return terms[0] if len(terms) == 1 else Node("OR", tuple(terms))

    def where(self) -> Any:
        if self.keyword("WHERE"):
            self.advance()
            return self.expression()
        return None

    def returning(self, delete: bool = False) -> str | None:
        """``RETURNING ALL|MODIFIED OLD|NEW *``; a DELETE's only one is ``ALL OLD *`` (DG, "PartiQL
        delete statements": ``<returnvalues> ::= ALL OLD *``): ``MODIFIED OLD`` was authorized as
        ReturnValues UPDATED_OLD, which attribute-limited policies allow, yet answered the whole
        deleted item (found by review)."""
        if not self.keyword("RETURNING"):
            return None
        self.advance()
        which = self.advance().text.upper()
        when = self.advance().text.upper()
        self.expect_op("*")
        if (which, when) not in _RETURNING:
            raise malformed(f"Invalid RETURNING clause: {which} {when}")
        if delete and (which, when) != ("ALL", "OLD"):
            raise malformed(f"Invalid RETURNING clause: {which} {when} (a DELETE returns ALL OLD *)")
        return _RETURNING[(which, when)]

    # -- statements -----------------------------------------------------------------------------
    def select(self) -> Statement:
        star = False
        projected: list[Any] = []
        if self.op("*"):
            self.advance()
            star = True
        else:
            projected.append(self.additive())
            while self.op(","):
                self.advance()
                projected.append(self.additive())
        plain = all(isinstance(item, Ref) and not item.nested for item in projected)
        self.expect_keyword("FROM")
        table, index = self.target()
        self.no_alias("WHERE", "ORDER")
        where = self.where()
        order: list[tuple[Ref, bool]] = []
        if self.keyword("ORDER"):
            self.advance()
            self.expect_keyword("BY")
            while True:
                key = self.path()
                descending = self.keyword("DESC")
                if self.keyword("ASC", "DESC"):
                    self.advance()
                order.append((key, descending))
                if not self.op(","):
                    break
                self.advance()
        return Statement("SELECT", table, index, frozenset(), star=star, where=where,
                         projection=tuple(item.name for item in projected) if projected and plain else None,
                         projected=tuple(projected), order=tuple(order))

    def statement(self) -> Statement:
        verb = self.advance().text.upper()
        if verb == "SELECT":
            return self.done(self.select())
        if verb == "EXISTS":
            # ExecuteTransaction's condition check: EXISTS(SELECT ...) reads like a SELECT.
            self.expect_op("(")
            self.expect_keyword("SELECT")
            inner = self.select()
            self.expect_op(")")
            return self.done(inner)
        if verb == "INSERT":
            self.expect_keyword("INTO")
            table, index = self.target()
            if not self.keyword("VALUE"):
                raise malformed(LEFTOVER)
            self.advance()
            if self.op("?"):
                # The whole item as one parameter (an M value).
                item: dict[str, Any] = {"?": self.literal()}
            else:
                item = self.map_literal()
            return self.done(Statement("INSERT", table, index, frozenset(), item=item))
        if verb == "UPDATE":
            table, index = self.target()
            self.no_alias("SET", "REMOVE")
            actions = self.update_actions()
            where = self.where()
            return self.done(Statement("UPDATE", table, index, frozenset(), where=where, returning=self.returning(),
                                       actions=actions))
        if verb == "FROM":
            # PartiQL's FROM-first UPDATE, ``FROM "T" WHERE <key> SET ... REMOVE ...``: DynamoDB
            # runs it as the UPDATE (paritysuite/dynamodb-conformance tests/tier2/partiql/
            # fromFirstUpdate.test.ts, captured against DynamoDB)
            table, index = self.target()
            self.no_alias("WHERE")
            where = self.where()
            actions = self.update_actions()
            return self.done(Statement("UPDATE", table, index, frozenset(), where=where, returning=self.returning(),
                                       actions=actions))
        if verb == "DELETE":
            self.expect_keyword("FROM")
            table, index = self.target()
            self.no_alias("WHERE", "RETURNING")
            where = self.where()
            return self.done(Statement("DELETE", table, index, frozenset(), where=where,
                                       returning=self.returning(delete=True)))
        raise malformed(f"Unsupported statement {verb or '<EOF>'}")

    def update_actions(self) -> tuple[tuple[str, Ref, Any], ...]:
        """``SET path = value, ...`` and ``REMOVE path, ...`` clauses, in any number and order."""
        actions: list[tuple[str, Ref, Any]] = []
        while self.keyword("SET", "REMOVE"):
            kind = self.advance().text.upper()
            while True:
                target = self.path()
                value = None
                if kind == "SET":
                    self.expect_op("=")
                    value = self.additive()
                actions.append((kind, target, value))
                if not self.op(","):
                    break
                self.advance()
        if not actions:
            raise malformed("UPDATE needs a SET or REMOVE clause")
        return tuple(actions)

    def no_alias(self, *following: str) -> None:
        """A name after the table that is not the next clause's keyword names an alias."""
        if self.peek().kind in ("name", "quoted") and not self.keyword(*following):
            raise invalid(ALIASING)

    def done(self, statement: Statement) -> Statement:
        if self.peek().kind != "eof":
            raise malformed(LEFTOVER)
        return Statement(statement.verb, statement.table, statement.index, frozenset(self.names),
                         statement.star, statement.where, statement.item, statement.returning, self.parameters,
                         statement.projection, statement.projected, statement.actions, statement.order, self.text)


#: A parameter's number DynamoDB cannot read or store (see ``parameter_number_error``).
OVERFLOW = "Number overflow. Attempting to store a number with magnitude larger than supported range"
UNDERFLOW = "Number underflow. Attempting to store a number with magnitude smaller than supported range"
DIGITS = "Attempting to store more than 38 significant digits in a Number"
UNCONVERTIBLE = "The parameter cannot be converted to a numeric value"
_WRAP = 2**31


def parameter_number_error(text: Any) -> str | None:
    """Why DynamoDB refuses a number given as a statement's parameter (paritysuite/dynamodb-
    conformance tests/tier3/error-messages/partiqlParameterNumbers.test.ts, captured against
    DynamoDB): it reads it as Java's ``BigDecimal(String)`` does, so an exponent or a scale that
    does not fit 32 bits "cannot be converted", with the text echoed (bare for an empty one), and
    the magnitude is precision less scale in 32-bit arithmetic, which wraps (``1e2147483647``
    underflows)."""
    if not isinstance(text, str) or text == "":
        return UNCONVERTIBLE
    mantissa, _, written = text.lower().partition("e")
    try:
        value = Decimal(text)
        exponent = int(written) if written else 0
    except (ArithmeticError, ValueError):
        return f"{UNCONVERTIBLE}: {text}"
    scale = len(mantissa.partition(".")[2]) - exponent
    if not value.is_finite() or text != text.strip() or abs(exponent) >= _WRAP or not -_WRAP <= scale < _WRAP:
        return f"{UNCONVERTIBLE}: {text}"
    if value.is_zero():
        return None
    digits = "".join(map(str, value.as_tuple().digits)).lstrip("0")
    magnitude = (len(digits) - scale + _WRAP) % (2 * _WRAP) - _WRAP  # precision - scale, as an int
    if magnitude > 126:
        return OVERFLOW
    if magnitude < -129:
        return UNDERFLOW
    if len(digits.rstrip("0")) > 38:
        return DIGITS
    return None


def check_parameters(parameters: Any) -> None:
    """Refuse a statement whose parameters hold a number DynamoDB cannot read or store, the first
    one in document order (lists, maps and number sets included)."""
    pending = list(reversed(parameters)) if isinstance(parameters, list) else []
    while pending:
        value = pending.pop()
        if not isinstance(value, Mapping) or len(value) != 1:
            continue
        kind, inner = next(iter(value.items()))
        numbers = [inner] if kind == "N" else list(inner) if kind == "NS" and isinstance(inner, list) else []
        for text in numbers:
            problem = parameter_number_error(text)
            if problem is not None:
                raise invalid(problem)
        if kind == "L" and isinstance(inner, list):
            pending.extend(reversed(inner))
        elif kind == "M" and isinstance(inner, Mapping):
            pending.extend(reversed(list(inner.values())))


def _number(text: str) -> str:
    """A number literal as written, unless its exponent, or the scale it leaves (digits after the
    point less the exponent), does not fit 32 bits: DynamoDB cannot read it at all (see
    ``malformed``)."""
    mantissa, _, exponent = text.lower().partition("e")
    power = int(exponent) if exponent else 0
    decimals = len(mantissa.partition(".")[2])
    if abs(power) > _INT32 or abs(decimals - power) > _INT32:
        raise malformed()
    return text


def single_spaced(text: str) -> str:
    """The statement with each run of whitespace or comment outside literals and quoted names as
    one space, everything else as written (how ``EXISTS(...)`` is recognized in a transaction)."""
    out: list[str] = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            raise malformed()
        out.append(" " if match.lastgroup == "ws" else match.group())
        position = match.end()
    return "".join(out).strip()


@lru_cache(maxsize=1024)
def parse(text: str) -> Statement:
    """Parse one statement (cached on its text)."""
    return _Parser(text).statement()


def pinned(node: Any, key: str) -> list[Lit] | None:
    """The literals ``key`` is pinned to by ``=``/``IN`` in every branch, or None (a scan)."""
    if isinstance(node, Node):
        if node.op == "=":
            left, right = node.args
            if isinstance(left, Lit) and isinstance(right, Ref):
                left, right = right, left
            if isinstance(left, Ref) and not left.nested and left.name == key and isinstance(right, Lit):
                return [right]
        elif node.op == "IN":
            subject, items = node.args
            if isinstance(subject, Ref) and not subject.nested and subject.name == key and items and \
                    all(isinstance(item, Lit) for item in items):
                return list(items)
        elif node.op == "AND":
            for side in node.args:
                found = pinned(side, key)
                if found is not None:
                    return found
        elif node.op == "OR":
            every: list[Lit] = []
            for side in node.args:
                found = pinned(side, key)
                if found is None:
                    return None
                every += found
            return every
    return None


def _value(literal: Lit, parameters: list[Any]) -> str:
    value = literal.value
    if isinstance(value, tuple):
        value = parameters[value[1]]
    if not isinstance(value, Mapping) or not set(value) & {"S", "N", "B"}:  # TRUE, NULL, MISSING, ...
        raise invalid("One or more parameter values were invalid: the partition key must be a string, number or binary")
    return key_value(value)


def statement_authorization(env: Env, params: Mapping[str, Any], *, enclosing: str | None) -> Authorization:
    text = require(params, "Statement", "statement")
    if not isinstance(text, str) or not text.strip():
        raise constraint(text, "statement", "Member must have length greater than or equal to 1")
    parameters = params.get("Parameters") or []
    if not isinstance(parameters, list):
        raise invalid("Parameters must be a list of AttributeValues")
    for parameter in parameters:
        scalar_type(parameter)
    check_parameters(parameters)
    statement = parse(text)
    if statement.parameters != len(parameters):
        raise invalid("Number of parameters in request and statement don't match.")
    on_failure = on_condition_failure(params)
    enum(params, "ReturnConsumedCapacity", "returnConsumedCapacity", ("INDEXES", "TOTAL", "NONE"), None)
    ref = env.table(statement.table)
    schema = env.schema(ref)
    partition_key = schema.partition_key
    resource = ref.arn
    if statement.index is not None:
        if statement.verb != "SELECT":
            raise malformed("Only SELECT statements can read from an index")
        index = index_schema(schema, statement.index)
        partition_key = index.partition_key
        resource = ref.index(index.name)
    action = _ACTIONS[statement.verb]
    names = set(statement.names)
    if statement.verb == "SELECT":
        found = pinned(statement.where, partition_key)
        leading = None if found is None else [_value(lit, parameters) for lit in found]
        context = item_context(
            leading,
            None if statement.star else names,
            full_table_scan="true" if found is None else "false",
            enclosing=enclosing,
        )
        return env.authorization(action, resource, context)
    if statement.verb == "INSERT":
        item = inserted_item(statement.item, parameters)
        for name in schema.key_names:
            if name not in item:
                raise invalid(f"One or more parameter values were invalid: Missing the key {name} in the item")
        literal = item[partition_key]
        if not isinstance(literal, Lit):
            raise invalid("One or more parameter values were invalid: the partition key must be a string, number or "
                          "binary")
        leading = [_value(literal, parameters)]
        context = item_context(leading, set(item), enclosing=enclosing)
        return env.authorization(action, resource, context)
    # UPDATE and DELETE address exactly one item: every key attribute needs an equality.
    pins = {name: pinned(statement.where, name) for name in schema.key_names}
    if any(found is None or len(found) != 1 for found in pins.values()):
        raise invalid("Where clause does not contain a mandatory equality on all key attributes")
    literal_pk = pins[partition_key]
    assert literal_pk is not None
    returned = statement.returning
    if on_failure == "ALL_OLD" and returned not in ("ALL_OLD", "ALL_NEW"):
        returned = "ALL_OLD"
    context = item_context([_value(literal_pk[0], parameters)], names, return_values=returned, enclosing=enclosing)
    return env.authorization(action, resource, context)


def inserted_item(item: Mapping[str, Any], parameters: list[Any]) -> Mapping[str, Any]:
    """The INSERT's item; ``VALUE ?`` takes it from a map (``M``) parameter."""
    if set(item) != {"?"} or not isinstance(item["?"], Lit):
        return item
    value = parameters[item["?"].value[1]]
    if not (type(value) is dict or isinstance(value, Mapping)) or not isinstance(value.get("M"), Mapping):
        raise invalid("One or more parameter values were invalid: the inserted item must be a map")
    return {str(name): Lit(attribute) for name, attribute in value["M"].items()}


def execute_statement(env: Env, params: Mapping[str, Any]) -> list[Authorization]:
    return [statement_authorization(env, params, enclosing=None)]


def batch_execute_statement(env: Env, params: Mapping[str, Any]) -> list[Authorization]:
    statements = require(params, "Statements", "statements")
    if not isinstance(statements, list) or not statements:
        raise constraint("[]", "statements", "Member must have length greater than or equal to 1")
    if len(statements) > 25:
        raise constraint("[...]", "statements", "Member must have length less than or equal to 25")
    return [statement_authorization(env, _map(entry), enclosing=None) for entry in statements]


def execute_transaction(env: Env, params: Mapping[str, Any]) -> list[Authorization]:
    statements = require(params, "TransactStatements", "transactStatements")
    if not isinstance(statements, list) or not statements:
        raise constraint("[]", "transactStatements", "Member must have length greater than or equal to 1")
    if len(statements) > 100:
        raise constraint("[...]", "transactStatements", "Member must have length less than or equal to 100")
    return [statement_authorization(env, _map(entry), enclosing="ExecuteTransaction") for entry in statements]


def _map(entry: Any) -> Mapping[str, Any]:
    if not (type(entry) is dict or isinstance(entry, Mapping)):
        raise invalid("Each statement must be a map with a Statement")
    return entry
