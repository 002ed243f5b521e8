"""Shared pieces of the DynamoDB data-plane compatibility suite (items, query, batch and
transactions, PartiQL, Streams and TTL).

Written from the DynamoDB API reference and developer guide: every test creates its own
uniquely named PAY_PER_REQUEST table(s) through `make_table` and the fixture deletes them at
the end. Tests import the fixtures they use from here (`from ddb_helpers import ...`).
"""
import json
import re
import time
import urllib.error
import urllib.request
import uuid
import zlib

import pytest
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from conftest import CREDS, REGION

KB = 1024
_SER = TypeSerializer()
_DESER = TypeDeserializer()

# The messages AWS returns for the most common mistakes (users search for them).
KEY_SCHEMA_MISMATCH = "The provided key element does not match the schema"
CONDITION_FAILED = "The conditional request failed"
NOT_FOUND = "Requested resource not found"


def unique(prefix="compat"):
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


# ---------------------------------------------------------------------------------------------
# Values

def av(value):
    """A Python value as a DynamoDB AttributeValue (str→S, int/Decimal→N, bytes→B, bool→BOOL,
    None→NULL, list→L, dict→M, set of str/int/bytes→SS/NS/BS)."""
    return _SER.serialize(value)


def item(**attrs):
    """item(pk="a", n=1) → {"pk": {"S": "a"}, "n": {"N": "1"}}."""
    return {k: av(v) for k, v in attrs.items()}


def plain(attrs):
    """An item (or key) in wire form as Python values (N → Decimal, SS → set, B → Binary)."""
    return {k: _DESER.deserialize(v) for k, v in attrs.items()}


def values(expr, pool):
    """The ExpressionAttributeValues an expression uses, taken from `pool` (DynamoDB rejects
    values the expression does not use)."""
    used = set(re.findall(r":[A-Za-z0-9_]+", expr))
    return {k: v for k, v in pool.items() if k in used}


# ---------------------------------------------------------------------------------------------
# Errors

def error_of(excinfo):
    err = excinfo.value.response["Error"]
    return err["Code"], err.get("Message", "")


def err(fn, **kw):
    """Calls fn(**kw), which must fail; returns (code, message)."""
    with pytest.raises(ClientError) as e:
        fn(**kw)
    return error_of(e)


def err_response(fn, **kw):
    """Calls fn(**kw), which must fail; returns the whole parsed error response."""
    with pytest.raises(ClientError) as e:
        fn(**kw)
    return e.value.response


# ---------------------------------------------------------------------------------------------
# Waiting without sleeping when nothing is pending

def eventually(check, timeout=5.0, interval=0.05):
    """Runs check() until it stops raising AssertionError (eventually consistent reads: GSIs,
    streams). Returns its result. Returns at once when the first try passes."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return check()
        except AssertionError:
            if time.monotonic() >= deadline:
                raise
        time.sleep(interval)


def wait_active(ddb, name, timeout=30.0):
    def ready():
        t = ddb.describe_table(TableName=name)["Table"]
        assert t["TableStatus"] == "ACTIVE", t["TableStatus"]
        for g in t.get("GlobalSecondaryIndexes", []):
            assert g["IndexStatus"] == "ACTIVE", g
        return t

    return eventually(ready, timeout=timeout, interval=0.1)


# ---------------------------------------------------------------------------------------------
# Tables

def index(name, hash_key, range_key=None, projection="ALL", non_key=None):
    """An index spec for make_table: hash_key/range_key are (name, type) pairs."""
    return {"name": name, "hash": hash_key, "range": range_key, "projection": projection,
            "non_key": non_key}


def _key_schema(hash_key, range_key):
    schema = [{"AttributeName": hash_key[0], "KeyType": "HASH"}]
    if range_key:
        schema.append({"AttributeName": range_key[0], "KeyType": "RANGE"})
    return schema


def _index_def(spec):
    projection = {"ProjectionType": spec["projection"]}
    if spec["non_key"]:
        projection["NonKeyAttributes"] = list(spec["non_key"])
    return {"IndexName": spec["name"], "KeySchema": _key_schema(spec["hash"], spec["range"]),
            "Projection": projection}


@pytest.fixture
def ddb(client):
    return client("dynamodb")


@pytest.fixture
def streams(client):
    return client("dynamodbstreams")


@pytest.fixture
def make_table(ddb):
    """make_table(hash_key=("pk","S"), range_key=None, gsis=(), lsis=(), stream=None) → the
    name of a new ACTIVE PAY_PER_REQUEST table, deleted after the test."""
    created = []

    def make(hash_key=("pk", "S"), range_key=None, gsis=(), lsis=(), stream=None):
        name = unique("ddb")
        defs = {}
        for spec in [{"hash": hash_key, "range": range_key}, *gsis, *lsis]:
            for k in (spec["hash"], spec["range"]):
                if k:
                    defs[k[0]] = k[1]
        kw = {
            "TableName": name,
            "KeySchema": _key_schema(hash_key, range_key),
            "AttributeDefinitions": [{"AttributeName": n, "AttributeType": t} for n, t in defs.items()],
            "BillingMode": "PAY_PER_REQUEST",
        }
        if gsis:
            kw["GlobalSecondaryIndexes"] = [_index_def(g) for g in gsis]
        if lsis:
            kw["LocalSecondaryIndexes"] = [_index_def(i) for i in lsis]
        if stream:
            kw["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": stream}
        ddb.create_table(**kw)
        created.append(name)
        wait_active(ddb, name)
        return name

    yield make
    for name in created:
        try:
            ddb.delete_table(TableName=name)
        except ClientError:
            pass


@pytest.fixture
def table(make_table):
    """A table with a hash key only: pk (S)."""
    return make_table()


@pytest.fixture
def sorted_table(make_table):
    """A table with pk (S) and a numeric sort key sk (N)."""
    return make_table(range_key=("sk", "N"))


@pytest.fixture
def missing_table():
    """A table name that does not exist."""
    return unique("missing")


# ---------------------------------------------------------------------------------------------
# Reading everything

def query_all(ddb, **kw):
    """Every item of a Query through the paginator."""
    return [i for page in ddb.get_paginator("query").paginate(**kw) for i in page.get("Items", [])]


def scan_all(ddb, **kw):
    return [i for page in ddb.get_paginator("scan").paginate(**kw) for i in page.get("Items", [])]


def put_items(ddb, table_name, items):
    for it in items:
        ddb.put_item(TableName=table_name, Item=it)


# ---------------------------------------------------------------------------------------------
# Raw HTTP (to see headers such as x-amz-crc32)

class RawResponse:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def json(self):
        return json.loads(self.body)


def raw_call(endpoint, operation, body, target_prefix="DynamoDB_20120810", service="dynamodb"):
    """POSTs a SigV4-signed JSON 1.0 request; returns RawResponse (also for 4xx/5xx)."""
    data = json.dumps(body).encode()
    headers = {"Content-Type": "application/x-amz-json-1.0",
               "X-Amz-Target": f"{target_prefix}.{operation}"}
    req = AWSRequest(method="POST", url=endpoint + "/", data=data, headers=headers)
    SigV4Auth(Credentials(CREDS["AWS_ACCESS_KEY_ID"], CREDS["AWS_SECRET_ACCESS_KEY"]),
              service, REGION).add_auth(req)
    prepared = req.prepare()
    raw = urllib.request.Request(prepared.url, data=data, headers=dict(prepared.headers.items()),
                                 method="POST")
    try:
        with urllib.request.urlopen(raw, timeout=30) as r:
            return RawResponse(r.status, r.headers, r.read())
    except urllib.error.HTTPError as e:
        return RawResponse(e.code, e.headers, e.read())


def crc32_of(body):
    return zlib.crc32(body) & 0xFFFFFFFF


# ---------------------------------------------------------------------------------------------
# Streams

def stream_arn(ddb, table_name):
    return ddb.describe_table(TableName=table_name)["Table"]["LatestStreamArn"]


def shard_ids(streams, arn):
    shards = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
    return [s["ShardId"] for s in shards]


def read_from(streams, iterator, max_calls=50):
    """GetRecords from an iterator until a call returns no records; returns the records."""
    out = []
    for _ in range(max_calls):
        if not iterator:
            break
        r = streams.get_records(ShardIterator=iterator)
        out.extend(r["Records"])
        if not r["Records"]:
            break
        iterator = r.get("NextShardIterator")
    return out


def read_stream(streams, arn):
    """Every record of every shard from TRIM_HORIZON, shard by shard."""
    records = []
    for shard in shard_ids(streams, arn):
        it = streams.get_shard_iterator(StreamArn=arn, ShardId=shard,
                                        ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        records.extend(read_from(streams, it))
    return records


def wait_records(streams, arn, count, timeout=10.0):
    """Polls until the stream holds at least `count` records; returns all of them."""
    def check():
        recs = read_stream(streams, arn)
        assert len(recs) >= count, f"{len(recs)} records, want {count}"
        return recs

    return eventually(check, timeout=timeout, interval=0.1)
