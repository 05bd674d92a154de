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
    operand     := path | :value | "size" "(" path ")"
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
    path: Path


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
            args = self.arguments(function, self.operand)
            if not isinstance(args[0], PathOperand):
                raise self.fail(f"Operator or function requires a document path; operator or function: {function}")
            return SizeOperand(args[0].path)
        if token.kind in ("name", "alias"):
            return PathOperand(self.path())
        raise self.error()

    # -- conditions --------------------------------------------------------------------------
    def condition(self) -> Condition:
        left = self.conjunction()
        while self.at_keyword("OR"):
            self.advance()
            left = BoolOp("OR", left, self.conjunction())
        return left

    def conjunction(self) -> Condition:
        left = self.negation()
        while self.at_keyword("AND"):
            self.advance()
            left = BoolOp("AND", left, self.negation())
        return left

    def negation(self) -> Condition:
        if self.at_keyword("NOT"):
            self.advance()
            return Not(self.negation())
        if self.at_op("("):
            self.advance()
            inner = self.condition()
            self.expect_op(")")
            return inner
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
            self.advance()
            return Compare(token.text, subject, self.operand())
        if self.at_keyword("BETWEEN"):
            self.advance()
            low = self.operand()
            if not self.at_keyword("AND"):
                raise self.error()
            self.advance()
            return Between(subject, low, self.operand())
        if self.at_keyword("IN"):
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
            self.advance()
            self.update_operand()

    def update_operand(self) -> Operand:
        token = self.peek()
        if token.kind == "value":
            return self.value()
        if self.at_function():
            function = self.function_name(_UPDATE_FUNCTIONS)
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

    def flatten(node: Condition) -> None:
        if isinstance(node, BoolOp) and node.op == "AND":
            flatten(node.left)
            flatten(node.right)
        else:
            parts.append(node)

    assert parsed.condition is not None
    flatten(parsed.condition)
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
