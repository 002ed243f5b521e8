"""DynamoDB control plane with real clients: boto3 and the AWS CLI against a running Lamina.

What a user does: create tables (on-demand and provisioned, with GSIs, LSIs, streams, tags),
wait for them with the SDK waiters, describe and list them (paginated), update them (indexes,
streams, billing, throughput, deletion protection), tag them, switch TTL on and off, delete them;
and what they see when they get it wrong.
"""
import uuid

import pytest
from botocore.exceptions import ClientError

INVALID = "One or more parameter values were invalid: "


@pytest.fixture
def ddb(client):
    return client("dynamodb")


@pytest.fixture
def name():
    """A unique table name per test so tests never see each other's tables."""
    return f"compat-{uuid.uuid4().hex[:12]}"


def error_of(excinfo):
    err = excinfo.value.response["Error"]
    return err["Code"], err.get("Message", "")


def simple(name, **extra):
    args = dict(
        TableName=name,
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
    )
    args.update(extra)
    return args


def music(name):
    return dict(
        TableName=name,
        AttributeDefinitions=[
            {"AttributeName": "Artist", "AttributeType": "S"},
            {"AttributeName": "Song", "AttributeType": "S"},
            {"AttributeName": "Year", "AttributeType": "N"},
            {"AttributeName": "Genre", "AttributeType": "S"},
        ],
        KeySchema=[{"AttributeName": "Artist", "KeyType": "HASH"}, {"AttributeName": "Song", "KeyType": "RANGE"}],
        LocalSecondaryIndexes=[{
            "IndexName": "ByYear",
            "KeySchema": [{"AttributeName": "Artist", "KeyType": "HASH"}, {"AttributeName": "Year", "KeyType": "RANGE"}],
            "Projection": {"ProjectionType": "KEYS_ONLY"},
        }],
        GlobalSecondaryIndexes=[{
            "IndexName": "ByGenre",
            "KeySchema": [{"AttributeName": "Genre", "KeyType": "HASH"}, {"AttributeName": "Year", "KeyType": "RANGE"}],
            "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["Album"]},
            "ProvisionedThroughput": {"ReadCapacityUnits": 2, "WriteCapacityUnits": 3},
        }],
        ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 6},
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        Tags=[{"Key": "team", "Value": "audio"}],
    )


def test_create_wait_describe_delete(ddb, name):
    d = ddb.create_table(**simple(name))["TableDescription"]
    assert d["TableStatus"] == "CREATING"
    assert d["TableName"] == name
    assert d["TableArn"].endswith(f":table/{name}")
    assert d["TableArn"].startswith("arn:aws:dynamodb:us-east-1:")
    assert d["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert d["KeySchema"] == [{"AttributeName": "pk", "KeyType": "HASH"}]

    ddb.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 10})
    t = ddb.describe_table(TableName=name)["Table"]
    assert t["TableStatus"] == "ACTIVE"
    assert t["ItemCount"] == 0 and t["TableSizeBytes"] == 0
    assert t["TableId"] == d["TableId"]
    assert t["CreationDateTime"].year >= 2024
    assert t["DeletionProtectionEnabled"] is False

    out = ddb.delete_table(TableName=name)["TableDescription"]
    assert out["TableStatus"] == "DELETING"
    ddb.get_waiter("table_not_exists").wait(TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 10})
    with pytest.raises(ClientError) as e:
        ddb.describe_table(TableName=name)
    assert error_of(e) == ("ResourceNotFoundException", f"Requested resource not found: Table: {name} not found")


def test_indexes_stream_and_tags_in_the_description(ddb, name):
    d = ddb.create_table(**music(name))["TableDescription"]
    assert d["GlobalSecondaryIndexes"][0]["IndexStatus"] == "CREATING"
    t = ddb.describe_table(TableName=name)["Table"]
    gsi = t["GlobalSecondaryIndexes"][0]
    assert gsi["IndexName"] == "ByGenre"
    assert gsi["IndexStatus"] == "ACTIVE"
    assert gsi["Projection"] == {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["Album"]}
    assert gsi["ProvisionedThroughput"]["ReadCapacityUnits"] == 2
    assert gsi["ProvisionedThroughput"]["WriteCapacityUnits"] == 3
    assert gsi["IndexArn"] == t["TableArn"] + "/index/ByGenre"
    assert gsi["ItemCount"] == 0
    lsi = t["LocalSecondaryIndexes"][0]
    assert lsi["IndexName"] == "ByYear"
    assert lsi["KeySchema"][1] == {"AttributeName": "Year", "KeyType": "RANGE"}
    assert lsi["Projection"] == {"ProjectionType": "KEYS_ONLY"}
    assert t["ProvisionedThroughput"]["ReadCapacityUnits"] == 5
    assert t["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    assert t["LatestStreamArn"] == f"{t['TableArn']}/stream/{t['LatestStreamLabel']}"
    tags = ddb.list_tags_of_resource(ResourceArn=t["TableArn"])["Tags"]
    assert tags == [{"Key": "team", "Value": "audio"}]
    ddb.delete_table(TableName=name)


def test_list_tables_paginates(ddb, name):
    names = sorted(f"{name}-{i}" for i in range(5))
    for n in names:
        ddb.create_table(**simple(n))
    seen = []
    kwargs = {"Limit": 2, "ExclusiveStartTableName": name}
    while True:
        page = ddb.list_tables(**kwargs)
        got = [n for n in page["TableNames"] if n.startswith(name)]
        seen += got
        assert len(page["TableNames"]) <= 2
        if "LastEvaluatedTableName" not in page or len(got) < len(page["TableNames"]):
            break
        kwargs["ExclusiveStartTableName"] = page["LastEvaluatedTableName"]
    assert seen == names
    # the SDK paginator walks the same pages
    all_names = [n for p in ddb.get_paginator("list_tables").paginate(PaginationConfig={"PageSize": 2})
                 for n in p["TableNames"]]
    assert [n for n in all_names if n.startswith(name)] == names
    assert all_names == sorted(all_names)
    for n in names:
        ddb.delete_table(TableName=n)


def test_existing_table_is_in_use(ddb, name):
    ddb.create_table(**simple(name))
    with pytest.raises(ClientError) as e:
        ddb.create_table(**simple(name))
    assert error_of(e) == ("ResourceInUseException", f"Table already exists: {name}")
    ddb.delete_table(TableName=name)


@pytest.mark.parametrize("args,message", [
    (dict(AttributeDefinitions=[{"AttributeName": "a", "AttributeType": "S"}],
          KeySchema=[{"AttributeName": "b", "KeyType": "HASH"}]),
     INVALID + "Some index key attributes are not defined in AttributeDefinitions. Keys: [b], AttributeDefinitions: [a]"),
    (dict(AttributeDefinitions=[{"AttributeName": "a", "AttributeType": "S"}, {"AttributeName": "b", "AttributeType": "N"}],
          KeySchema=[{"AttributeName": "a", "KeyType": "HASH"}]),
     INVALID + "Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions"),
    (dict(AttributeDefinitions=[{"AttributeName": "a", "AttributeType": "S"}, {"AttributeName": "b", "AttributeType": "S"}],
          KeySchema=[{"AttributeName": "a", "KeyType": "RANGE"}, {"AttributeName": "b", "KeyType": "HASH"}]),
     "Invalid KeySchema: The first KeySchemaElement is not a HASH key type"),
    (dict(BillingMode="PROVISIONED"),
     INVALID + "ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED"),
    (dict(ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}),
     INVALID + "Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST"),
    (dict(AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "s", "AttributeType": "S"}],
          LocalSecondaryIndexes=[{"IndexName": "lsi", "Projection": {"ProjectionType": "ALL"},
                                  "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "s", "KeyType": "RANGE"}]}]),
     INVALID + "Table KeySchema does not have a range key, which is required when specifying a LocalSecondaryIndex"),
    (dict(AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "g", "AttributeType": "S"}],
          GlobalSecondaryIndexes=[{"IndexName": "gsi", "Projection": {"ProjectionType": "INCLUDE"},
                                   "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}]}]),
     INVALID + "ProjectionType is INCLUDE, but NonKeyAttributes is not specified"),
    (dict(AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "g", "AttributeType": "S"}],
          GlobalSecondaryIndexes=[{"IndexName": "gsi", "Projection": {"ProjectionType": "ALL"},
                                   "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}]}] * 2),
     INVALID + "Duplicate index name: gsi"),
])
def test_create_table_validation(ddb, name, args, message):
    with pytest.raises(ClientError) as e:
        ddb.create_table(**simple(name, **args))
    assert error_of(e) == ("ValidationException", message)
    with pytest.raises(ClientError) as e:
        ddb.describe_table(TableName=name)
    assert error_of(e)[0] == "ResourceNotFoundException"


def test_too_many_indexes(ddb, name):
    defs = [{"AttributeName": "pk", "AttributeType": "S"}] + [
        {"AttributeName": f"g{i}", "AttributeType": "S"} for i in range(21)]
    gsis = [{"IndexName": f"gsi{i}", "Projection": {"ProjectionType": "KEYS_ONLY"},
             "KeySchema": [{"AttributeName": f"g{i}", "KeyType": "HASH"}]} for i in range(21)]
    with pytest.raises(ClientError) as e:
        ddb.create_table(**simple(name, AttributeDefinitions=defs, GlobalSecondaryIndexes=gsis))
    assert error_of(e) == ("ValidationException", INVALID + "GlobalSecondaryIndex count exceeds the per-table limit of 20")


def test_update_table_gsi_lifecycle(ddb, name):
    ddb.create_table(**simple(name))
    create = {"Create": {"IndexName": "byG", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                         "Projection": {"ProjectionType": "ALL"}}}
    with pytest.raises(ClientError) as e:
        ddb.update_table(TableName=name, GlobalSecondaryIndexUpdates=[create])
    assert error_of(e) == ("ValidationException", INVALID + "AttributeDefinitions is not specified for index: byG")
    d = ddb.update_table(TableName=name, AttributeDefinitions=[{"AttributeName": "g", "AttributeType": "N"}],
                         GlobalSecondaryIndexUpdates=[create])["TableDescription"]
    assert d["TableStatus"] == "UPDATING"
    assert d["GlobalSecondaryIndexes"][0]["IndexStatus"] == "CREATING"
    ddb.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 10})
    t = ddb.describe_table(TableName=name)["Table"]
    assert t["GlobalSecondaryIndexes"][0]["IndexStatus"] == "ACTIVE"
    assert {"AttributeName": "g", "AttributeType": "N"} in t["AttributeDefinitions"]
    with pytest.raises(ClientError) as e:
        ddb.update_table(TableName=name, AttributeDefinitions=[{"AttributeName": "g", "AttributeType": "N"}],
                         GlobalSecondaryIndexUpdates=[create])
    assert error_of(e) == ("ValidationException", "Attempting to create an index which already exists")
    with pytest.raises(ClientError) as e:
        ddb.update_table(TableName=name, GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "nope"}}])
    assert error_of(e) == ("ResourceNotFoundException", f"Requested resource not found: Index nope for table {name}")
    d = ddb.update_table(TableName=name, GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "byG"}}])
    assert "GlobalSecondaryIndexes" not in ddb.describe_table(TableName=name)["Table"]
    ddb.delete_table(TableName=name)


def test_update_table_stream_on_off(ddb, name):
    ddb.create_table(**simple(name))
    with pytest.raises(ClientError) as e:
        ddb.update_table(TableName=name, StreamSpecification={"StreamEnabled": False})
    assert error_of(e) == ("ValidationException", f"Table has no stream to disable: TableName: {name}")
    on = {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}
    first = ddb.update_table(TableName=name, StreamSpecification=on)["TableDescription"]["LatestStreamArn"]
    with pytest.raises(ClientError) as e:
        ddb.update_table(TableName=name, StreamSpecification=on)
    assert error_of(e) == ("ValidationException", f"Table already has an enabled stream: TableName: {name}")
    ddb.update_table(TableName=name, StreamSpecification={"StreamEnabled": False})
    t = ddb.describe_table(TableName=name)["Table"]
    assert "StreamSpecification" not in t
    assert t["LatestStreamArn"] == first
    second = ddb.update_table(TableName=name, StreamSpecification=on)["TableDescription"]["LatestStreamArn"]
    assert second != first
    ddb.delete_table(TableName=name)


def test_update_table_billing_throughput_and_protection(ddb, name):
    ddb.create_table(**simple(name, BillingMode="PROVISIONED",
                              ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}))
    with pytest.raises(ClientError) as e:
        ddb.update_table(TableName=name, ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1})
    code, msg = error_of(e)
    assert code == "ValidationException"
    assert msg.startswith("The provisioned throughput for the table will not change.")
    pt = ddb.update_table(TableName=name, ProvisionedThroughput={"ReadCapacityUnits": 7, "WriteCapacityUnits": 8}
                          )["TableDescription"]["ProvisionedThroughput"]
    assert (pt["ReadCapacityUnits"], pt["WriteCapacityUnits"]) == (7, 8)
    d = ddb.update_table(TableName=name, BillingMode="PAY_PER_REQUEST")["TableDescription"]
    assert d["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    with pytest.raises(ClientError) as e:
        ddb.update_table(TableName=name)
    code, msg = error_of(e)
    assert code == "ValidationException" and msg.startswith("At least one of ProvisionedThroughput, BillingMode")

    ddb.update_table(TableName=name, DeletionProtectionEnabled=True)
    with pytest.raises(ClientError) as e:
        ddb.delete_table(TableName=name)
    assert error_of(e) == ("ValidationException", "Resource cannot be deleted as it is currently protected "
                           "against deletion. Disable deletion protection first.")
    ddb.update_table(TableName=name, DeletionProtectionEnabled=False)
    ddb.delete_table(TableName=name)


def test_tags(ddb, name):
    arn = ddb.create_table(**simple(name))["TableDescription"]["TableArn"]
    ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": "env", "Value": "dev"}, {"Key": "owner", "Value": "me"}])
    ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": "env", "Value": "prod"}])
    tags = {t["Key"]: t["Value"] for t in ddb.list_tags_of_resource(ResourceArn=arn)["Tags"]}
    assert tags == {"env": "prod", "owner": "me"}
    ddb.untag_resource(ResourceArn=arn, TagKeys=["owner"])
    assert ddb.list_tags_of_resource(ResourceArn=arn)["Tags"] == [{"Key": "env", "Value": "prod"}]
    with pytest.raises(ClientError) as e:
        ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(50)])
    assert error_of(e) == ("ValidationException", "Number of Tags exceed the current limit for the provided ResourceArn")
    ddb.delete_table(TableName=name)
    with pytest.raises(ClientError) as e:
        ddb.list_tags_of_resource(ResourceArn=arn)
    assert error_of(e) == ("ResourceNotFoundException", f"Requested resource not found: ResourceArn: {arn} not found")


def test_time_to_live(ddb, name):
    ddb.create_table(**simple(name))
    assert ddb.describe_time_to_live(TableName=name)["TimeToLiveDescription"] == {"TimeToLiveStatus": "DISABLED"}
    spec = {"Enabled": True, "AttributeName": "expires"}
    assert ddb.update_time_to_live(TableName=name, TimeToLiveSpecification=spec)["TimeToLiveSpecification"] == spec
    assert ddb.describe_time_to_live(TableName=name)["TimeToLiveDescription"] == {
        "TimeToLiveStatus": "ENABLED", "AttributeName": "expires"}
    with pytest.raises(ClientError) as e:
        ddb.update_time_to_live(TableName=name, TimeToLiveSpecification=spec)
    assert error_of(e) == ("ValidationException", "TimeToLive is already enabled")
    ddb.update_time_to_live(TableName=name, TimeToLiveSpecification={"Enabled": False, "AttributeName": "expires"})
    assert ddb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]["TimeToLiveStatus"] == "DISABLED"
    ddb.delete_table(TableName=name)
    with pytest.raises(ClientError) as e:
        ddb.describe_time_to_live(TableName=name)
    assert error_of(e) == ("ResourceNotFoundException", f"Requested resource not found: Table: {name} not found")


def test_account_level_operations(ddb, name):
    limits = ddb.describe_limits()
    assert limits["AccountMaxReadCapacityUnits"] == 80000
    assert limits["TableMaxWriteCapacityUnits"] == 40000
    assert ddb.describe_endpoints()["Endpoints"] == [
        {"Address": "dynamodb.us-east-1.amazonaws.com", "CachePeriodInMinutes": 1440}]
    with pytest.raises(ClientError) as e:
        ddb.describe_continuous_backups(TableName=name)
    assert error_of(e) == ("TableNotFoundException", f"Table not found: {name}")
    ddb.create_table(**simple(name))
    b = ddb.describe_continuous_backups(TableName=name)["ContinuousBackupsDescription"]
    assert b["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "DISABLED"
    ddb.delete_table(TableName=name)


def test_missing_table_on_every_control_operation(ddb, name):
    want = ("ResourceNotFoundException", f"Requested resource not found: Table: {name} not found")
    for call in (lambda: ddb.describe_table(TableName=name),
                 lambda: ddb.delete_table(TableName=name),
                 lambda: ddb.update_table(TableName=name, DeletionProtectionEnabled=True)):
        with pytest.raises(ClientError) as e:
            call()
        assert error_of(e) == want


def test_cli_create_wait_list_delete(aws, name):
    out = aws("dynamodb", "create-table", "--table-name", name,
              "--attribute-definitions", "AttributeName=id,AttributeType=S",
              "--key-schema", "AttributeName=id,KeyType=HASH", "--billing-mode", "PAY_PER_REQUEST")
    assert out["TableDescription"]["TableName"] == name
    aws("dynamodb", "wait", "table-exists", "--table-name", name)
    t = aws("dynamodb", "describe-table", "--table-name", name)["Table"]
    assert t["TableStatus"] == "ACTIVE"
    assert name in aws("dynamodb", "list-tables")["TableNames"]
    aws("dynamodb", "delete-table", "--table-name", name)
    aws("dynamodb", "wait", "table-not-exists", "--table-name", name)
    code, _, err = aws.run("dynamodb", "describe-table", "--table-name", name)
    assert code != 0
    assert "ResourceNotFoundException" in err
