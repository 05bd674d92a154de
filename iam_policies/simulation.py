"""Deciding cases in the ``fgac-cases.json`` format: the library behind ``simulate`` and ``verify``.

For each case the authorizations are derived from the raw API request (``request.operation`` +
``request.api_params`` + ``tables``, region and account taken from ``request.resource``), or for
``AssumeRoleWithWebIdentity`` the provider keys from the token (``token_claims``, or for OAuth
providers the keys the case states), then the policies are evaluated exactly as the local stack
evaluates them. Of the stated ``request.context`` only the global ``aws:`` keys (time, source IP,
token issue time: the endpoint's and the session's, which no request body carries) are used; the
rest is what the derivation is checked against.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from iam_policies.authorization import Authorization
from iam_policies.decision import Decision
from iam_policies.errors import AwsError, InvalidIdentityToken, MalformedPolicyDocument
from iam_policies.evaluate import evaluate, evaluate_trust
from iam_policies.policy import Policy
from iam_policies.schema import TableSchema
from iam_policies.token_checks import check_audience, check_issuer
from iam_policies.web_identity import key_prefix, provider_keys, session_keys

ASSUME = "AssumeRoleWithWebIdentity"
DEFAULT_REGION = "us-east-1"
DEFAULT_ACCOUNT = "123456789012"


class CaseError(Exception):
    """A case that cannot be run as written (bad input: exit 2)."""


@dataclass(frozen=True)
class CaseOutcome:
    """What ``simulate`` found for one case."""

    id: str
    decision: str
    deny_type: str | None
    authorizations: tuple[Authorization, ...]
    result: Decision | None = None
    #: An AWS error raised before any authorization (e.g. ValidationException from the request).
    error: AwsError | None = None
    expected: str | None = None
    expected_deny_type: str | None = None
    title: str = ""
    notes: tuple[str, ...] = field(default=())

    @property
    def matches(self) -> bool | None:
        if self.expected is None:
            return None
        if self.decision != self.expected:
            return False
        return self.expected == "Allow" or self.expected_deny_type is None or self.deny_type == self.expected_deny_type

    def to_dict(self) -> dict[str, Any]:
        results = self.result.results if self.result is not None else ()
        out: dict[str, Any] = {
            "id": self.id,
            "decision": self.decision,
            "deny_type": self.deny_type,
            "authorizations": [r.to_dict() for r in results],
        }
        if self.error is not None:
            out["error"] = {"code": self.error.code, "message": self.error.message}
        if self.notes:
            out["notes"] = list(self.notes)
        if self.expected is not None:
            out["expected"] = self.expected
            out["expected_deny_type"] = self.expected_deny_type
            out["matches"] = self.matches
        return out


def decide_case(case: Mapping[str, Any], *, region: str = DEFAULT_REGION, account: str = DEFAULT_ACCOUNT) -> CaseOutcome:
    """Derive and decide one case. Raises ``CaseError`` for input that cannot be run."""
    if not isinstance(case, Mapping):
        raise CaseError("a case must be a JSON object")
    case_id = str(case.get("id", "(no id)"))
    request = case.get("request")
    if not isinstance(request, Mapping) or not isinstance(request.get("operation"), str):
        raise CaseError(f"{case_id}: request.operation is required")
    expected = case.get("expected")
    if expected is not None and expected not in ("Allow", "Deny"):
        raise CaseError(f"{case_id}: expected must be Allow or Deny")
    common: dict[str, Any] = {
        "id": case_id,
        "expected": expected,
        "expected_deny_type": case.get("deny_type") if expected == "Deny" else None,
        "title": str(case.get("title", "")),
    }
    if request["operation"] == ASSUME:
        return _decide_trust(case, request, common)

    policy = _policy(case, "policy", "identity")
    session = [_policy(case, "session_policy", "session")] if case.get("session_policy") is not None else None
    variables = case.get("principal_vars") or {}
    if not isinstance(variables, Mapping):
        raise CaseError(f"{case_id}: principal_vars must be an object")
    try:
        authorizations = _derive(case, request, region, account)
    except AwsError as error:
        return CaseOutcome(decision="Deny", deny_type=None, authorizations=(), error=error, **common)
    decision = evaluate(authorizations, identity=[policy], session=session, variables=variables)
    return CaseOutcome(
        decision="Allow" if decision.allowed else "Deny",
        deny_type=decision.deny_type,
        authorizations=tuple(authorizations),
        result=decision,
        **common,
    )


def _policy(case: Mapping[str, Any], name: str, kind: str) -> Policy:
    document = case.get(name)
    if document is None:
        raise CaseError(f"{case.get('id', '(no id)')}: {name} is required")
    try:
        return Policy.parse(document, kind=kind)
    except MalformedPolicyDocument as exc:
        raise CaseError(f"{case.get('id', '(no id)')}: {name}: MalformedPolicyDocument: {exc.reason} (at {exc.path})") from None


def _derive(case: Mapping[str, Any], request: Mapping[str, Any], region: str, account: str) -> list[Authorization]:
    from iam_policies.dynamodb import derive  # the derivation package (another module owner)

    tables = case.get("tables") or {}
    if not isinstance(tables, Mapping):
        raise CaseError(f"{case.get('id')}: tables must be an object")
    try:
        schemas = {name: TableSchema.from_case(name, spec) for name, spec in tables.items()}
    except (KeyError, TypeError, AttributeError) as exc:
        raise CaseError(f"{case.get('id')}: tables: bad table schema ({exc})") from None
    resource = request.get("resource")
    if isinstance(resource, str) and resource.count(":") >= 5:
        parts = resource.split(":", 5)
        region, account = parts[3] or region, parts[4] or account
    params = request.get("api_params") or {}
    if not isinstance(params, Mapping):
        raise CaseError(f"{case.get('id')}: request.api_params must be an object")
    params = _named_stream(request["operation"], params, resource)
    derived = derive(request["operation"], params, schemas=schemas, region=region, account=account)
    environment = _environment(request)
    if not environment:
        return list(derived)
    return [
        Authorization(a.action, a.resource, {**a.context, **{k: v for k, v in environment.items() if k not in a.context}})
        for a in derived
    ]


def _named_stream(operation: str, params: Mapping[str, Any], resource: Any) -> Mapping[str, Any]:
    """A case's GetRecords names its stream in ``request.resource``.

    Shard iterators are opaque to callers (DynamoDB Streams API, GetShardIterator: "the shard
    iterator ... an opaque string"); AWS knows the stream one belongs to, and so does our endpoint
    for the iterators it hands out (``<stream-arn>|n|token``). A case cannot carry a real one (the
    shared FGAC-K06 elides it), so its stated stream ARN stands in for what AWS would know.
    """
    if operation != "GetRecords" or not isinstance(resource, str) or "/stream/" not in resource:
        return params
    iterator = str(params.get("ShardIterator", ""))
    if iterator.startswith(resource + "|"):
        return params
    return {**params, "ShardIterator": f"{resource}|0|{iterator}"}


def _environment(request: Mapping[str, Any]) -> dict[str, Any]:
    """Global ``aws:`` keys the case states (time, source IP, token issue time...).

    They come from the endpoint and the caller's session, not from the request body, so the
    derivation cannot produce them; the case's stated context is their only source.
    """
    contexts = [request.get("context") or {}]
    contexts += [entry.get("context") or {} for entry in request.get("authorizations") or () if isinstance(entry, Mapping)]
    return {
        key: value
        for context in contexts
        if isinstance(context, Mapping)
        for key, value in context.items()
        if isinstance(key, str) and key.lower().startswith("aws:")
    }


def _decide_trust(case: Mapping[str, Any], request: Mapping[str, Any], common: dict[str, Any]) -> CaseOutcome:
    case_id = common["id"]
    trust = _policy(case, "policy", "trust")
    federated = case.get("federated_principal")
    if not isinstance(federated, str):
        raise CaseError(f"{case_id}: federated_principal is required for {ASSUME}")
    notes: list[str] = []
    claims = case.get("token_claims")
    if isinstance(claims, Mapping):
        provider = case.get("token_provider") or claims.get("iss") or federated
        audience = None
        oidc = case.get("oidc_provider")
        if isinstance(oidc, Mapping):
            refusal, audience = _token_checks(claims, oidc)
            if refusal is not None:
                return CaseOutcome(decision="Deny", deny_type=None, authorizations=(), error=refusal, **common)
        keys: dict[str, Any] = dict(provider_keys(claims, provider=str(provider), audience=audience))
    elif isinstance(case.get("token_provider"), str):
        # OAuth access tokens (Login with Amazon, Facebook): STS asks the provider; the case
        # states what the provider answered, as the provider's keys in request.context.
        prefix = key_prefix(case["token_provider"]) + ":"
        context = request.get("context") or {}
        keys = {k: v for k, v in context.items() if k.lower().startswith(prefix.lower())}
        notes.append("OAuth token: provider keys taken from request.context (what the provider answers)")
    else:
        raise CaseError(f"{case_id}: token_claims or token_provider is required for {ASSUME}")
    resource = request.get("resource") or (request.get("api_params") or {}).get("RoleArn") or "*"
    authorization = Authorization(str(request.get("action") or "sts:AssumeRoleWithWebIdentity"), str(resource), keys)
    decision = evaluate_trust(trust, authorization, principal={"Federated": [federated]})
    if decision.allowed:
        kept = session_keys(keys)
        notes.append("session keys: " + (", ".join(sorted(kept)) or "none"))
    return CaseOutcome(
        decision="Allow" if decision.allowed else "Deny",
        deny_type=decision.deny_type,
        authorizations=(authorization,),
        result=decision,
        notes=tuple(notes),
        **common,
    )


@dataclass(frozen=True)
class _CaseProvider:
    """A case's ``oidc_provider``: the IAM OIDC provider the token is checked against."""

    url: str
    client_ids: tuple[str, ...]


def _token_checks(claims: Mapping[str, Any], oidc: Mapping[str, Any]) -> tuple[AwsError | None, str | None]:
    """STS's checks before the trust policy (spec D.3), the very functions the local STS runs
    (``token_checks``): the refusal, or the audience the token was issued to.

    Signatures and expiry are not simulated: cases carry claims, not signed tokens.
    """
    url = oidc.get("url")
    client_ids = oidc.get("client_ids")
    registered = _CaseProvider(str(url or "").split("://", 1)[-1].rstrip("/"),
                               tuple(str(c) for c in client_ids) if isinstance(client_ids, list) else ())
    try:
        if isinstance(url, str) and claims.get("iss") is not None:
            check_issuer(claims, lambda iss: registered)
        if isinstance(client_ids, list):
            return None, check_audience(claims, registered.client_ids)
    except InvalidIdentityToken as refusal:
        return refusal, None
    return None, None


def load_cases(source: str) -> list[Any]:
    try:
        text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
    except OSError as exc:
        raise CaseError(f"cannot read {source}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise CaseError(f"{source} is not UTF-8 text") from None
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise CaseError(f"{source} is not valid JSON: {exc}") from None
    cases = data if isinstance(data, list) else [data]
    for index, case in enumerate(cases):
        if not isinstance(case, Mapping):
            raise CaseError(f"case [{index}] must be a JSON object")
    return cases
