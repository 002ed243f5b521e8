"""DynamoDB Streams and Time to Live with real clients, written from the developer guide and the
DynamoDBStreams_20120810 API reference: stream settings on CreateTable, ListStreams,
DescribeStream, GetShardIterator (TRIM_HORIZON, LATEST, AT_ and AFTER_SEQUENCE_NUMBER),
GetRecords with the images of each view type, no record for writes that fail or change nothing,
and TTL deleting expired items with a service-identity REMOVE record.
"""
import datetime
import time

import pytest

from ddb_helpers import (av, ddb, err, item, make_table, plain, read_from, read_stream,  # noqa: F401
                         shard_ids, stream_arn, streams, wait_records)

VIEW_TYPES = ["KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES"]


def put_update_delete(ddb, t):
    ddb.put_item(TableName=t, Item=item(pk="a", v=1))
    ddb.update_item(TableName=t, Key=item(pk="a"), UpdateExpression="SET v = :two",
                    ExpressionAttributeValues={":two": av(2)})
    ddb.delete_item(TableName=t, Key=item(pk="a"))


def first_shard_iterator(streams, arn, kind, **kw):
    return streams.get_shard_iterator(StreamArn=arn, ShardId=shard_ids(streams, arn)[0],
                                      ShardIteratorType=kind, **kw)["ShardIterator"]


@pytest.mark.parametrize("view", VIEW_TYPES)
def test_stream_settings_on_create(ddb, make_table, view):
    t = make_table(stream=view)
    desc = ddb.describe_table(TableName=t)["Table"]
    assert desc["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": view}
    arn = desc["LatestStreamArn"]
    assert arn.startswith("arn:aws:dynamodb:us-east-1:") and f":table/{t}/stream/" in arn
    assert arn.endswith("/stream/" + desc["LatestStreamLabel"])


def test_list_streams(ddb, streams, make_table):
    with_stream = make_table(stream="NEW_IMAGE")
    without = make_table()
    listed = streams.list_streams(TableName=with_stream)["Streams"]
    assert listed == [{"StreamArn": stream_arn(ddb, with_stream), "TableName": with_stream,
                       "StreamLabel": ddb.describe_table(TableName=with_stream)["Table"]["LatestStreamLabel"]}]
    assert streams.list_streams(TableName=without)["Streams"] == []
    assert stream_arn(ddb, with_stream) in [s["StreamArn"] for s in streams.list_streams()["Streams"]]


def test_describe_stream(ddb, streams, make_table):
    t = make_table(range_key=("sk", "N"), stream="NEW_AND_OLD_IMAGES")
    arn = stream_arn(ddb, t)
    d = streams.describe_stream(StreamArn=arn)["StreamDescription"]
    assert d["StreamArn"] == arn and d["TableName"] == t
    assert d["StreamStatus"] == "ENABLED" and d["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    assert d["KeySchema"] == [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}]
    assert d["Shards"] and all(s["ShardId"] and s["SequenceNumberRange"]["StartingSequenceNumber"] for s in d["Shards"])
    assert isinstance(d["CreationRequestDateTime"], datetime.datetime)


def test_describe_stream_unknown_arn(streams):
    arn = "arn:aws:dynamodb:us-east-1:000000000000:table/nope-compat/stream/2020-01-01T00:00:00.000"
    code, _ = err(streams.describe_stream, StreamArn=arn)
    assert code == "ResourceNotFoundException"


def test_insert_modify_remove_records(ddb, streams, make_table):
    t = make_table(stream="NEW_AND_OLD_IMAGES")
    before = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=1)
    put_update_delete(ddb, t)
    recs = wait_records(streams, stream_arn(ddb, t), 3)
    assert [r["eventName"] for r in recs] == ["INSERT", "MODIFY", "REMOVE"]
    ins, mod, rem = (r["dynamodb"] for r in recs)
    assert ins["Keys"] == {"pk": {"S": "a"}} and ins["NewImage"] == {"pk": {"S": "a"}, "v": {"N": "1"}}
    assert "OldImage" not in ins
    assert mod["OldImage"]["v"] == {"N": "1"} and mod["NewImage"]["v"] == {"N": "2"}
    assert rem["OldImage"] == {"pk": {"S": "a"}, "v": {"N": "2"}} and "NewImage" not in rem
    seqs = [int(r["dynamodb"]["SequenceNumber"]) for r in recs]
    assert seqs == sorted(seqs) and len(set(seqs)) == 3
    for r in recs:
        assert r["eventSource"] == "aws:dynamodb" and r["awsRegion"] == "us-east-1"
        assert r["eventVersion"] == "1.1" and r["eventID"]
        assert r["dynamodb"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"
        assert r["dynamodb"]["SizeBytes"] > 0
        assert r["dynamodb"]["ApproximateCreationDateTime"] >= before
        assert "userIdentity" not in r
    assert len({r["eventID"] for r in recs}) == 3


@pytest.mark.parametrize("view,present", [
    ("KEYS_ONLY", [set(), set(), set()]),
    ("NEW_IMAGE", [{"NewImage"}, {"NewImage"}, set()]),
    ("OLD_IMAGE", [set(), {"OldImage"}, {"OldImage"}]),
    ("NEW_AND_OLD_IMAGES", [{"NewImage"}, {"NewImage", "OldImage"}, {"OldImage"}]),
])
def test_images_per_view_type(ddb, streams, make_table, view, present):
    t = make_table(stream=view)
    put_update_delete(ddb, t)
    recs = wait_records(streams, stream_arn(ddb, t), 3)
    for rec, want in zip(recs, present):
        assert rec["dynamodb"]["Keys"] == {"pk": {"S": "a"}}
        assert {"NewImage", "OldImage"} & set(rec["dynamodb"]) == want, rec


def test_failed_conditional_write_emits_nothing(ddb, streams, make_table):
    t = make_table(stream="NEW_IMAGE")
    ddb.put_item(TableName=t, Item=item(pk="a", v=1))
    code, _ = err(ddb.put_item, TableName=t, Item=item(pk="a", v=2), ConditionExpression="attribute_not_exists(pk)")
    assert code == "ConditionalCheckFailedException"
    ddb.put_item(TableName=t, Item=item(pk="b"))
    recs = wait_records(streams, stream_arn(ddb, t), 2)
    assert [(r["eventName"], plain(r["dynamodb"]["Keys"])["pk"]) for r in recs] == [("INSERT", "a"), ("INSERT", "b")]


def test_unchanged_item_and_missing_delete_emit_nothing(ddb, streams, make_table):
    t = make_table(stream="NEW_AND_OLD_IMAGES")
    ddb.put_item(TableName=t, Item=item(pk="a", v=1))
    ddb.put_item(TableName=t, Item=item(pk="a", v=1))  # no change
    ddb.delete_item(TableName=t, Key=item(pk="ghost"))  # nothing to delete
    ddb.put_item(TableName=t, Item=item(pk="last"))
    recs = wait_records(streams, stream_arn(ddb, t), 2)
    assert [(r["eventName"], plain(r["dynamodb"]["Keys"])["pk"]) for r in recs] == [("INSERT", "a"), ("INSERT", "last")]


def test_batch_and_transaction_writes_emit_records(ddb, streams, make_table):
    t = make_table(stream="KEYS_ONLY")
    ddb.batch_write_item(RequestItems={t: [{"PutRequest": {"Item": item(pk=f"b{i}")}} for i in range(3)]})
    ddb.transact_write_items(TransactItems=[{"Put": {"TableName": t, "Item": item(pk="t1")}},
                                            {"Delete": {"TableName": t, "Key": item(pk="b0")}}])
    recs = wait_records(streams, stream_arn(ddb, t), 5)
    events = sorted((r["eventName"], plain(r["dynamodb"]["Keys"])["pk"]) for r in recs)
    assert events == [("INSERT", "b0"), ("INSERT", "b1"), ("INSERT", "b2"), ("INSERT", "t1"), ("REMOVE", "b0")]


def test_latest_iterator_sees_only_new_records(ddb, streams, make_table):
    t = make_table(stream="KEYS_ONLY")
    arn = stream_arn(ddb, t)
    ddb.put_item(TableName=t, Item=item(pk="before"))
    wait_records(streams, arn, 1)
    it = first_shard_iterator(streams, arn, "LATEST")
    ddb.put_item(TableName=t, Item=item(pk="after"))
    recs = read_from(streams, it)
    assert [plain(r["dynamodb"]["Keys"])["pk"] for r in recs] == ["after"]


def test_at_and_after_sequence_number(ddb, streams, make_table):
    t = make_table(stream="KEYS_ONLY")
    arn = stream_arn(ddb, t)
    for k in ("x", "y", "z"):
        ddb.put_item(TableName=t, Item=item(pk=k))
    recs = wait_records(streams, arn, 3)
    seq = recs[1]["dynamodb"]["SequenceNumber"]
    at = read_from(streams, first_shard_iterator(streams, arn, "AT_SEQUENCE_NUMBER", SequenceNumber=seq))
    assert [plain(r["dynamodb"]["Keys"])["pk"] for r in at] == ["y", "z"]
    after = read_from(streams, first_shard_iterator(streams, arn, "AFTER_SEQUENCE_NUMBER", SequenceNumber=seq))
    assert [plain(r["dynamodb"]["Keys"])["pk"] for r in after] == ["z"]


def test_sequence_number_iterator_requires_sequence_number(ddb, streams, make_table):
    t = make_table(stream="KEYS_ONLY")
    arn = stream_arn(ddb, t)
    code, _ = err(streams.get_shard_iterator, StreamArn=arn, ShardId=shard_ids(streams, arn)[0],
                  ShardIteratorType="AT_SEQUENCE_NUMBER")
    assert code == "ValidationException"


def test_get_records_limit_and_next_iterator(ddb, streams, make_table):
    t = make_table(stream="KEYS_ONLY")
    arn = stream_arn(ddb, t)
    for k in ("a", "b", "c"):
        ddb.put_item(TableName=t, Item=item(pk=k))
    wait_records(streams, arn, 3)
    it = first_shard_iterator(streams, arn, "TRIM_HORIZON")
    got = []
    for _ in range(3):
        r = streams.get_records(ShardIterator=it, Limit=1)
        assert len(r["Records"]) == 1
        got.append(plain(r["Records"][0]["dynamodb"]["Keys"])["pk"])
        it = r["NextShardIterator"]
    assert got == ["a", "b", "c"]
    assert streams.get_records(ShardIterator=it)["Records"] == []


def test_records_have_no_duplicates_across_reads(ddb, streams, make_table):
    t = make_table(stream="NEW_IMAGE")
    for i in range(10):
        ddb.put_item(TableName=t, Item=item(pk=f"k{i}", n=i))
    recs = wait_records(streams, stream_arn(ddb, t), 10)
    assert [plain(r["dynamodb"]["NewImage"])["n"] for r in recs] == list(range(10))


def test_invalid_shard_iterator(streams):
    code, _ = err(streams.get_records, ShardIterator="not-an-iterator" * 3)
    assert code in ("ValidationException", "ExpiredIteratorException", "ResourceNotFoundException")


# ---------------------------------------------------------------------------------------------
# Time to Live


def test_ttl_deletes_expired_item_with_service_identity(ddb, streams, make_table):
    t = make_table(stream="NEW_AND_OLD_IMAGES")
    r = ddb.update_time_to_live(TableName=t, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires"})
    assert r["TimeToLiveSpecification"] == {"Enabled": True, "AttributeName": "expires"}
    now = int(time.time())
    ddb.put_item(TableName=t, Item=item(pk="old", expires=now - 60))
    ddb.put_item(TableName=t, Item=item(pk="future", expires=now + 3600))
    ddb.put_item(TableName=t, Item=item(pk="text", expires=str(now - 60)))  # not a number: never expires
    ddb.put_item(TableName=t, Item=item(pk="none"))

    deadline = time.monotonic() + 30
    while "Item" in ddb.get_item(TableName=t, Key=item(pk="old"), ConsistentRead=True):
        assert time.monotonic() < deadline, "the expired item was not deleted within 30 s"
        time.sleep(0.5)
    for k in ("future", "text", "none"):
        assert "Item" in ddb.get_item(TableName=t, Key=item(pk=k), ConsistentRead=True), k

    recs = wait_records(streams, stream_arn(ddb, t), 5)
    removes = [r for r in recs if r["eventName"] == "REMOVE"]
    assert len(removes) == 1
    rem = removes[0]
    assert rem["dynamodb"]["Keys"] == {"pk": {"S": "old"}}
    assert plain(rem["dynamodb"]["OldImage"]) == {"pk": "old", "expires": now - 60}
    assert rem["userIdentity"] == {"Type": "Service", "PrincipalId": "dynamodb.amazonaws.com"}


def test_user_delete_has_no_service_identity(ddb, streams, make_table):
    t = make_table(stream="KEYS_ONLY")
    ddb.update_time_to_live(TableName=t, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires"})
    ddb.put_item(TableName=t, Item=item(pk="a", expires=int(time.time()) + 3600))
    ddb.delete_item(TableName=t, Key=item(pk="a"))
    recs = wait_records(streams, stream_arn(ddb, t), 2)
    assert recs[1]["eventName"] == "REMOVE" and "userIdentity" not in recs[1]


def test_ttl_disabled_keeps_expired_items(ddb, make_table):
    t = make_table()
    ddb.put_item(TableName=t, Item=item(pk="old", expires=int(time.time()) - 60))
    assert "Item" in ddb.get_item(TableName=t, Key=item(pk="old"), ConsistentRead=True)
    r = ddb.describe_time_to_live(TableName=t)["TimeToLiveDescription"]
    assert r["TimeToLiveStatus"] == "DISABLED"
