"""Tokenizer and recursive-descent parser for DynamoDB's expression grammars.

Grammars (Amazon DynamoDB Developer Guide, *Using expressions in DynamoDB*:
Expressions.ProjectionExpressions, Expressions.OperatorsAndFunctions,
Expressions.UpdateExpressions, Query.KeyConditionExpressions)::

    projection  := path ("," path)*
    condition   := and ("OR" and)*
    and         := not ("AND" not)*
    not         := "NOT" not | "(" condition ")" | function | comparison
    comparison  := operand (comparator operand | "BETWEEN" operand "AND" operand
                            | "IN" "(" operand ("," operand)* ")")
    operand     := path | :value | "size" "(" (path | :value) ")" | "(" operand ")"
    update      := (SET action ("," action)* | REMOVE path ("," path)*
                    | ADD path :value ("," ...)* | DELETE path :value ("," ...)*)+
    action      := path "=" value (("+" | "-") value)?
    value       := path | :value | "if_not_exists" "(" path "," value ")"
                   | "list_append" "(" value "," value ")"
    path        := name ("." name | "[" digits "]")*
    name        := identifier | #placeholder

Only what authorization needs is kept: every document path (its first element decides the
``dynamodb:Attributes`` entry), the ``#name`` and ``:value`` placeholders used, and for a key
condition its conditions. Parses are cached on the expression text, because the endpoint
derives a context for every request and apps send the same few expressions again and again.
Error texts follow DynamoDB's ValidationException wording.

**No recursion on the request's nesting.** A ConditionExpression may nest as deep as 4 KB of
``(`` or ``NOT`` allow; the boolean structure is parsed with an explicit stack (shunting-yard)
rather than recursive descent, so no input reaches Python's recursion limit (issue 11: 400
nested parentheses or 1,000 ``NOT``s were a ``RecursionError``, an HTTP 500). DynamoDB's own
limits are enforced on the way, with its messages:

* at most 300 operators (Developer Guide, *Service, account, and table quotas* → "Expression
  parameters"; the text ``The expression contains too many operators; operator count: 301`` is
  DynamoDB's, as recorded in ScyllaDB's ``test/alternator/test_limits.py``, which also shows that
  parentheses and function calls are not counted in conditions). The update functions count in
  an UpdateExpression ("operators or functions");
* ``((x))`` is refused as ``The expression has redundant parentheses;`` (DynamoDB; moto applies
  the same rule), which with the operator limit bounds how deep parentheses can nest;
* a document path has at most 32 levels (``The document path has too many nesting levels;
  nesting levels: 33``, DynamoDB's text per the same ScyllaDB test).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from iam_policies.dynamodb.errors import invalid
from iam_policies.dynamodb.reserved import RESERVED_WORDS
from iam_policies.errors import ValidationException

Kind = Literal[
    "ProjectionExpression", "ConditionExpression", "FilterExpression", "KeyConditionExpression", "UpdateExpression"
]

#: One element of a document path: an attribute name or ``#placeholder`` (str), or a list index.
PathElement = str | int
Path = tuple[PathElement, ...]

_TOKEN = re.compile(
    r"""(?P<ws>\s+)
      | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
      | (?P<alias>\#[A-Za-z0-9_]+)
      | (?P<value>:[A-Za-z0-9_]+)
      | (?P<number>[0-9]+)
      | (?P<op><>|<=|>=|[=<>(),.\[\]+-])
    """,
    re.VERBOSE,
)

_CONDITION_FUNCTIONS = {
    # name: (number of operands, first operand must be a path)
    "attribute_exists": 1,
    "attribute_not_exists": 1,
    "attribute_type": 2,
    "begins_with": 2,
    "contains": 2,
}
_UPDATE_FUNCTIONS = {"if_not_exists": 2, "list_append": 2}
_ALL_FUNCTIONS = {**_CONDITION_FUNCTIONS, **_UPDATE_FUNCTIONS, "size": 1}
_COMPARATORS = frozenset({"=", "<>", "<", "<=", ">", ">="})
_UPDATE_SECTIONS = ("SET", "REMOVE", "ADD", "DELETE")
#: DynamoDB DG, *Service, account, and table quotas*: "The maximum length of any expression string is 4 KB".
MAX_EXPRESSION_BYTES = 4096
#: The same page: "The maximum number of operators or functions allowed in an UpdateExpression is 300";
#: DynamoDB applies it to conditions too (see the module docstring).
MAX_OPERATORS = 300
#: DynamoDB DG, *Naming rules and data types* → document paths: 32 levels of nesting.
MAX_PATH_DEPTH = 32
#: Update functions nested in one another (``list_append(list_append(...))``). Not a DynamoDB
#: limit (its bound is the 300 operators) but the local storage's: moto evaluates them
#: recursively and fails past about 170 levels, so the local stack refuses deeper ones in words.
MAX_FUNCTION_NESTING = 100


@dataclass(frozen=True)
class Token:
    kind: str  # name | alias | value | number | op | eof
    text: str
    start: int


# -- condition AST (only as deep as the key-condition checks need) --------------------------


@dataclass(frozen=True)
class PathOperand:
    path: Path


@dataclass(frozen=True)
class ValueOperand:
    placeholder: str


@dataclass(frozen=True)
class SizeOperand:
    """``size(path)``, or ``size(:value)`` (``value`` the placeholder, ``path`` then empty)."""

    path: Path
    value: str | None = None


Operand = PathOperand | ValueOperand | SizeOperand


@dataclass(frozen=True)
class Compare:
    op: str
    left: Operand
    right: Operand


@dataclass(frozen=True)
class Between:
    subject: Operand
    low: Operand
    high: Operand


@dataclass(frozen=True)
class In:
    subject: Operand
    choices: tuple[Operand, ...]


@dataclass(frozen=True)
class Function:
    name: str
    args: tuple[Operand, ...]


@dataclass(frozen=True)
class BoolOp:
    op: str  # AND | OR
    left: Condition
    right: Condition


@dataclass(frozen=True)
class Not:
    operand: Condition


Condition = Compare | Between | In | Function | BoolOp | Not


@dataclass(frozen=True)
class Parsed:
    """What one expression references."""

    paths: tuple[Path, ...]
    names: frozenset[str]  # ``#placeholders`` used
    values: frozenset[str]  # ``:placeholders`` used
    condition: Condition | None = None
    #: UpdateExpression only: the paths its SET/REMOVE/ADD/DELETE actions write.
    targets: tuple[Path, ...] = ()


@dataclass(frozen=True)
class KeyCondition:
    """One condition of a KeyConditionExpression: ``name op values``."""

    name: str  # an attribute name or a ``#placeholder``
    op: str  # = < <= > >= BETWEEN begins_with
    values: tuple[str, ...]  # ``:placeholders``


def syntax_error(kind: str, text: str, token: Token, previous: Token | None,
                 following: Token | None = None) -> ValidationException:
    """DynamoDB's wording: the offending token, and the text around it (one token either side)."""
    shown = "<EOF>" if token.kind == "eof" else token.text
    start = previous.start if previous is not None else token.start
    last = following if following is not None and following.kind != "eof" else token
    end = len(text) if last.kind == "eof" else last.start + len(last.text)
    return invalid(f'Invalid {kind}: Syntax error; token: "{shown}", near: "{text[start:end]}"')


def tokenize(kind: str, text: str) -> list[Token]:
    tokens: list[Token] = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            bad = Token("op", text[position], position)
            raise syntax_error(kind, text, bad, tokens[-1] if tokens else None)
        group = match.lastgroup or "ws"
        if group != "ws":
            tokens.append(Token(group, match.group(), position))
        position = match.end()
    tokens.append(Token("eof", "", len(text)))
    return tokens


class _Parser:
    def __init__(self, kind: str, text: str) -> None:
        self.kind = kind
        self.text = text
        self.tokens = tokenize(kind, text)
        self.position = 0
        self.paths: list[Path] = []
        self.names: set[str] = set()
        self.values: set[str] = set()
        self.targets: list[Path] = []
        #: The first bare reserved word; reported only once the text parses, as DynamoDB checks
        #: syntax before names.
        self.reserved: str | None = None
        self.operators = 0
        self.function_depth = 0

    # -- token helpers -------------------------------------------------------------------
    def peek(self, offset: int = 0) -> Token:
        return self.tokens[min(self.position + offset, len(self.tokens) - 1)]

    def advance(self) -> Token:
        token = self.peek()
        self.position = min(self.position + 1, len(self.tokens) - 1)
        return token

    def error(self, token: Token | None = None) -> ValidationException:
        token = token or self.peek()
        index = self.tokens.index(token)
        return syntax_error(
            self.kind,
            self.text,
            token,
            self.tokens[index - 1] if index > 0 else None,
            self.tokens[index + 1] if index + 1 < len(self.tokens) else None,
        )

    def at_keyword(self, word: str) -> bool:
        token = self.peek()
        return token.kind == "name" and token.text.upper() == word

    def at_op(self, op: str) -> bool:
        token = self.peek()
        return token.kind == "op" and token.text == op

    def expect_op(self, op: str) -> None:
        if not self.at_op(op):
            raise self.error()
        self.advance()

    def expect_end(self) -> None:
        if self.peek().kind != "eof":
            raise self.error()

    def fail(self, reason: str) -> ValidationException:
        return invalid(f"Invalid {self.kind}: {reason}")

    def count_operator(self) -> None:
        self.operators += 1
        if self.operators > MAX_OPERATORS:
            raise self.fail(f"The expression contains too many operators; operator count: {self.operators}")

    # -- names, paths and operands ---------------------------------------------------------
    def name(self) -> str:
        token = self.advance()
        if token.kind == "alias":
            self.names.add(token.text)
            return token.text
        if token.kind == "name":
            if self.reserved is None and token.text.upper() in RESERVED_WORDS:
                self.reserved = token.text
            return token.text
        raise self.error(token)

    def path(self) -> Path:
        elements: list[PathElement] = [self.name()]
        while True:
            if self.at_op("."):
                self.advance()
                elements.append(self.name())
            elif self.at_op("["):
                self.advance()
                token = self.advance()
                if token.kind != "number":
                    raise self.error(token)
                elements.append(int(token.text))
                self.expect_op("]")
            else:
                break
        if len(elements) > MAX_PATH_DEPTH:
            raise self.fail(f"The document path has too many nesting levels; nesting levels: {len(elements)}")
        path = tuple(elements)
        self.paths.append(path)
        return path

    def value(self) -> ValueOperand:
        token = self.advance()
        if token.kind != "value":
            raise self.error(token)
        self.values.add(token.text)
        return ValueOperand(token.text)

    def at_function(self) -> bool:
        return self.peek().kind == "name" and self.peek(1).kind == "op" and self.peek(1).text == "("

    def function_name(self, allowed: dict[str, int]) -> str:
        token = self.advance()
        if token.text not in _ALL_FUNCTIONS:
            raise self.fail(f"Invalid function name; function: {token.text}")
        if token.text not in allowed:
            raise self.fail(f"The function is not allowed to be used this way in an expression; function: {token.text}")
        self.expect_op("(")
        return token.text

    def arguments(self, function: str, parse_one: Callable[[], Operand]) -> list[Operand]:
        args: list[Operand] = []
        if not self.at_op(")"):
            while True:
                args.append(parse_one())
                if not self.at_op(","):
                    break
                self.advance()
        self.expect_op(")")
        if len(args) != _ALL_FUNCTIONS[function]:
            raise self.fail(
                "Incorrect number of operands for operator or function; "
                f"operator or function: {function}, number of operands: {len(args)}"
            )
        return args

    def operand(self) -> Operand:
        token = self.peek()
        if token.kind == "value":
            return self.value()
        if self.at_function():
            function = self.function_name({"size": 1})
            args = self.arguments(function, self.size_argument)
            if isinstance(args[0], ValueOperand):  # DynamoDB takes the size of a value too
                return SizeOperand((), args[0].placeholder)
            if not isinstance(args[0], PathOperand):
                raise self.fail(f"Operator or function requires a document path; operator or function: {function}")
            return SizeOperand(args[0].path)
        if token.kind in ("name", "alias"):
            return PathOperand(self.path())
        if token.kind == "op" and token.text == "(":
            return self.parenthesised_operand()
        raise self.error()

    def parenthesised_operand(self) -> Operand:
        """``(size(b)) = :v``: an operand in parentheses (any number of them, counted, not
        recursed into)."""
        opened = 0
        while self.at_op("("):
            self.advance()
            opened += 1
        inner = self.operand()
        for _ in range(opened):
            self.expect_op(")")
        return inner

    def at_parenthesised_operand(self) -> bool:
        """Whether the ``(`` here opens an operand (followed by a comparator, BETWEEN or IN)
        rather than a group of conditions; looks ahead and leaves no trace."""
        start, paths = self.position, len(self.paths)
        try:
            self.parenthesised_operand()
            token = self.peek()
            return (token.kind == "op" and token.text in _COMPARATORS) or self.at_keyword("BETWEEN") \
                or self.at_keyword("IN")
        except ValidationException:
            return False
        finally:
            self.position = start
            del self.paths[paths:]

    def size_argument(self) -> Operand:
        """``size``'s operand: a path, or whatever else is there, refused by the caller without
        descending into it (``size(size(size(...)))`` nests no deeper than one level)."""
        token = self.peek()
        if token.kind in ("name", "alias") and not self.at_function():
            return PathOperand(self.path())
        if token.kind == "value":
            return self.value()
        if self.at_function():
            raise self.fail("Operator or function requires a document path; operator or function: size")
        raise self.error()

    # -- conditions --------------------------------------------------------------------------
    def condition(self) -> Condition:
        """``condition := and (OR and)*; and := not (AND not)*; not := NOT not | ( condition ) |
        primary``, by shunting-yard: operators and open parentheses wait on ``pending``, finished
        conditions on ``done``. Precedence NOT > AND > OR, left-associative (DynamoDB DG,
        *Precedence in conditions*). Stops before the first token that cannot continue it."""
        done: list[Condition] = []
        #: ("NOT" | "AND" | "OR" | "(", index of its token)
        pending: list[tuple[str, int]] = []
        groups = 0  # open parentheses on ``pending``
        #: index of each ")" seen -> index of the "(" it closed
        closed: dict[int, int] = {}
        precedence = {"OR": 1, "AND": 2, "NOT": 3}

        def reduce() -> None:
            op, _ = pending.pop()
            if op == "NOT":
                done.append(Not(done.pop()))
            else:
                right = done.pop()
                done.append(BoolOp(op, done.pop(), right))

        while True:
            # an operand is expected
            if self.at_keyword("NOT"):
                self.count_operator()
                pending.append(("NOT", self.position))
                self.advance()
                continue
            if self.at_op("(") and not self.at_parenthesised_operand():
                pending.append(("(", self.position))
                groups += 1
                self.advance()
                continue
            done.append(self.primary())
            # an operator, a ")" or the end
            while True:
                token = self.peek()
                word = token.text.upper() if token.kind == "name" else ""
                if word in ("AND", "OR"):
                    self.count_operator()
                    while pending and pending[-1][0] != "(" and precedence[pending[-1][0]] >= precedence[word]:
                        reduce()
                    pending.append((word, self.position))
                    self.advance()
                    break
                if groups and token.kind == "op" and token.text == ")":
                    while pending[-1][0] != "(":
                        reduce()
                    _, opened = pending.pop()
                    groups -= 1
                    closing = self.position
                    closed[closing] = opened
                    # "((x))": a group whose only content is another group (DynamoDB refuses it).
                    if closed.get(closing - 1) == opened + 1:
                        raise self.fail("The expression has redundant parentheses;")
                    self.advance()
                    continue
                if groups:
                    raise self.error()  # an unclosed "(": whatever stands here should have been ")"
                while pending:
                    reduce()
                return done[0]

    def primary(self) -> Condition:
        """A function call or a comparison: no nested conditions, so no recursion."""
        if self.at_function() and self.peek().text != "size":
            function = self.function_name(_CONDITION_FUNCTIONS)
            args = self.arguments(function, self.operand)
            if not isinstance(args[0], PathOperand):
                raise self.fail(f"Operator or function requires a document path; operator or function: {function}")
            return Function(function, tuple(args))
        return self.comparison()

    def comparison(self) -> Condition:
        subject = self.operand()
        token = self.peek()
        if token.kind == "op" and token.text in _COMPARATORS:
            self.count_operator()
            self.advance()
            return Compare(token.text, subject, self.operand())
        if self.at_keyword("BETWEEN"):
            self.count_operator()
            self.advance()
            low = self.operand()
            if not self.at_keyword("AND"):
                raise self.error()
            self.advance()
            return Between(subject, low, self.operand())
        if self.at_keyword("IN"):
            self.count_operator()
            self.advance()
            self.expect_op("(")
            choices = [self.operand()]
            while self.at_op(","):
                self.advance()
                choices.append(self.operand())
            self.expect_op(")")
            return In(subject, tuple(choices))
        raise self.error()

    # -- updates -------------------------------------------------------------------------------
    def update_value(self) -> None:
        self.update_operand()
        if self.at_op("+") or self.at_op("-"):
            self.count_operator()
            self.advance()
            self.update_operand()

    def update_operand(self) -> Operand:
        token = self.peek()
        if token.kind == "value":
            return self.value()
        if self.at_function():
            function = self.function_name(_UPDATE_FUNCTIONS)
            self.count_operator()
            self.function_depth += 1
            if self.function_depth > MAX_FUNCTION_NESTING:
                raise self.fail(
                    f"Functions are nested more than {MAX_FUNCTION_NESTING} deep; the local stack's storage "
                    "cannot evaluate deeper ones (DynamoDB's own bound is 300 operators or functions)"
                )
            if function == "if_not_exists":
                target = self.path()
                self.expect_op(",")
                self.update_operand()
            else:
                self.update_operand()
                self.expect_op(",")
                self.update_operand()
                target = ()
            self.expect_op(")")
            self.function_depth -= 1
            return PathOperand(target)
        if token.kind in ("name", "alias"):
            return PathOperand(self.path())
        raise self.error()

    def update(self) -> None:
        seen: set[str] = set()
        if self.peek().kind == "eof":
            raise self.fail("The expression can not be empty;")
        while self.peek().kind != "eof":
            token = self.advance()
            section = token.text.upper() if token.kind == "name" else ""
            if section not in _UPDATE_SECTIONS:
                raise self.error(token)
            if section in seen:
                raise self.fail(f'The "{section}" section can only be used once in an update expression;')
            seen.add(section)
            while True:
                self.targets.append(self.path())
                if section == "SET":
                    self.expect_op("=")
                    self.update_value()
                elif section in ("ADD", "DELETE"):
                    self.value()
                if not self.at_op(","):
                    break
                self.advance()


def _parse(kind: str, text: str) -> Parsed:
    if not isinstance(text, str):
        raise invalid(f"Invalid {kind}: expected a string")
    if len(text.encode("utf-8")) > MAX_EXPRESSION_BYTES:
        raise invalid(
            f"Invalid {kind}: Expression size has exceeded the maximum allowed size; "
            f"expression size: {len(text.encode('utf-8'))}"
        )
    parser = _Parser(kind, text)
    condition: Condition | None = None
    if parser.peek().kind == "eof":
        raise parser.fail("The expression can not be empty;")
    if kind == "ProjectionExpression":
        parser.path()
        while parser.at_op(","):
            parser.advance()
            parser.path()
    elif kind == "UpdateExpression":
        parser.update()
    else:
        condition = parser.condition()
    parser.expect_end()
    if parser.reserved is not None:
        raise parser.fail(f"Attribute name is a reserved keyword; reserved keyword: {parser.reserved}")
    return Parsed(
        tuple(parser.paths), frozenset(parser.names), frozenset(parser.values), condition, tuple(parser.targets)
    )


@lru_cache(maxsize=4096)
def parse(kind: Kind, text: str) -> Parsed:
    """Parse one expression (cached on its text); raise ``ValidationException`` like DynamoDB."""
    return _parse(kind, text)


@lru_cache(maxsize=1024)
def key_conditions(text: str) -> tuple[Parsed, tuple[KeyCondition, ...]]:
    """Parse a KeyConditionExpression and check the shape DynamoDB allows for it.

    At most two conditions joined by AND: an equality on the partition key and one of
    ``= < <= > >= BETWEEN begins_with`` on the sort key; each compares a top-level name with
    values. Which names are the keys is checked later, against the schema.
    """
    kind = "KeyConditionExpression"
    parsed = parse(kind, text)
    parts: list[Condition] = []
    assert parsed.condition is not None
    stack: list[Condition] = [parsed.condition]
    while stack:  # the AND-joined parts, left to right, without recursion
        node = stack.pop()
        if isinstance(node, BoolOp) and node.op == "AND":
            stack += (node.right, node.left)
        else:
            parts.append(node)
    result: list[KeyCondition] = []
    for part in parts:
        result.append(_key_condition(part))
    if len(result) > 2:
        raise invalid("Conditions can be of length 1 or 2 only")
    return parsed, tuple(result)


def _key_name(operand: Operand) -> str:
    if isinstance(operand, PathOperand):
        if len(operand.path) != 1:
            raise invalid("KeyConditionExpressions cannot contain nested attributes: " + _show(operand.path))
        return str(operand.path[0])
    raise invalid("Invalid KeyConditionExpression: The function is not allowed in a key condition; function: size")


def _key_condition(node: Condition) -> KeyCondition:
    if isinstance(node, BoolOp):
        raise invalid(f"Invalid operator used in KeyConditionExpression: {node.op}")
    if isinstance(node, Not):
        raise invalid("Invalid operator used in KeyConditionExpression: NOT")
    if isinstance(node, In):
        raise invalid("Invalid operator used in KeyConditionExpression: IN")
    if isinstance(node, Function):
        if node.name != "begins_with":
            raise invalid(f"Invalid operator used in KeyConditionExpression: {node.name}")
        value = node.args[1]
        if not isinstance(value, ValueOperand):
            raise invalid("Invalid condition in KeyConditionExpression: Multiple attribute names used in one condition")
        return KeyCondition(_key_name(node.args[0]), "begins_with", (value.placeholder,))
    if isinstance(node, Between):
        if not isinstance(node.low, ValueOperand) or not isinstance(node.high, ValueOperand):
            raise invalid("Invalid condition in KeyConditionExpression: Multiple attribute names used in one condition")
        return KeyCondition(_key_name(node.subject), "BETWEEN", (node.low.placeholder, node.high.placeholder))
    if node.op == "<>":
        raise invalid("Unsupported operator on KeyConditionExpression: operator: <>")
    left, right, op = node.left, node.right, node.op
    if isinstance(left, ValueOperand) and not isinstance(right, ValueOperand):
        left, right = right, left
        op = {"<": ">", ">": "<", "<=": ">=", ">=": "<="}.get(op, op)
    if not isinstance(right, ValueOperand):
        if isinstance(left, ValueOperand):
            raise invalid("Invalid condition in KeyConditionExpression: No key attribute specified")
        raise invalid("Invalid condition in KeyConditionExpression: Multiple attribute names used in one condition")
    return KeyCondition(_key_name(left), op, (right.placeholder,))


def _show(path: Path) -> str:
    return "".join(f"[{e}]" if isinstance(e, int) else (("." if i else "") + e) for i, e in enumerate(path))
