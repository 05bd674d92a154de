"""What one authorization check is about: an action on a resource, in a request context.

One API call can need several checks (a transaction member each, a batch table each), so the
DynamoDB context derivation returns a list of these, and the evaluator decides on all of them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

#: A condition-key value: single-valued keys hold a scalar, multivalued keys (``ArrayOf...`` in
#: the Service Authorization Reference, e.g. ``dynamodb:LeadingKeys``) hold a sequence.
ContextValue = str | bool | int | float | Sequence[str]

#: Condition keys of a request, by their name as AWS spells it (matching is case-insensitive).
Context = Mapping[str, ContextValue]


@dataclass(frozen=True)
class Authorization:
    """One check AWS performs for a request: may the caller do ``action`` on ``resource``?

    ``context`` holds the keys derived from the request itself (``dynamodb:*`` and request-level
    ``aws:*`` keys). Keys that belong to the caller's session (``aws:userid``, the web-identity
    provider keys, ...) are passed to the evaluator separately, as principal variables.
    """

    action: str
    resource: str
    context: Context = field(default_factory=dict)


@dataclass(frozen=True)
class AuthorizationRequest:
    """All the checks for one API call; every one must end in Allow."""

    operation: str
    authorizations: Sequence[Authorization]
