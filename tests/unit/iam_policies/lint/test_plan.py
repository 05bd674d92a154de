"""Plans are data: from what IAM holds to what the templates say, in an order IAM accepts."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

from iam_policies.deployment import DeploymentParams, TableSpec, desired_state
from iam_policies.plan import RemoteProvider, RemoteRole, RemoteState, RemoteTable, make_plan
from iam_policies.schema import IndexSchema

PARAMS = DeploymentParams(account="123456789012", region="eu-west-1")
DESIRED = desired_state(PARAMS)


def applied() -> RemoteState:
    """The remote state after a full apply of ``DESIRED``."""
    provider = RemoteProvider(PARAMS.provider_arn, PARAMS.provider_key, PARAMS.client_ids)
    roles = {r.name: RemoteRole(r.name, r.trust, dict(r.policies), r.max_session_duration) for r in DESIRED.roles}
    tables = {t.name: RemoteTable(t.schema, t.ttl_attribute) for t in DESIRED.tables}
    return RemoteState({PARAMS.provider_key: provider}, roles, tables)


def table(name: str) -> TableSpec:
    return next(t for t in DESIRED.tables if t.name == name)


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


def test_an_audience_the_app_no_longer_has_is_removed_unless_pruning_is_off() -> None:
    state = applied()
    extra = RemoteProvider(PARAMS.provider_arn, PARAMS.provider_key, ("webapp", "mobile"))
    remote = replace(state, providers={PARAMS.provider_key: extra})
    plan = make_plan(DESIRED, remote)
    assert [(c.api, c.params["ClientID"]) for c in plan.changes] == [("RemoveClientIDFromOpenIDConnectProvider", "mobile")]
    assert make_plan(DESIRED, remote, prune=False).empty


def test_two_client_ids_reach_the_provider_and_the_trust_policy() -> None:
    both = desired_state(replace(PARAMS, client_ids=("webapp", "mobile")))
    plan = make_plan(both, applied())
    assert [c.api for c in plan.changes] == ["AddClientIDToOpenIDConnectProvider", "UpdateAssumeRolePolicy"]
    trust = json.loads(plan.changes[1].params["PolicyDocument"])
    assert trust["Statement"][0]["Condition"]["StringEquals"] == {"idp.localhost/dev:aud": ["webapp", "mobile"]}


THUMB = "9e99a48a9960b14926bb7f3b02e22da2b0ab7280"


@pytest.mark.parametrize(("wanted", "have", "apis"), [
    ((THUMB,), (), ["UpdateOpenIDConnectProviderThumbprint"]),
    ((THUMB,), (THUMB.upper(),), []),
    ((), ("a" * 40,), []),  # none given: thumbprints are not managed
], ids=["missing", "same in other case", "not managed"])
def test_thumbprints_are_planned_when_given(wanted: tuple[str, ...], have: tuple[str, ...], apis: list[str]) -> None:
    desired = desired_state(replace(PARAMS, thumbprints=wanted))
    remote = replace(applied(), providers={PARAMS.provider_key: RemoteProvider(
        PARAMS.provider_arn, PARAMS.provider_key, PARAMS.client_ids, have)})
    assert [c.api for c in make_plan(desired, remote).changes] == apis


def _tables_changed(**tables: RemoteTable | None) -> dict[str, RemoteTable]:
    current = dict(applied().tables or {})
    for name, value in tables.items():
        if value is None:
            current.pop(name)
        else:
            current[name] = value
    return current


GAMES = table("Games")
SESSIONS = table("Sessions")
WITHOUT_BY_HOST = replace(GAMES.schema, indexes={k: v for k, v in GAMES.schema.indexes.items() if k != "ByHost"})
EXTRA_GSI = replace(GAMES.schema, indexes={**GAMES.schema.indexes, "Old": IndexSchema("Old", "GSI", "X")})
OTHER_KEYS = replace(GAMES.schema, partition_key="Id")
KEYS_ONLY_BY_HOST = replace(GAMES.schema, indexes={**GAMES.schema.indexes,
                                                   "ByHost": replace(GAMES.schema.indexes["ByHost"], projection="KEYS_ONLY")})


@pytest.mark.parametrize(("remote", "changes", "problems"), [
    pytest.param({"Games": None}, [("CreateTable", "Games")], 0, id="missing table"),
    pytest.param({"Sessions": None}, [("CreateTable", "Sessions"), ("UpdateTimeToLive", "Sessions")], 0,
                 id="missing table with TTL"),
    pytest.param({"Sessions": RemoteTable(SESSIONS.schema, None)}, [("UpdateTimeToLive", "Sessions")], 0, id="TTL off"),
    pytest.param({"Sessions": RemoteTable(SESSIONS.schema, "Other")},
                 [("UpdateTimeToLive", "Sessions"), ("UpdateTimeToLive", "Sessions")], 0, id="TTL on another attribute"),
    pytest.param({"Games": RemoteTable(GAMES.schema, "ExpiresAt")}, [("UpdateTimeToLive", "Games")], 0, id="extra TTL"),
    pytest.param({"Games": RemoteTable(WITHOUT_BY_HOST)}, [("UpdateTable", "Games")], 0, id="missing GSI"),
    pytest.param({"Games": RemoteTable(EXTRA_GSI)}, [("UpdateTable", "Games")], 0, id="extra GSI"),
    pytest.param({"Games": RemoteTable(OTHER_KEYS)}, [], 1, id="key schema differs"),
    pytest.param({"Games": RemoteTable(KEYS_ONLY_BY_HOST)}, [], 1, id="GSI projection differs"),
])
def test_tables_are_planned(remote: dict[str, Any], changes: list[tuple[str, str]], problems: int) -> None:
    plan = make_plan(DESIRED, replace(applied(), tables=_tables_changed(**remote)))
    assert [(c.api, c.params["TableName"]) for c in plan.changes] == changes
    assert all(c.service == "dynamodb" for c in plan.changes)
    assert len(plan.problems) == problems
    assert plan.empty is (not changes and not problems)


def test_a_missing_gsi_is_created_with_its_projection_and_key_types() -> None:
    plan = make_plan(DESIRED, replace(applied(), tables=_tables_changed(Games=RemoteTable(WITHOUT_BY_HOST))))
    params = plan.changes[0].params
    assert params["GlobalSecondaryIndexUpdates"] == [{"Create": {
        "IndexName": "ByHost", "Projection": {"ProjectionType": "ALL"},
        "KeySchema": [{"AttributeName": "Host", "KeyType": "HASH"}, {"AttributeName": "UpdatedAt", "KeyType": "RANGE"}],
    }}]
    assert params["AttributeDefinitions"] == [{"AttributeName": "Host", "AttributeType": "S"},
                                              {"AttributeName": "UpdatedAt", "AttributeType": "S"}]


def test_tables_not_read_are_not_planned() -> None:
    assert make_plan(DESIRED, replace(applied(), tables=None)).empty
