"""``AssumeRoleWithWebIdentity``: parameters, token, trust policy, session policy, credentials.

The steps, in the order STS takes them (STS API reference, AssumeRoleWithWebIdentity;
fgac-semantics §C.9, §D.2-D.5):

1. parameter constraints from the botocore model -> ``ValidationError`` worded like AWS ("1
   validation error detected: Value ... at 'roleSessionName' failed to satisfy constraint: ...");
2. the token (``tokens.validate_token``) -> ``InvalidIdentityToken`` / ``ExpiredTokenException``;
3. the role and its trust policy (``iam_policies.evaluate.evaluate_trust`` with the provider keys
   of ``iam_policies.web_identity``) -> ``AccessDenied`` 403 "Not authorized to perform
   sts:AssumeRoleWithWebIdentity" (also for a role that does not exist: STS does not say which);
4. ``DurationSeconds`` against the role's MaxSessionDuration, the session policy
   (``MalformedPolicyDocument``, ``PackedPolicyTooLarge``) and ``PolicyArns``;
5. credentials from ``CredentialAuthority.mint_session`` carrying the session keys that survive
   (``aws:FederatedProvider`` and ``<provider>:amr/aud/id/sub``, IAM UG S17).

Every decision, allowed or not, is handed to the audit callback (never the token itself).
"""

from __future__ import annotations

import json
import logging
import math
import re
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from iam_policies.authorization import Authorization
from iam_policies.decision import Decision, DenyType
from iam_policies.evaluate import evaluate_trust
from iam_policies.policy import Policy, PolicyType
from iam_policies.web_identity import provider_keys, session_keys
from webapp.audit import Audit, AuditedAuthorization, AuditEntry, Verdict, now_iso
from webapp.authorize import record
from webapp.clock import Clock
from webapp.credentials import CredentialAuthority, SessionCredentials, assumed_role_arn, role_id_for
from webapp.iam.registry import IamRegistry
from webapp.settings import Settings
from webapp.sts.errors import (
    AccessDenied,
    ExpiredTokenException,
    IDPCommunicationError,
    InvalidIdentityToken,
    MalformedPolicyDocument,
    PackedPolicyTooLarge,
    ValidationError,
)
from webapp.sts.jwks import JwksCache
from webapp.sts.tokens import TokenPolicy, ValidatedToken, validate_token

ACTION = "sts:AssumeRoleWithWebIdentity"
NOT_AUTHORIZED = "Not authorized to perform sts:AssumeRoleWithWebIdentity"
DURATION_TOO_LONG = "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."
#: Packed-size budget of the session policies (STS packs them into a compressed binary form whose
#: limit AWS does not publish; ``PackedPolicySize`` is the percentage of it used).
PACKED_LIMIT_BYTES = 2048
#: ``\w`` as AWS's (Java) patterns mean it: ASCII letters, digits and underscore only.
_SESSION_NAME = re.compile(r"[\w+=,.@-]*", re.ASCII)
_ARN_CHARS = re.compile("[\u0009\u000A\u000D\u0020-\u007E\u0085\u00A0-\uD7FF\uE000-\uFFFD\U00010000-\U0010FFFF]+")
_POLICY_CHARS = re.compile(r"[\u0009\u000A\u000D\u0020-\u00FF]+")
log = logging.getLogger("webapp.sts")


class AssumeRole:
    """The operation, bound to its collaborators; call it with the request's parameters."""

    def __init__(self, settings: Settings, registry: IamRegistry, credentials: CredentialAuthority,
                 jwks: JwksCache, clock: Clock, audit: Audit | None = None) -> None:
        self.settings = settings
        self.registry = registry
        self.credentials = credentials
        self.jwks = jwks
        self.clock = clock
        self.audit = audit
        self.token_policy = TokenPolicy(settings.token_exp_grace_seconds, settings.token_max_age_seconds)

    def __call__(self, params: Mapping[str, str], *, source_ip: str = "", request_id: str = "") -> dict[str, Any]:
        trail = _Trail(AuditEntry(
            now_iso(self.clock()), request_id, "sts", "AssumeRoleWithWebIdentity", Verdict.DENY,
            source_ip=source_ip, role_arn=params.get("RoleArn"), session_name=params.get("RoleSessionName"),
        ))
        try:
            result = self._assume(params, trail)
        except (ValidationError, InvalidIdentityToken, ExpiredTokenException, IDPCommunicationError,
                AccessDenied, MalformedPolicyDocument, PackedPolicyTooLarge) as error:
            trail.note(decision=Verdict.DENY, error=error.code, message=error.message)
            self._record(trail.entry)
            raise
        trail.note(decision=Verdict.ALLOW, principal=result["AssumedRoleUser"]["Arn"])
        self._record(trail.entry)
        return result

    def _record(self, entry: AuditEntry) -> None:
        """The audit write, guarded as the DynamoDB and S3 endpoints guard theirs
        (``webapp.authorize.record``): a failed write (a full disk, a read-only data directory) is
        logged with the request id and the answer stays what the decision made it, instead of an
        ``InternalFailure`` 500 for a caller who did nothing wrong."""
        record(self.audit, entry, log)

    def _assume(self, params: Mapping[str, str], trail: _Trail) -> dict[str, Any]:
        request = parse_request(params)
        token = validate_token(
            request.token, provider_for=self.registry.oidc_provider_for_issuer, jwks=self.jwks,
            now=self.clock(), policy=self.token_policy,
        )
        trail.note(subject=token.subject, issuer=token.issuer)
        role = self.registry.role(request.role_arn)
        trust = self.registry.trust_policy(request.role_arn) if role is not None else None
        provider_arn = f"arn:aws:iam::{self.settings.account_id}:oidc-provider/{token.provider.url}"
        keys = provider_keys(token.claims, provider=token.provider.url, audience=token.audience)
        if role is None or trust is None:
            trail.note(authorizations=(AuditedAuthorization(
                ACTION, request.role_arn, Verdict.DENY, DenyType.IMPLICIT, reason="the role does not exist"),))
            raise AccessDenied(NOT_AUTHORIZED)
        context: dict[str, Any] = {**keys, "sts:RoleSessionName": request.session_name,
                                   "aws:FederatedProvider": provider_arn}
        decision = evaluate_trust(trust, Authorization(ACTION, role.arn, context),
                                  principal={"Federated": [provider_arn]})
        trail.decided(decision)
        if not decision.allowed:
            raise AccessDenied(NOT_AUTHORIZED)
        duration = request.duration_seconds
        if duration > role.max_session_duration:
            raise ValidationError(DURATION_TOO_LONG)
        packed = self._session_policies(request)
        variables: dict[str, str | list[str]] = {
            "aws:FederatedProvider": provider_arn, **session_keys(keys),
        }
        minted = self.credentials.mint_session(
            role_arn=role.arn, session_name=request.session_name, duration_seconds=duration,
            variables=variables, session_policy=request.policy, session_policy_arns=request.policy_arns,
        )
        return _result(role.arn, request.session_name, token, minted, packed)

    def _session_policies(self, request: AssumeRequest) -> int | None:
        """Validate the session policies; the packed size in percent, or None when there are none."""
        if request.policy is None and not request.policy_arns:
            return None
        compact = ""
        if request.policy is not None:
            policy = Policy.parse(request.policy, kind=PolicyType.SESSION)  # MalformedPolicyDocument
            compact = json.dumps(policy.document, separators=(",", ":"))
        for arn in request.policy_arns:
            if self.registry.managed_policy(arn) is None:
                raise ValidationError(f"The policy {arn} does not exist or is not attachable.")
        packed_bytes = len(zlib.compress((compact + "".join(request.policy_arns)).encode(), 9))
        percent = math.ceil(100 * packed_bytes / PACKED_LIMIT_BYTES)
        if percent > 100:
            raise PackedPolicyTooLarge(f"Packed policy consumes {percent}% of allotted space, please use smaller policy.")
        return percent


class _Trail:
    """The audit entry of one call, completed step by step, so that a refusal at any step is
    recorded with what was known by then (never the token itself)."""

    def __init__(self, entry: AuditEntry) -> None:
        self.entry = entry

    def note(self, **fields: Any) -> None:
        self.entry = replace(self.entry, **fields)

    def decided(self, decision: Decision) -> None:
        self.entry = self.entry.with_decision(decision)


@dataclass(frozen=True)
class AssumeRequest:
    """The validated parameters of one call."""

    role_arn: str
    session_name: str
    token: str
    duration_seconds: int
    policy: str | None
    policy_arns: tuple[str, ...]


def parse_request(params: Mapping[str, str]) -> AssumeRequest:
    """Check every parameter constraint (botocore ``sts`` model); all violations in one error."""
    problems: list[str] = []

    def length(name: str, wire: str, low: int, high: int, *, echo: bool = True) -> str | None:
        value = params.get(name)
        if value is None:
            problems.append(f"Value null at '{wire}' failed to satisfy constraint: Member must not be null")
            return None
        shown = f"Value '{value}' at" if echo else "Value at"
        if len(value) < low:
            problems.append(f"{shown} '{wire}' failed to satisfy constraint: "
                            f"Member must have length greater than or equal to {low}")
        elif len(value) > high:
            problems.append(f"{shown} '{wire}' failed to satisfy constraint: "
                            f"Member must have length less than or equal to {high}")
        return value

    role_arn = length("RoleArn", "roleArn", 20, 2048)
    if role_arn is not None and 20 <= len(role_arn) <= 2048 and not _ARN_CHARS.fullmatch(role_arn):
        problems.append("Value at 'roleArn' failed to satisfy constraint: Member must satisfy regular expression "
                        "pattern: [\\u0009\\u000A\\u000D\\u0020-\\u007E\\u0085\\u00A0-\\uD7FF\\uE000-\\uFFFD"
                        "\\u10000-\\u10FFFF]+")
    session_name = length("RoleSessionName", "roleSessionName", 2, 64)
    if session_name is not None and not _SESSION_NAME.fullmatch(session_name):
        problems.append(f"Value '{session_name}' at 'roleSessionName' failed to satisfy constraint: "
                        "Member must satisfy regular expression pattern: [\\w+=,.@-]*")
    token = length("WebIdentityToken", "webIdentityToken", 4, 20000, echo=False)

    duration = 3600
    raw_duration = params.get("DurationSeconds")
    if raw_duration is not None:
        try:
            duration = int(raw_duration)
        except ValueError:
            problems.append(f"Value '{raw_duration}' at 'durationSeconds' failed to satisfy constraint: "
                            "Member must be an integer")
        else:
            if duration < 900:
                problems.append(f"Value '{duration}' at 'durationSeconds' failed to satisfy constraint: "
                                "Member must have value greater than or equal to 900")
            elif duration > 43200:
                problems.append(f"Value '{duration}' at 'durationSeconds' failed to satisfy constraint: "
                                "Member must have value less than or equal to 43200")

    policy = params.get("Policy")
    if policy is not None:
        if not 1 <= len(policy) <= 2048:
            problems.append("Value at 'policy' failed to satisfy constraint: Member must have length "
                            + ("greater than or equal to 1" if not policy else "less than or equal to 2048"))
        elif not _POLICY_CHARS.fullmatch(policy):
            problems.append("Value at 'policy' failed to satisfy constraint: Member must satisfy regular "
                            "expression pattern: [\\u0009\\u000A\\u000D\\u0020-\\u00FF]+")

    arns: list[str] = []
    index = 1
    while f"PolicyArns.member.{index}.arn" in params:
        arns.append(params[f"PolicyArns.member.{index}.arn"])
        index += 1
    if len(arns) > 10:
        problems.append("Value at 'policyArns' failed to satisfy constraint: "
                        "Member must have length less than or equal to 10")
    for arn in arns:
        if not 20 <= len(arn) <= 2048:
            problems.append(f"Value '{arn}' at 'policyArns.member.arn' failed to satisfy constraint: "
                            "Member must have length greater than or equal to 20")

    if "ProviderId" in params:
        problems.append("Value at 'providerId' failed to satisfy constraint: ProviderId is only for OAuth 2.0 "
                        "access tokens from www.amazon.com or graph.facebook.com; do not specify it for "
                        "OpenID Connect ID tokens")

    if problems:
        count = len(problems)
        noun = "validation error" if count == 1 else "validation errors"
        raise ValidationError(f"{count} {noun} detected: " + "; ".join(problems))
    assert role_arn is not None and session_name is not None and token is not None
    return AssumeRequest(role_arn, session_name, token, duration, policy, tuple(arns))


def _result(role_arn: str, session_name: str, token: ValidatedToken, minted: SessionCredentials,
            packed: int | None) -> dict[str, Any]:
    result: dict[str, Any] = {
        "Credentials": {
            "AccessKeyId": minted.access_key_id,
            "SecretAccessKey": minted.secret_access_key,
            "SessionToken": minted.session_token,
            "Expiration": minted.expiration,
        },
        "SubjectFromWebIdentityToken": token.subject,
        "AssumedRoleUser": {
            "Arn": assumed_role_arn(role_arn, session_name),
            "AssumedRoleId": f"{role_id_for(role_arn)}:{session_name}",
        },
        "Provider": token.issuer,
        "Audience": token.audience,
    }
    if packed is not None:
        result["PackedPolicySize"] = packed
    return result
