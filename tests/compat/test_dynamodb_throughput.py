"""Provisioned throughput: not enforced by default; `--dynamodb-enforce-throughput` throttles
PROVISIONED tables with ProvisionedThroughputExceededException once their burst capacity
(300 s of provisioned units) is used up; on-demand tables are never throttled."""
import pytest
from botocore.exceptions import ClientError

from conftest import make_client


def provisioned_table(ddb, name, wcu=1):
    ddb.create_table(
        TableName=name,
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        BillingMode="PROVISIONED",
        ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": wcu},
    )


BIG = "x" * 100_000  # 98 WCU per put


def test_enforced_throughput_throttles_then_changes_nothing(lamina_server):
    s = lamina_server(extra_args=["--dynamodb-enforce-throughput"])
    ddb = make_client("dynamodb", s.url)
    provisioned_table(ddb, "prov")
    # 1 WCU of burst = 300 units: four 98-unit puts use it up
    throttled = None
    for i in range(10):
        try:
            ddb.put_item(TableName="prov", Item={"pk": {"S": f"k{i}"}, "v": {"S": BIG}})
        except ClientError as e:
            throttled = (i, e.response)
            break
    assert throttled is not None, "no throttling after 10 puts of 98 WCU on a 1 WCU table"
    i, resp = throttled
    assert 3 <= i <= 5
    assert resp["Error"]["Code"] == "ProvisionedThroughputExceededException"
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert "provisioned throughput for the table was exceeded" in resp["Error"]["Message"]
    # the refused put wrote nothing
    got = ddb.get_item(TableName="prov", Key={"pk": {"S": f"k{i}"}})
    assert "Item" not in got
    # ConsumedCapacity is not added to responses that did not ask for it
    ok = ddb.get_item(TableName="prov", Key={"pk": {"S": "k0"}})
    assert "ConsumedCapacity" not in ok


def test_on_demand_tables_are_not_throttled(lamina_server):
    s = lamina_server(extra_args=["--dynamodb-enforce-throughput"])
    ddb = make_client("dynamodb", s.url)
    ddb.create_table(
        TableName="ondemand",
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
    )
    for i in range(10):
        ddb.put_item(TableName="ondemand", Item={"pk": {"S": f"k{i}"}, "v": {"S": BIG}})


def test_not_enforced_by_default(endpoint):
    ddb = make_client("dynamodb", endpoint)
    provisioned_table(ddb, "prov-default")
    try:
        for i in range(10):
            ddb.put_item(TableName="prov-default", Item={"pk": {"S": f"k{i}"}, "v": {"S": BIG}})
    finally:
        ddb.delete_table(TableName="prov-default")
