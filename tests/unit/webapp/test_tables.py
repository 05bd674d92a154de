"""The tables of docs/data-model.md as data: what DynamoDB creates from them, and the seeding.

DynamoDB itself (moto, as storage only) is the judge of the CreateTable requests: it rejects an
attribute definition no key uses, a missing one, or a malformed index.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from iam_policies.errors import AwsError
from webapp.backend.errors import ProvisionedThroughputExceededException
from webapp.cli.tables import run as tables_command
from webapp.demo import seed_demo_profiles
from webapp.settings import Settings
from webapp.tables import TABLES, TABLES_BY_LOGICAL, ensure_tables, physical_names


class BotoBackend:
    """``Backend.call(operation, params)`` over a boto3 client: AWS errors become ``AwsError``."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.calls: list[str] = []

    def call(self, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        from botocore import xform_name

        self.calls.append(operation)
        try:
            response: dict[str, Any] = getattr(self.client, xform_name(operation))(**params)
        except ClientError as error:
            failure = AwsError(error.response["Error"]["Message"])
            failure.code = error.response["Error"]["Code"]
            raise failure from error
        return response


@pytest.fixture
def dynamodb() -> Iterator[Any]:
    with mock_aws():
        yield boto3.client("dynamodb", region_name="us-east-1")


@pytest.fixture
def backend(dynamodb: Any) -> BotoBackend:
    return BotoBackend(dynamodb)


def keys(description: dict[str, Any]) -> list[tuple[str, str]]:
    return [(k["AttributeName"], k["KeyType"]) for k in description["KeySchema"]]


# The data model, row by row: (logical, physical, key schema, indexes as name -> (keys, projection))
DATA_MODEL = [
    ("photos", "Photos", [("UserId", "HASH"), ("PhotoId", "RANGE")],
     {"ByDate": ([("UserId", "HASH"), ("TakenOn", "RANGE")], "ALL", None)}),
    ("photoTags", "PhotoTags", [("UserId", "HASH"), ("TagKey", "RANGE")],
     {"PublicByTag": ([("PublicTag", "HASH"), ("TakenOn", "RANGE")], "INCLUDE",
                      {"Title", "Thumb", "PhotoId", "OwnerName"})}),
    ("profiles", "Profiles", [("UserId", "HASH")],
     {"ByName": ([("NameBucket", "HASH"), ("NameKey", "RANGE")], "INCLUDE", {"DisplayName"})}),
    ("games", "Games", [("GameId", "HASH")],
     {"ByHost": ([("Host", "HASH"), ("UpdatedAt", "RANGE")], "ALL", None),
      "ByOpponent": ([("Opponent", "HASH"), ("UpdatedAt", "RANGE")], "ALL", None)}),
    ("sessions", "Sessions", [("SessionId", "HASH")],
     {"BySub": ([("Sub", "HASH"), ("CreatedAt", "RANGE")], "INCLUDE", {"Issuer", "ExpiresAt", "Browser"})}),
]


@pytest.mark.parametrize(("logical", "physical", "key_schema", "indexes"), DATA_MODEL,
                         ids=[row[0] for row in DATA_MODEL])
def test_dynamodb_creates_each_table_as_the_data_model_describes_it(
        backend: BotoBackend, dynamodb: Any, logical: str, physical: str,
        key_schema: list[tuple[str, str]], indexes: dict[str, Any]) -> None:
    ensure_tables(backend, Settings())
    table = dynamodb.describe_table(TableName=physical)["Table"]
    assert keys(table) == key_schema
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    found = {i["IndexName"]: i for i in
             (table.get("LocalSecondaryIndexes") or []) + (table.get("GlobalSecondaryIndexes") or [])}
    assert set(found) == set(indexes)
    for name, (index_keys, projection, non_key) in indexes.items():
        assert keys(found[name]) == index_keys
        assert found[name]["Projection"]["ProjectionType"] == projection
        if non_key is not None:
            assert set(found[name]["Projection"]["NonKeyAttributes"]) == non_key
    # The policy engine's view of the same table agrees.
    schema = TABLES_BY_LOGICAL[logical].schema(physical)
    assert (schema.partition_key, schema.sort_key) == (key_schema[0][0], (key_schema[1:] or [(None,)])[0][0])
    assert set(schema.indexes) == set(indexes)


def test_only_the_photos_local_index_is_an_lsi(dynamodb: Any, backend: BotoBackend) -> None:
    ensure_tables(backend, Settings())
    photos = dynamodb.describe_table(TableName="Photos")["Table"]
    assert [i["IndexName"] for i in photos["LocalSecondaryIndexes"]] == ["ByDate"]
    assert "GlobalSecondaryIndexes" not in photos or not photos["GlobalSecondaryIndexes"]


def test_ensure_tables_is_idempotent_and_enables_ttl_on_sessions_only(
        backend: BotoBackend, dynamodb: Any) -> None:
    first = ensure_tables(backend, Settings())
    assert sorted(first) == sorted([f"created {n}" for n in
                                    ("Photos", "PhotoTags", "Profiles", "Games", "Sessions")]
                                   + ["enabled TTL on Sessions.ExpiresAt"])
    assert ensure_tables(backend, Settings()) == []
    assert backend.calls.count("CreateTable") == 5
    for name in ("Photos", "PhotoTags", "Profiles", "Games", "Sessions"):
        ttl = dynamodb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
        expected = ("ENABLED", "ExpiresAt") if name == "Sessions" else ("DISABLED", None)
        assert (ttl["TimeToLiveStatus"], ttl.get("AttributeName")) == expected


def test_prefix_names_every_table(backend: BotoBackend, dynamodb: Any) -> None:
    settings = Settings(table_prefix="staging-")
    ensure_tables(backend, settings)
    assert physical_names(settings) == {
        "photos": "staging-Photos", "photoTags": "staging-PhotoTags", "profiles": "staging-Profiles",
        "games": "staging-Games", "sessions": "staging-Sessions"}
    assert sorted(dynamodb.list_tables()["TableNames"]) == sorted(physical_names(settings).values())


def test_a_backend_failure_other_than_not_found_is_not_swallowed() -> None:
    class Broken:
        def call(self, operation: str, params: dict[str, Any]) -> dict[str, Any]:
            failure = AwsError("throttled")
            failure.code = "ThrottlingException"
            raise failure

    with pytest.raises(AwsError, match="throttled"):
        ensure_tables(Broken(), Settings())


def test_logical_names_are_the_five_of_config_json() -> None:
    assert [t.logical for t in TABLES] == ["photos", "photoTags", "profiles", "games", "sessions"]


# The command --------------------------------------------------------------------------------


def command(action: str, capsys: pytest.CaptureFixture[str], **extra: Any) -> tuple[int, Any]:
    args = argparse.Namespace(action=action, endpoint_url=None, region="us-east-1", prefix=None,
                              data_dir=None, format="json", **extra)
    code = tables_command(args)
    return code, json.loads(capsys.readouterr().out)


def test_command_lists_creates_and_describes(dynamodb: Any, capsys: pytest.CaptureFixture[str]) -> None:
    code, listed = command("list", capsys)
    assert code == 0 and {r["status"] for r in listed} == {"missing"}
    code, created = command("create", capsys)
    assert code == 0
    assert {r["table"]: r["status"] for r in created} == {
        "Photos": "created", "PhotoTags": "created", "Profiles": "created", "Games": "created",
        "Sessions": "created, TTL enabled"}
    code, again = command("create", capsys)
    assert {r["status"] for r in again} == {"exists"}
    code, described = command("describe", capsys)
    assert [t["TableName"] for t in described] == ["Photos", "PhotoTags", "Profiles", "Games", "Sessions"]
    assert all(t["TableStatus"] == "ACTIVE" for t in described)


# Demo profiles ------------------------------------------------------------------------------

DEMO = [("sub-alice", "Alice", "pro", "moderator"), ("sub-bob", "Bob", "free", "member"),
        ("sub-carol", "Carol", "free", "member")]


def test_demo_profiles_carry_plan_and_role(backend: BotoBackend, dynamodb: Any) -> None:
    ensure_tables(backend, Settings())
    assert seed_demo_profiles(backend, Settings(), DEMO, now=1_800_000_000) == 3
    alice = dynamodb.get_item(TableName="Profiles", Key={"UserId": {"S": "sub-alice"}})["Item"]
    assert alice == {"UserId": {"S": "sub-alice"}, "DisplayName": {"S": "Alice"}, "Plan": {"S": "pro"},
                     "Role": {"S": "moderator"}, "UpdatedAt": {"S": "2027-01-15T08:00:00Z"},
                     "NameBucket": {"S": "a"}, "NameKey": {"S": "alice"}}


def test_seeding_again_keeps_what_the_user_edited(backend: BotoBackend, dynamodb: Any) -> None:
    ensure_tables(backend, Settings())
    seed_demo_profiles(backend, Settings(), DEMO)
    dynamodb.update_item(TableName="Profiles", Key={"UserId": {"S": "sub-bob"}},
                         UpdateExpression="SET DisplayName = :n", ExpressionAttributeValues={":n": {"S": "Bobby"}})
    seed_demo_profiles(backend, Settings(), DEMO)
    bob = dynamodb.get_item(TableName="Profiles", Key={"UserId": {"S": "sub-bob"}})["Item"]
    assert (bob["DisplayName"]["S"], bob["Plan"]["S"], bob["Role"]["S"]) == ("Bobby", "free", "member")
    assert dynamodb.scan(TableName="Profiles")["Count"] == 3


def test_seeding_what_is_already_seeded_writes_nothing(backend: BotoBackend, dynamodb: Any) -> None:
    """A restart must not journal three UpdateItems that change nothing (issue 11): the second
    seeding's updates are refused by their condition, and a changed role is written again."""
    ensure_tables(backend, Settings())
    assert seed_demo_profiles(backend, Settings(), DEMO, now=1_800_000_000) == 3
    before = dynamodb.scan(TableName="Profiles")["Items"]
    assert seed_demo_profiles(backend, Settings(), DEMO, now=1_900_000_000) == 0
    assert dynamodb.scan(TableName="Profiles")["Items"] == before, "not even UpdatedAt moved"
    dynamodb.update_item(TableName="Profiles", Key={"UserId": {"S": "sub-carol"}},
                         UpdateExpression="SET #r = :r REMOVE NameKey",
                         ExpressionAttributeNames={"#r": "Role"}, ExpressionAttributeValues={":r": {"S": "admin"}})
    assert seed_demo_profiles(backend, Settings(), DEMO) == 1
    carol = dynamodb.get_item(TableName="Profiles", Key={"UserId": {"S": "sub-carol"}})["Item"]
    assert (carol["Role"]["S"], carol["NameKey"]["S"]) == ("member", "carol")


class ThrottlingBackend:
    """Refuses the first ``refusals`` calls (or all, with None) as a throttled table does."""

    def __init__(self, refusals: int | None) -> None:
        self.refusals = refusals
        self.calls: list[str] = []

    def call(self, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        self.calls.append(params["Key"]["UserId"]["S"])
        if self.refusals is None or self.refusals > 0:
            if self.refusals is not None:
                self.refusals -= 1
            raise ProvisionedThroughputExceededException()
        return {}


def test_a_throttled_write_is_retried_with_backoff() -> None:
    backend, pauses = ThrottlingBackend(refusals=2), []
    assert seed_demo_profiles(backend, Settings(), DEMO, sleep=pauses.append) == 3
    assert backend.calls == ["sub-alice"] * 3 + ["sub-bob", "sub-carol"]
    assert pauses == [0.1, 0.2]


def test_a_table_that_stays_throttled_stops_the_seeding_with_a_reason_not_a_crash() -> None:
    from webapp.demo import SeedingThrottled

    backend, pauses = ThrottlingBackend(refusals=None), []
    with pytest.raises(SeedingThrottled, match="Profiles is throttled .* seeded 0 demo profile") as stopped:
        seed_demo_profiles(backend, Settings(), DEMO, sleep=pauses.append, retries=3)
    assert stopped.value.written == 0 and backend.calls == ["sub-alice"] * 4 and len(pauses) == 3


def test_the_admin_tooling_plans_the_tables_this_module_creates() -> None:
    """``iam_policies.deployment.APP_TABLES`` (what plan, apply and the CloudFormation template
    manage) and ``TABLES`` (what the local stack creates) are the same tables."""
    from iam_policies.deployment import DeploymentParams, desired_state

    planned = {t.name: (t.create_params(), t.ttl_attribute)
               for t in desired_state(DeploymentParams(account="000000000000", table_prefix="x-")).tables}
    settings = Settings(table_prefix="x-")
    created = {t.physical_name(settings): (t.create_params(t.physical_name(settings)), t.ttl_attribute)
               for t in TABLES}
    assert planned == created


def test_a_data_directory_from_before_an_index_was_added_gets_it_at_start(backend: BotoBackend, dynamodb: Any) -> None:
    """Profiles and Sessions made without ByName/BySub (before issue 10) get them, with the items
    they already hold, and a second start changes nothing."""
    for logical in ("profiles", "sessions"):
        old = TABLES_BY_LOGICAL[logical].create_params(TABLES_BY_LOGICAL[logical].logical.capitalize())
        old.pop("GlobalSecondaryIndexes")
        old["AttributeDefinitions"] = old["AttributeDefinitions"][:1]
        backend.call("CreateTable", old)
    dynamodb.put_item(TableName="Profiles", Item={"UserId": {"S": "u1"}, "DisplayName": {"S": "Al"},
                                                  "NameBucket": {"S": "a"}, "NameKey": {"S": "al"}})
    done = ensure_tables(backend, Settings())
    assert {"added index Profiles.ByName", "added index Sessions.BySub"} <= set(done)
    found = dynamodb.query(TableName="Profiles", IndexName="ByName", KeyConditionExpression="NameBucket = :b",
                           ExpressionAttributeValues={":b": {"S": "a"}})["Items"]
    assert [i["UserId"]["S"] for i in found] == ["u1"]
    assert not [d for d in ensure_tables(backend, Settings()) if d.startswith("added index")]
