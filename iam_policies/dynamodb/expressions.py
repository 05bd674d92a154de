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

import base64
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any, Literal

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
      | (?P<name>[A-Za-z][A-Za-z0-9_]*)
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


@dataclass(frozen=True)
class Call:
    """A function call in an operand's place that is not ``size`` of one path or value
    (``size(size(a))``, ``size(a, b)``) or an update function (``list_append(...)``,
    ``if_not_exists(...)``): kept as written so :func:`check` reports what DynamoDB reports of it.
    A condition that passed :func:`check` holds none."""

    name: str
    args: tuple[Node, ...]


@dataclass(frozen=True)
class Arith:
    """``a + b`` or ``a - b`` on the right of a ``SET`` action."""

    op: str
    left: Node
    right: Node


Operand = PathOperand | ValueOperand | SizeOperand | Call
#: Anything an operand's place can hold, in a condition or on the right of a ``SET`` action.
Node = PathOperand | ValueOperand | SizeOperand | Call | Arith


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
class Action:
    """One action of an UpdateExpression: ``SET path = value``, ``REMOVE path``, ``ADD path :v``
    or ``DELETE path :v`` (``value`` is ``None`` for ``REMOVE``)."""

    section: str
    target: Path
    value: Node | None


@dataclass(frozen=True)
class Parsed:
    """What one expression references."""

    paths: tuple[Path, ...]
    names: frozenset[str]  # ``#placeholders`` used
    values: frozenset[str]  # ``:placeholders`` used
    condition: Condition | None = None
    #: UpdateExpression only: the paths its SET/REMOVE/ADD/DELETE actions write.
    targets: tuple[Path, ...] = ()
    #: UpdateExpression only: its actions, in the order written.
    actions: tuple[Action, ...] = ()


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
            raise syntax_error(kind, text, bad, tokens[-1] if tokens else None, _following(text, position + 1))
        group = match.lastgroup or "ws"
        if group != "ws":
            tokens.append(Token(group, match.group(), position))
        position = match.end()
    tokens.append(Token("eof", "", len(text)))
    return tokens


def _following(text: str, position: int) -> Token | None:
    """The token after an unknown character, for the text DynamoDB quotes around it: ``!!!``
    is ``token: "!", near: "!!"`` (the next character is unknown too, so it stands alone; seen
    from DynamoDB by nubo-db/dynoxide's expression tests)."""
    while position < len(text) and text[position].isspace():
        position += 1
    if position >= len(text):
        return None
    match = _TOKEN.match(text, position)
    return Token(match.lastgroup or "op", match.group(), position) if match else Token("op", text[position], position)


#: Words of the grammar that cannot stand for an attribute name (``a > between``, ``SET a = set``
#: are syntax errors: dynalite test/scan.js and test/updateItem.js, recorded live).
_KEYWORDS = {
    "UpdateExpression": frozenset(_UPDATE_SECTIONS),
    "ProjectionExpression": frozenset(),
}
_CONDITION_KEYWORDS = frozenset({"AND", "OR", "NOT", "BETWEEN", "IN"})


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
        self.actions: list[Action] = []
        #: The first bare reserved word; reported only once the text parses, as DynamoDB checks
        #: syntax before names.
        self.reserved: str | None = None
        #: The first section written twice; reported after the reserved words (dynalite
        #: test/updateItem.js: `` set #c = :c set abOrt = true `` names the keyword).
        self.repeated: str | None = None
        self.keywords = _KEYWORDS.get(kind, _CONDITION_KEYWORDS)
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

    def not_allowed(self, function: str) -> ValidationException:
        return self.fail(f"The function is not allowed to be used this way in an expression; function: {function}")

    # -- names, paths and operands ---------------------------------------------------------
    def name(self) -> str:
        token = self.advance()
        if token.kind == "alias":
            self.names.add(token.text)
            return token.text
        if token.kind == "name" and token.text.upper() not in self.keywords:
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

    def call(self, argument: Callable[[], Node]) -> tuple[str, list[Node]]:
        """``name(argument, ...)``. The name is checked once the call is closed, as DynamoDB
        does: ``whatever((:x), ((a)))`` is refused for its redundant parentheses, not its name
        (dynalite test/scan.js). Calls nest no deeper than :data:`MAX_FUNCTION_NESTING`."""
        name = self.advance().text
        self.expect_op("(")
        self.function_depth += 1
        if self.function_depth > MAX_FUNCTION_NESTING:
            if self.kind != "UpdateExpression" and name == "size":
                # size(size(...)): the inner size is a number, which size refuses (DynamoDB's
                # answer to any such nesting; dynalite test/scan.js 'size(size(a)) > :a').
                raise self.fail("Incorrect operand type for operator or function; operator or function: size, "
                                "operand type: N")
            raise self.fail(
                f"Functions are nested more than {MAX_FUNCTION_NESTING} deep; the local stack's storage "
                "cannot evaluate deeper ones (DynamoDB's own bound is 300 operators or functions)"
            )
        args: list[Node] = []
        if not self.at_op(")"):
            while True:
                args.append(argument())
                if not self.at_op(","):
                    break
                self.advance()
        self.expect_op(")")
        self.function_depth -= 1
        if name not in _ALL_FUNCTIONS:
            raise self.fail(f"Invalid function name; function: {name}")
        return name, args

    def operand(self) -> Operand:
        token = self.peek()
        if token.kind == "value":
            return self.value()
        if self.at_function():
            name, args = self.call(self.operand)
            if name != "size":
                raise self.not_allowed(name)
            if len(args) == 1 and isinstance(args[0], PathOperand):
                return SizeOperand(args[0].path)
            if len(args) == 1 and isinstance(args[0], ValueOperand):  # DynamoDB takes the size of a value too
                return SizeOperand((), args[0].placeholder)
            return Call(name, tuple(args))
        if token.kind in ("name", "alias"):
            return PathOperand(self.path())
        if token.kind == "op" and token.text == "(":
            return self.parenthesised_operand()
        raise self.error()

    def parenthesised_operand(self) -> Operand:
        """``(size(b)) = :v``: an operand in parentheses; ``((b))`` is refused as redundant the
        moment its second ``)`` closes (dynalite test/scan.js ``(a)between(((b.c)).d)and(c)``)."""
        opened = 0
        while self.at_op("("):
            self.advance()
            opened += 1
        inner = self.operand()
        for closed in range(opened):
            self.expect_op(")")
            if closed == 1:
                raise self.fail("The expression has redundant parentheses;")
        return inner

    def at_parenthesised_operand(self) -> bool:
        """Whether the ``(`` here opens an operand (followed by a comparator, BETWEEN or IN)
        rather than a group of conditions; looks ahead and leaves no trace."""
        start, paths, names, values = self.position, len(self.paths), set(self.names), set(self.values)
        reserved, depth = self.reserved, self.function_depth
        try:
            self.parenthesised_operand()
            token = self.peek()
            return (token.kind == "op" and token.text in _COMPARATORS) or self.at_keyword("BETWEEN") \
                or self.at_keyword("IN")
        except ValidationException as error:
            return "redundant parentheses" in error.message  # ``((a)) = :v``: DynamoDB's answer
        finally:
            self.position = start
            del self.paths[paths:]
            self.names, self.values, self.reserved, self.function_depth = names, values, reserved, depth

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

    def at_comparison(self) -> bool:
        token = self.peek()
        return (token.kind == "op" and token.text in _COMPARATORS) or self.at_keyword("BETWEEN") \
            or self.at_keyword("IN")

    def primary(self) -> Condition:
        """A function call or a comparison: no nested conditions, so no recursion."""
        if self.at_function() and self.peek().text != "size":
            name, args = self.call(self.operand)
            if name not in _CONDITION_FUNCTIONS or self.at_comparison():
                raise self.not_allowed(name)  # ``attribute_exists(a) > b``, ``if_not_exists(a, b)``
            return Function(name, tuple(args))  # type: ignore[arg-type]
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
        if isinstance(subject, SizeOperand | Call) and (token.kind == "eof" or self.at_keyword("AND")
                                                        or self.at_keyword("OR")):
            raise self.not_allowed("size")  # ``size(a)`` is no condition on its own
        raise self.error()

    # -- updates -------------------------------------------------------------------------------
    def update_value(self, depth: int = 0) -> Node:
        """``term (("+" | "-") term)?``; a term in parentheses may hold another value."""
        left = self.update_term(depth)
        if self.at_op("+") or self.at_op("-"):
            token = self.advance()
            self.count_operator()
            right = self.update_term(depth)
            if isinstance(left, Arith) or isinstance(right, Arith):
                # One ``+`` or ``-`` per value (``a + b + c`` is a syntax error, dynalite
                # test/updateItem.js); a parenthesised sum is no operand of another either.
                raise self.error(token)
            return Arith(token.text, left, right)
        return left

    def update_term(self, depth: int) -> Node:
        token = self.peek()
        if token.kind == "value":
            return self.value()
        if self.at_op("("):
            if depth >= MAX_FUNCTION_NESTING:
                raise self.error()
            self.advance()
            redundant = self.at_op("(")
            inner = self.update_value(depth + 1)
            self.expect_op(")")
            if redundant and self.tokens[self.position - 2].text == ")" and not isinstance(inner, Arith):
                raise self.fail("The expression has redundant parentheses;")
            return inner
        if self.at_function():
            name, args = self.call(lambda: self.update_term(depth + 1))
            if name not in _UPDATE_FUNCTIONS:
                raise self.not_allowed(name)
            if name == "list_append" and any(isinstance(arg, Call) and arg.name == name for arg in args):
                # ``list_append(list_append(:a, :b), :c)`` parses, but DynamoDB refuses it, while
                # ``list_append(if_not_exists(a, :v), :w)`` is fine (ScyllaDB Alternator's
                # test_update_expression.py ``test_update_expression_function_nesting``, checked
                # against DynamoDB).
                raise self.not_allowed(name)
            self.count_operator()
            return Call(name, tuple(args))
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
            if section in seen and self.repeated is None:
                self.repeated = section
            seen.add(section)
            while True:
                target = self.path()
                self.targets.append(target)
                value: Node | None = None
                if section == "SET":
                    self.expect_op("=")
                    value = self.update_value()
                elif section in ("ADD", "DELETE"):
                    value = self.value()
                self.actions.append(Action(section, target, value))
                if not self.at_op(","):
                    break
                self.advance()


def _parse(kind: str, text: str) -> Parsed:
    """The text's syntax and what DynamoDB checks of it before it looks at the request's names
    and values: function names and their places, reserved words, repeated sections."""
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
    if parser.repeated is not None:
        raise parser.fail(f'The "{parser.repeated}" section can only be used once in an update expression;')
    return Parsed(
        tuple(parser.paths), frozenset(parser.names), frozenset(parser.values), condition, tuple(parser.targets),
        tuple(parser.actions),
    )


@lru_cache(maxsize=4096)
def syntax(kind: Kind, text: str) -> Parsed:
    """Parse one expression (cached on its text) without checking it against a request's names
    and values; raise ``ValidationException`` like DynamoDB for what the text alone decides."""
    return _parse(kind, text)


@lru_cache(maxsize=4096)
def parse(kind: Kind, text: str) -> Parsed:
    """Parse one expression (cached on its text) and check what needs no names or values
    (operand counts, document paths, functions' operands); raise ``ValidationException`` like
    DynamoDB."""
    parsed = syntax(kind, text)
    check(kind, parsed, None, None)
    return parsed


# -- checks that follow the syntax ------------------------------------------------------------
#
# What DynamoDB reports of an expression that parses, in its order (dynalite test/scan.js and
# test/updateItem.js, recorded live; validations/index.js ``validateExpressions``): a condition is
# checked operand by operand, left to right and inner before outer - each ``#name``/``:value``
# defined as it is met, then each function's operand count, document paths and operand types,
# then whether a comparison's first operand differs from the others. An UpdateExpression: every
# placeholder defined, then its paths neither overlapping nor conflicting, then the values ADD
# and DELETE take, then its functions and ``+``/``-``.

#: An operand's type when it is known before any item is read: a value's own, a function's result.
_SIZE_TYPES = frozenset({"S", "B", "SS", "NS", "BS", "M", "L"})
_BEGINS_TYPES = frozenset({"S", "B"})
_ATTRIBUTE_TYPES = ("S", "SS", "N", "NS", "B", "BS", "BOOL", "NULL", "L", "M")
#: ADD and DELETE name a value's type in full (dynalite test/updateItem.js).
_OPERAND = "Incorrect operand type for operator or function; "
_TYPE_WORDS = {"S": "STRING", "N": "NUMBER", "B": "BINARY", "BOOL": "BOOLEAN", "NULL": "NULL", "M": "MAP",
               "L": "LIST", "SS": "STRING_SET", "NS": "NUMBER_SET", "BS": "BINARY_SET"}
_ADD_TYPES = frozenset({"N", "SS", "NS", "BS"})
_DELETE_TYPES = frozenset({"SS", "NS", "BS"})
#: Functions whose first operand must be a document path.
#: (``attribute_type(:v, :t)`` is accepted: ScyllaDB Alternator's test_condition_expression.py
#: ``test_update_condition_attribute_type``, run against real DynamoDB; dynalite test/scan.js lists
#: only attribute_exists and attribute_not_exists.)
_PATH_FIRST = frozenset({"attribute_exists", "attribute_not_exists", "if_not_exists"})
#: Types an ordering comparison (``<``, ``<=``, ``>``, ``>=``, ``BETWEEN``) takes from a value:
#: a list given as ``:v`` is refused, where a list held by the item only fails the condition
#: (ScyllaDB Alternator's test_condition_expression.py ``test_update_condition_lt`` and siblings).
_ORDERED_TYPES = frozenset({"N", "S", "B"})
#: Functions whose first operand must differ from the others (a comparison's too).
_DISTINCT = frozenset({"attribute_type", "begins_with", "contains"})


class _Checker:
    """One expression's checks against the request's ``ExpressionAttributeNames`` and
    ``ExpressionAttributeValues`` (``None``: not known here, those checks are skipped)."""

    def __init__(self, kind: str, names: Mapping[str, Any] | None, values: Mapping[str, Any] | None) -> None:
        self.kind = kind
        self.names = names
        self.values = values

    def fail(self, reason: str) -> ValidationException:
        return invalid(f"Invalid {self.kind}: {reason}")

    def resolve(self, path: Path) -> tuple[str, ...]:
        shown: list[str] = []
        for element in path:
            if isinstance(element, int):
                shown.append(f"[{element}]")
            elif element.startswith("#") and self.names is not None:
                if element not in self.names:
                    raise self.fail("An expression attribute name used in the document path is not defined; "
                                    f"attribute name: {element}")
                shown.append(str(self.names[element]))
            else:
                shown.append(element)
        return tuple(shown)

    def value_type(self, placeholder: str) -> str | None:
        if self.values is None:
            return None
        if placeholder not in self.values:
            raise self.fail("An expression attribute value used in expression is not defined; "
                            f"attribute value: {placeholder}")
        found = self.values[placeholder]
        return next(iter(found), None) if isinstance(found, Mapping) and len(found) == 1 else None

    def operand_type(self, function: str, found: str | None, allowed: frozenset[str]) -> None:
        if found is not None and found not in allowed:
            raise self.fail("Incorrect operand type for operator or function; "
                            f"operator or function: {function}, operand type: {found}")

    # conditions ------------------------------------------------------------------------------
    def condition(self, node: Condition) -> None:
        if isinstance(node, BoolOp):
            self.condition(node.left)
            self.condition(node.right)
        elif isinstance(node, Not):
            self.condition(node.operand)
        elif isinstance(node, Compare):
            found = [self.operand(node.left), self.operand(node.right)]
            self.distinct(node.op, [node.left, node.right], found)
            if node.op not in ("=", "<>"):
                self.ordered(node.op, [node.left, node.right], found)
        elif isinstance(node, Between):
            operands = [node.subject, node.low, node.high]
            found = [self.operand(o) for o in operands]
            self.distinct("BETWEEN", operands, found)
            self.ordered("BETWEEN", operands, found)
            self.bounds(node.low, node.high)
        elif isinstance(node, In):
            operands = [node.subject, *node.choices]
            self.distinct("IN", operands, [self.operand(o) for o in operands])
        else:
            self.function(node.name, node.args)

    def operand(self, node: Node) -> tuple[str, ...] | str | None:
        """Check ``node``; its resolved path (a tuple), its type when known (a str), or None."""
        if isinstance(node, PathOperand):
            return self.resolve(node.path)
        if isinstance(node, ValueOperand):
            return self.value_type(node.placeholder)
        if isinstance(node, SizeOperand):
            args: tuple[Node, ...] = (ValueOperand(node.value),) if node.value is not None else (PathOperand(node.path),)
            return self.function("size", args)
        if isinstance(node, Call):
            return self.function(node.name, node.args)
        left, right = self.operand(node.left), self.operand(node.right)  # Arith
        for found in (left, right):
            self.operand_type(node.op, found if isinstance(found, str) else None, frozenset({"N"}))
        return "N"

    def function(self, name: str, args: tuple[Node, ...]) -> str | None:
        found = [self.operand(arg) for arg in args]
        expected = _ALL_FUNCTIONS[name]
        if len(args) != expected:
            raise self.fail("Incorrect number of operands for operator or function; "
                            f"operator or function: {name}, number of operands: {len(args)}")
        if name in _PATH_FIRST and not isinstance(args[0], PathOperand):
            raise self.fail(f"Operator or function requires a document path; operator or function: {name}")
        if name in _DISTINCT:
            self.distinct(name, list(args), found)
        types = [t if isinstance(t, str) else None for t in found]
        if name == "size":
            self.operand_type(name, types[0], _SIZE_TYPES)
            return "N"
        if name == "begins_with":
            for kind in types:
                self.operand_type(name, kind, _BEGINS_TYPES)
        if name == "attribute_type":
            if isinstance(args[1], PathOperand):  # an attribute may hold any type
                raise self.fail(f"{_OPERAND}operator or function: attribute_type, operand type: "
                                "{" + ",".join(_ATTRIBUTE_TYPES) + "}")
            self.operand_type(name, types[1], frozenset({"S"}))
            second = args[1]
            if types[1] == "S" and isinstance(second, ValueOperand) and self.values is not None:
                wanted = self.values[second.placeholder].get("S")
                if wanted not in _ATTRIBUTE_TYPES:
                    raise self.fail(f"Invalid attribute type name found; type: {wanted}, valid types: "
                                    "{" + ",".join(_ATTRIBUTE_TYPES) + "}")
        if name == "list_append":
            for kind in types:
                self.operand_type(name, kind, frozenset({"L"}))
            return "L"
        return None  # if_not_exists: the attribute's type is not known before the item is read

    def ordered(self, op: str, nodes: Sequence[Node], found: Sequence[tuple[str, ...] | str | None]) -> None:
        """A value (``:v``) compared by order must be a number, a string or a binary."""
        for node, kind in zip(nodes, found, strict=True):
            if isinstance(node, ValueOperand) and isinstance(kind, str):
                self.operand_type(op, kind, _ORDERED_TYPES)

    def bounds(self, low: Node, high: Node) -> None:
        """BETWEEN's bounds, when both are values: of one type, the lower not above the upper
        (dynalite test/query.js, recorded against DynamoDB)."""
        if self.values is None or not isinstance(low, ValueOperand) or not isinstance(high, ValueOperand):
            return
        lower, upper = self.values.get(low.placeholder), self.values.get(high.placeholder)
        if not (isinstance(lower, Mapping) and isinstance(upper, Mapping) and len(lower) == len(upper) == 1):
            return
        (low_type, low_value), (high_type, high_value) = next(iter(lower.items())), next(iter(upper.items()))
        shown = f"lower bound operand: AttributeValue: {{{low_type}:{low_value}}}, upper bound operand: " \
                f"AttributeValue: {{{high_type}:{high_value}}}"
        if low_type != high_type:
            raise self.fail(f"The BETWEEN operator requires same data type for lower and upper bounds; {shown}")
        if _above(low_type, low_value, high_value):
            raise self.fail("The BETWEEN operator requires upper bound to be greater than or equal to lower bound; "
                            + shown)

    def distinct(self, op: str, nodes: Sequence[Node], found: Sequence[tuple[str, ...] | str | None]) -> None:
        first = found[0]
        if not isinstance(nodes[0], PathOperand) or not isinstance(first, tuple):
            return
        for node, other in zip(nodes[1:], found[1:], strict=True):
            if isinstance(node, PathOperand) and other == first:
                raise self.fail("The first operand must be distinct from the remaining operands for this operator "
                                f"or function; operator: {op}, first operand: [{', '.join(first)}]")

    # updates ---------------------------------------------------------------------------------
    def update(self, actions: tuple[Action, ...]) -> None:
        for action in actions:  # every placeholder defined, in the order written
            self.resolve(action.target)
            if action.value is not None:
                self.placeholders(action.value)
        overlap_error(self.kind, [action.target for action in actions], self.show)
        for action in actions:
            if action.section in ("ADD", "DELETE") and isinstance(action.value, ValueOperand):
                found = self.value_type(action.value.placeholder)
                allowed = _ADD_TYPES if action.section == "ADD" else _DELETE_TYPES
                if found is not None and found not in allowed:
                    raise self.fail("Incorrect operand type for operator or function; "
                                    f"operator: {action.section}, operand type: {_TYPE_WORDS.get(found, found)}")
        for action in actions:
            if action.section == "SET" and action.value is not None:
                self.operand(action.value)

    def placeholders(self, node: Node) -> None:
        stack: list[Node] = [node]
        while stack:
            current = stack.pop()
            if isinstance(current, PathOperand):
                self.resolve(current.path)
            elif isinstance(current, ValueOperand):
                self.value_type(current.placeholder)
            elif isinstance(current, Call):
                stack.extend(reversed(current.args))
            elif isinstance(current, Arith):
                stack.extend((current.right, current.left))

    def show(self, element: PathElement) -> str:
        if isinstance(element, int):
            return f"[{element}]"
        if element.startswith("#") and self.names is not None:
            return str(self.names[element])
        return element


def _above(kind: str, low: Any, high: Any) -> bool:
    """Whether ``low`` sorts after ``high`` as DynamoDB orders keys: numbers by value, strings
    by their UTF-8 bytes, binaries by their bytes."""
    try:
        if kind == "N":
            return Decimal(str(low)) > Decimal(str(high))
        if kind == "S":
            return str(low).encode() > str(high).encode()
        if kind == "B":
            return base64.b64decode(str(low)) > base64.b64decode(str(high))
    except (ArithmeticError, ValueError):
        return False
    return False


def overlap_error(kind: str, paths: list[Path], show: Callable[[PathElement], str]) -> None:
    """DynamoDB refuses two paths of which one contains the other ("overlap"), then two that use
    one element both as a map and as a list ("conflict"); all overlaps are looked for first
    (dynalite test/updateItem.js: ``set d[1] = a, d.b = a, c[1].a = a, #c = ...`` reports
    ``[c, [1], a]`` and ``[c]``). ``show`` spells an element as the message does."""
    if len(paths) < 2:
        return
    keyed = [tuple(e if isinstance(e, int) else show(e) for e in path) for path in paths]
    if len({path[0] for path in keyed}) == len(keyed) and all(len(path) == 1 for path in keyed):
        return
    for what in ("overlap", "conflict"):
        for i, first in enumerate(keyed):
            for second in keyed[i + 1:]:
                shared = 0
                while shared < min(len(first), len(second)) and first[shared] == second[shared]:
                    shared += 1
                if what == "overlap" and shared == min(len(first), len(second)):
                    pass
                elif what == "conflict" and shared < min(len(first), len(second)) and shared and \
                        isinstance(first[shared], int) != isinstance(second[shared], int):
                    pass
                else:
                    continue
                raise invalid(
                    f"Invalid {kind}: Two document paths {what} with each other; must remove or rewrite one of "
                    f"these paths; path one: {_bracketed(first)}, path two: {_bracketed(second)}"
                )


def _bracketed(path: tuple[str | int, ...]) -> str:
    return "[" + ", ".join(f"[{e}]" if isinstance(e, int) else e for e in path) + "]"


def check(kind: str, parsed: Parsed, names: Mapping[str, Any] | None, values: Mapping[str, Any] | None) -> None:
    """Raise what DynamoDB reports of an expression that parses, in its order; ``names`` and
    ``values`` are the request's maps (``None`` skips the checks that need them)."""
    checker = _Checker(kind, names, values)
    if parsed.condition is not None:
        checker.condition(parsed.condition)
    elif parsed.actions:
        checker.update(parsed.actions)
    elif names is not None:
        for path in parsed.paths:
            checker.resolve(path)
        overlap_error(kind, list(parsed.paths), checker.show)


@lru_cache(maxsize=1024)
def key_conditions(text: str) -> tuple[Parsed, tuple[KeyCondition, ...]]:
    """Parse a KeyConditionExpression and check the shape DynamoDB allows for it.

    At most two conditions joined by AND: an equality on the partition key and one of
    ``= < <= > >= BETWEEN begins_with`` on the sort key; each compares a top-level name with
    values. Which names are the keys is checked later, against the schema. Each condition is
    checked in turn, left to right - its operator, then its operands in order - and a second
    condition on one name is refused as soon as it is met, before the count (texts and order as
    recorded against DynamoDB by dynalite test/query.js; its validations/index.js ``checkExpr``).
    """
    kind = "KeyConditionExpression"
    parsed = parse(kind, text)
    assert parsed.condition is not None
    result: dict[str, KeyCondition] = {}
    stack: list[Condition] = [parsed.condition]
    while stack:  # the AND-joined parts, left to right, without recursion
        node = stack.pop()
        if isinstance(node, BoolOp) and node.op == "AND":
            stack += (node.right, node.left)
            continue
        condition = _key_condition(node)
        if condition.name in result:
            raise invalid("KeyConditionExpressions must only contain one condition per key")
        result[condition.name] = condition
    if len(result) > 2:
        raise invalid("Conditions can be of length 1 or 2 only")
    return parsed, tuple(result.values())


_KEY_OPERATORS = {"<": ">", ">": "<", "<=": ">=", ">=": "<=", "=": "="}


def _key_condition(node: Condition) -> KeyCondition:
    operator = {BoolOp: getattr(node, "op", ""), Not: "NOT", In: "IN"}.get(type(node))
    if operator:
        raise invalid(f"Invalid operator used in KeyConditionExpression: {operator}")
    if isinstance(node, Compare) and node.op == "<>":
        raise invalid("Invalid operator used in KeyConditionExpression: <>")
    if isinstance(node, Function) and node.name != "begins_with":
        raise invalid(f"Invalid operator used in KeyConditionExpression: {node.name}")
    operands: tuple[Operand, ...]
    if isinstance(node, Between):
        op, operands = "BETWEEN", (node.subject, node.low, node.high)
    elif isinstance(node, Function):
        op, operands = "begins_with", node.args
    else:
        assert isinstance(node, Compare)
        op, operands = node.op, (node.left, node.right)
    if op in ("BETWEEN", "begins_with") and not isinstance(operands[0], PathOperand):
        raise invalid(f"Invalid condition in KeyConditionExpression: {op} operator must have the key attribute as its "
                      "first operand")
    name, position = "", 0
    for index, operand in enumerate(operands):
        if isinstance(operand, PathOperand):
            if name:
                raise invalid("Invalid condition in KeyConditionExpression: Multiple attribute names used in one "
                              "condition")
            if len(operand.path) > 1:
                raise invalid("KeyConditionExpressions cannot have conditions on nested attributes")
            name, position = str(operand.path[0]), index
        elif not isinstance(operand, ValueOperand):
            raise invalid("KeyConditionExpressions cannot contain nested operations")
    if not name:
        raise invalid("Invalid condition in KeyConditionExpression: No key attribute specified")
    if op in _KEY_OPERATORS and position:
        op = _KEY_OPERATORS[op]
    values = tuple(o.placeholder for o in operands if isinstance(o, ValueOperand))
    return KeyCondition(name, op, values)


def _show(path: Path) -> str:
    return "".join(f"[{e}]" if isinstance(e, int) else (("." if i else "") + e) for i, e in enumerate(path))
