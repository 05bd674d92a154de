"""IAM's input rules for the registry: names, paths, durations, provider lists, policy documents.

Each check raises the error IAM answers with, worded as IAM words it (``ValidationError`` "1
validation error detected: ...", ``LimitExceeded`` "Cannot exceed quota for ...",
``MalformedPolicyDocument``); the constraints are those of the botocore ``iam`` 2010-05-08 model,
the quotas those of IAM UG, "IAM and AWS STS quotas".
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from iam_policies.policy import Policy
from webapp.iam.errors import LimitExceeded, ValidationError

#: IAM quotas (IAM UG, "IAM and AWS STS quotas").
MAX_POLICY_VERSIONS = 5
MAX_ATTACHED_POLICIES = 10
MAX_CLIENT_IDS = 100
MAX_THUMBPRINTS = 5
INLINE_ROLE_POLICY_CHARS = 10240
_NAME = re.compile(r"[\w+=,.@-]+", re.ASCII)  # AWS's \w is ASCII
_PATH = re.compile(r"/|/[\x21-\x7e]*/")
_THUMBPRINT = re.compile(r"[0-9A-Fa-f]{40}")


def policy_document(document: str, kind: str, *, max_size: int | None = None) -> str:
    """``document`` validated as a policy of ``kind``; stored as given (IAM keeps the text)."""
    if not isinstance(document, str) or not document:
        raise ValidationError("1 validation error detected: Value at 'policyDocument' failed to satisfy "
                              "constraint: Member must have length greater than or equal to 1")
    Policy.parse(document, kind=kind, max_size=max_size)  # raises MalformedPolicyDocument, IAM's own code
    return document


def check_name(name: str, field_name: str, limit: int) -> None:
    if not isinstance(name, str) or not 1 <= len(name) <= limit or not _NAME.fullmatch(name):
        raise ValidationError(
            f"1 validation error detected: Value '{name}' at '{field_name}' failed to satisfy constraint: "
            f"Member must satisfy regular expression pattern: [\\w+=,.@-]+ and length 1-{limit}"
        )


def check_path(path: str) -> None:
    if not 1 <= len(path) <= 512 or not _PATH.fullmatch(path):
        raise ValidationError(
            f"1 validation error detected: Value '{path}' at 'path' failed to satisfy constraint: "
            "Member must satisfy regular expression pattern: (\\u002F)|(\\u002F[\\u0021-\\u007E]+\\u002F)"
        )


def check_duration(seconds: int) -> None:
    if not 3600 <= seconds <= 43200:
        raise ValidationError(
            f"1 validation error detected: Value '{seconds}' at 'maxSessionDuration' failed to satisfy "
            "constraint: Member must have value between 3600 and 43200"
        )


def check_client_ids(client_ids: Sequence[str]) -> None:
    if len(client_ids) > MAX_CLIENT_IDS:
        raise LimitExceeded(f"Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: {MAX_CLIENT_IDS}")
    for client_id in client_ids:
        if not isinstance(client_id, str) or not 1 <= len(client_id) <= 255:
            raise ValidationError(
                "1 validation error detected: Value at 'clientIDList' failed to satisfy constraint: "
                "Member must have length between 1 and 255"
            )


def check_thumbprints(thumbprints: Sequence[str]) -> None:
    if len(thumbprints) > MAX_THUMBPRINTS:
        raise LimitExceeded(f"Cannot exceed quota for ThumbprintsPerOpenIdConnectProvider: {MAX_THUMBPRINTS}")
    for thumbprint in thumbprints:
        if not isinstance(thumbprint, str) or not _THUMBPRINT.fullmatch(thumbprint):
            raise ValidationError(
                "1 validation error detected: Value at 'thumbprintList' failed to satisfy constraint: "
                "Member must have length 40 (hexadecimal SHA-1 fingerprint)"
            )
