"""The whole stack in upstream mode: ``WEBAPP_BACKEND_URL`` points the enforcing endpoint at
another DynamoDB-compatible server (moto's ``ThreadedMotoServer`` here, a legitimate peer).
What the admin writes through the stack lands upstream, and upstream errors come back intact."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError
from moto.server import ThreadedMotoServer

from tests.conftest import RunningStack, free_port_block


@pytest.fixture
def upstream_stack(tmp_path: Path) -> Iterator[tuple[RunningStack, str]]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    running = RunningStack(tmp_path / "data", free_port_block(), extra_env={
        "WEBAPP_BACKEND_URL": url,
        "WEBAPP_BACKEND_ACCESS_KEY_ID": "AKIDUPSTREAMEXAMPLE2",
        "WEBAPP_BACKEND_SECRET_ACCESS_KEY": "upstream-secret",
    })
    running.start()
    yield running, url
    running.stop()
    server.stop()


def test_writes_through_the_stack_land_upstream(upstream_stack: tuple[RunningStack, str]) -> None:
    stack, url = upstream_stack
    direct = boto3.client("dynamodb", region_name="us-east-1", endpoint_url=url,
                          aws_access_key_id="AKIDUPSTREAMEXAMPLE2", aws_secret_access_key="upstream-secret")
    admin = stack.admin("dynamodb")
    admin.create_table(
        TableName="ViaUpstream", BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
    )
    admin.put_item(TableName="ViaUpstream", Item={"pk": {"S": "a"}, "v": {"N": "1"}})
    assert direct.get_item(TableName="ViaUpstream", Key={"pk": {"S": "a"}})["Item"] == {"pk": {"S": "a"}, "v": {"N": "1"}}
    assert "ViaUpstream" in direct.list_tables()["TableNames"]

    with pytest.raises(ClientError) as caught:
        admin.put_item(TableName="ViaUpstream", Item={"pk": {"S": "a"}}, ConditionExpression="attribute_not_exists(pk)",
                       ReturnValuesOnConditionCheckFailure="ALL_OLD")
    error = caught.value.response
    assert error["Error"]["Code"] == "ConditionalCheckFailedException"
    assert error["Item"] == {"pk": {"S": "a"}, "v": {"N": "1"}}
    assert direct.get_item(TableName="ViaUpstream", Key={"pk": {"S": "a"}})["Item"]["v"] == {"N": "1"}
