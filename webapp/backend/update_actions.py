"""An UpdateExpression's actions as one flat list, not a tree as deep as the list is long.

moto 5.2.1's parser (``moto/dynamodb/parsing/expressions.py``,
``NestableExpressionParserMixin._create_node``) nests the actions of a clause right-deep: ``SET
a = :v, b = :v, c = :v`` becomes ``SetActions(a, SetActions(b, SetActions(c)))``, and every walk
over the tree before ``normalize()`` flattens it (``find_clauses``, the validator's depth-first
traversal) recurses once per action, several Python frames each. About 160 actions, a 1.7 KB
``REMOVE`` or a 1.5 KB ``SET`` (DynamoDB takes expressions up to 4 KB and sets no limit on the
number of actions), or 160 legacy ``AttributeUpdates`` (which ``semantics/writes.py`` turns into
an UpdateExpression) were a ``RecursionError``, answered as an InternalServerError (issue 11,
found by ``benchmarks/fuzz.py --hostile``).

``install()`` makes the actions parser build one node whose children are the actions in order,
which is the shape ``normalize()`` gives the tree anyway; walks over children visit them in the
same order, so nothing downstream sees a difference but the depth.
"""

from __future__ import annotations

from typing import Any

from moto.dynamodb.parsing.expressions import UpdateExpressionActionsParser  # type: ignore[attr-defined]

_INSTALLED: list[bool] = []


def _flat_node(self: Any) -> Any:
    """All the clause's actions under one node, in the order they were written."""
    assert self.target_clauses, f"No nodes for {type(self).__name__}"
    actions = list(self.target_clauses)
    self.target_clauses.clear()
    return self._nestable_class()(children=actions)


def install() -> None:
    """Make moto's actions parser build a flat node (idempotent)."""
    if _INSTALLED:
        return
    _INSTALLED.append(True)
    UpdateExpressionActionsParser._create_node = _flat_node
