"""Plans are data: from what IAM holds to what the templates say, in an order IAM accepts."""

from __future__ import annotations

import json

from iam_policies.deployment import DeploymentParams, desired_state
from iam_policies.plan import RemoteProvider, RemoteRole, RemoteState, make_plan

PARAMS = DeploymentParams(account="123456789012", region="eu-west-1")
DESIRED = desired_state(PARAMS)


def applied() -> RemoteState:
    """The remote state after a full apply of ``DESIRED``."""
    provider = RemoteProvider(PARAMS.provider_arn, PARAMS.provider_key, PARAMS.client_ids)
    roles = {r.name: RemoteRole(r.name, r.trust, dict(r.policies), r.max_session_duration) for r in DESIRED.roles}
    return RemoteState({PARAMS.provider_key: provider}, roles)


def test_empty_account_gets_provider_first_then_roles_and_policies() -> None:
    plan = make_plan(DESIRED, RemoteState())
    apis = [c.api for c in plan.changes]
    assert apis[0] == "CreateOpenIDConnectProvider"
    assert apis.count("CreateRole") == 3 and apis.count("PutRolePolicy") == 3
    for change in plan.changes:
        if change.api == "PutRolePolicy":
            assert apis.index("CreateRole") < plan.changes.index(change)


def test_rendered_policies_name_the_account_region_and_provider() -> None:
    user = DESIRED.role("WebUser")
    assert user is not None
    text = json.dumps(user.policies["user-access"])
    assert "arn:aws:dynamodb:eu-west-1:123456789012:table/Photos" in text
    assert "${idp.localhost/dev:sub}" in text
    assert user.trust["Statement"][0]["Principal"]["Federated"] == PARAMS.provider_arn


def test_applied_state_plans_nothing() -> None:
    assert make_plan(DESIRED, applied()).empty


def test_drift_is_repaired_and_extra_policies_pruned() -> None:
    state = applied()
    web_user = state.roles["WebUser"]
    drifted = RemoteRole(
        "WebUser", {"Version": "2012-10-17", "Statement": []},
        {"user-access": {"Version": "2012-10-17", "Statement": []}, "hand-made": {"Statement": []}},
        max_session_duration=7200,
    )
    plan = make_plan(DESIRED, RemoteState(state.providers, {**state.roles, "WebUser": drifted}))
    assert [(c.api, c.params.get("PolicyName")) for c in plan.changes] == [
        ("UpdateAssumeRolePolicy", None), ("UpdateRole", None),
        ("PutRolePolicy", "user-access"), ("DeleteRolePolicy", "hand-made"),
    ]
    assert json.loads(plan.changes[0].params["PolicyDocument"]) == DESIRED.role("WebUser").trust  # type: ignore[union-attr]
    assert web_user.name == "WebUser"
    kept = make_plan(DESIRED, RemoteState(state.providers, {**state.roles, "WebUser": drifted}), prune=False)
    assert "DeleteRolePolicy" not in [c.api for c in kept.changes]


def test_missing_audience_is_added_to_an_existing_provider() -> None:
    state = applied()
    bare = RemoteProvider(PARAMS.provider_arn, PARAMS.provider_key, ())
    plan = make_plan(DESIRED, RemoteState({PARAMS.provider_key: bare}, state.roles))
    assert [(c.api, c.params["ClientID"]) for c in plan.changes] == [("AddClientIDToOpenIDConnectProvider", "webapp")]
