"""SQS with real clients: boto3 (both wire protocols) and the AWS CLI against a running Lamina.

Every boto3 test runs twice, through the `sqs` fixture:
  * "json": the default boto3 client (the JSON protocol, `X-Amz-Target: AmazonSQS.*`);
  * "query": the same botocore version with its SQS service model patched to protocol
    `query` (and each operation's output given its `<Op>Result` wrapper, as the query models
    before 2023 had). botocore then signs and sends form-encoded `Action=...` requests and
    parses the XML answers with its own query parser, exactly as older SDKs do. Patching the
    model (rather than hand-writing form requests) keeps botocore's serializer and parser as
    the oracle for both protocols. The patched model is written to a temporary data path that
    only this client's botocore session searches.

What a user does: create standard and FIFO queues with attributes, send (single, batch, with
attributes), receive with long polling, visibility and attribute selection, delete, change
visibility, redrive to a dead-letter queue and back with a move task, tag, permissions; and
what they see when they get it wrong.
"""
import copy
import gzip
import hashlib
import json
import os
import struct
import tempfile
import threading
import time
import uuid

import boto3
import botocore
import botocore.session
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import CREDS, REGION

_QUERY_DATA = None


def query_data_path():
    """A botocore data dir holding the SQS model switched to the query protocol."""
    global _QUERY_DATA
    if _QUERY_DATA is None:
        src = os.path.join(os.path.dirname(botocore.__file__), "data", "sqs", "2012-11-05", "service-2.json.gz")
        with gzip.open(src) as f:
            model = json.load(f)
        model = copy.deepcopy(model)
        model["metadata"]["protocol"] = "query"
        model["metadata"]["protocols"] = ["query"]
        for name, op in model["operations"].items():
            if "output" in op:
                op["output"]["resultWrapper"] = f"{name}Result"
        d = tempfile.mkdtemp(prefix="lamina-sqs-query-")
        os.makedirs(os.path.join(d, "sqs", "2012-11-05"))
        with open(os.path.join(d, "sqs", "2012-11-05", "service-2.json"), "w") as f:
            json.dump(model, f)
        _QUERY_DATA = d
    return _QUERY_DATA


def make_sqs(endpoint, protocol):
    session = botocore.session.Session()
    if protocol == "query":
        session.get_component("data_loader").search_paths.insert(0, query_data_path())
    c = boto3.Session(botocore_session=session).client(
        "sqs",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=CREDS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=CREDS["AWS_SECRET_ACCESS_KEY"],
        config=Config(retries={"max_attempts": 1}, read_timeout=30),
    )
    assert c.meta.service_model.protocol == protocol
    return c


@pytest.fixture(params=["json", "query"])
def sqs(request, endpoint):
    return make_sqs(endpoint, request.param)


@pytest.fixture
def name():
    return f"q{uuid.uuid4().hex[:12]}"


def error_of(excinfo):
    err = excinfo.value.response["Error"]
    return err["Code"], err.get("Message", "")


def md5_of_attributes(attrs):
    """The digest as the Java SDK verifies it."""
    buf = b""
    for k in sorted(attrs):
        v = attrs[k]
        buf += struct.pack(">I", len(k.encode())) + k.encode()
        buf += struct.pack(">I", len(v["DataType"].encode())) + v["DataType"].encode()
        if "StringValue" in v:
            buf += b"\x01" + struct.pack(">I", len(v["StringValue"].encode())) + v["StringValue"].encode()
        else:
            buf += b"\x02" + struct.pack(">I", len(v["BinaryValue"])) + v["BinaryValue"]
    return hashlib.md5(buf).hexdigest()


def arn_of(sqs, url):
    return sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


# --- queues ---------------------------------------------------------------------------------


def test_create_defaults_url_and_attributes(sqs, name, endpoint):
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    assert url == f"{endpoint}/000000000000/{name}"
    assert sqs.get_queue_url(QueueName=name)["QueueUrl"] == url
    a = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert a["VisibilityTimeout"] == "30"
    assert a["MessageRetentionPeriod"] == "345600"
    assert a["MaximumMessageSize"] == "1048576"
    assert a["DelaySeconds"] == "0" and a["ReceiveMessageWaitTimeSeconds"] == "0"
    assert a["QueueArn"] == f"arn:aws:sqs:us-east-1:000000000000:{name}"
    assert a["ApproximateNumberOfMessages"] == "0"
    assert int(a["CreatedTimestamp"]) > 1_600_000_000
    only = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["VisibilityTimeout"])["Attributes"]
    assert only == {"VisibilityTimeout": "30"}


def test_create_same_attributes_returns_url_different_fails(sqs, name):
    url = sqs.create_queue(QueueName=name, Attributes={"VisibilityTimeout": "5"})["QueueUrl"]
    assert sqs.create_queue(QueueName=name, Attributes={"VisibilityTimeout": "5"})["QueueUrl"] == url
    with pytest.raises(ClientError) as e:
        sqs.create_queue(QueueName=name, Attributes={"VisibilityTimeout": "6"})
    assert error_of(e) == ("QueueAlreadyExists",
                           "A queue already exists with the same name and a different value for attribute VisibilityTimeout")


@pytest.mark.parametrize("attr,value", [
    ("VisibilityTimeout", "43201"), ("MessageRetentionPeriod", "59"), ("DelaySeconds", "901"),
    ("MaximumMessageSize", "1023"), ("ReceiveMessageWaitTimeSeconds", "21"), ("VisibilityTimeout", "x"),
])
def test_create_rejects_out_of_range_attributes(sqs, name, attr, value):
    with pytest.raises(ClientError) as e:
        sqs.create_queue(QueueName=name, Attributes={attr: value})
    assert error_of(e) == ("InvalidAttributeValue", f"Invalid value for the parameter {attr}.")


def test_bad_names_and_fifo_attributes_on_standard(sqs, name):
    with pytest.raises(ClientError) as e:
        sqs.create_queue(QueueName="bad name!")
    assert error_of(e)[0] == "InvalidParameterValue"
    with pytest.raises(ClientError) as e:
        sqs.create_queue(QueueName=name + ".fifo")
    assert error_of(e)[0] == "InvalidParameterValue"
    with pytest.raises(ClientError) as e:
        sqs.create_queue(QueueName=name, Attributes={"ContentBasedDeduplication": "true"})
    assert error_of(e) == ("InvalidAttributeName", "Unknown Attribute ContentBasedDeduplication.")


def test_get_url_of_missing_queue(sqs):
    with pytest.raises(ClientError) as e:
        sqs.get_queue_url(QueueName="does-not-exist-" + uuid.uuid4().hex[:6])
    # the query protocol's code: SQS's JSON answers carry it in x-amzn-query-error, and SDKs
    # report it on both protocols, as they do against AWS
    assert error_of(e) == ("AWS.SimpleQueueService.NonExistentQueue", "The specified queue does not exist.")


def test_list_queues_prefix_and_pages(sqs, name):
    for i in range(5):
        sqs.create_queue(QueueName=f"{name}-{i}")
    urls = sqs.list_queues(QueueNamePrefix=name)["QueueUrls"]
    assert [u.rsplit("/", 1)[1] for u in urls] == [f"{name}-{i}" for i in range(5)]
    seen, token = [], None
    while True:
        kw = {"QueueNamePrefix": name, "MaxResults": 2}
        if token:
            kw["NextToken"] = token
        r = sqs.list_queues(**kw)
        seen += r.get("QueueUrls", [])
        token = r.get("NextToken")
        if not token:
            break
    assert seen == urls
    with pytest.raises(ClientError) as e:
        sqs.list_queues(MaxResults=1001)
    assert error_of(e)[0] == "InvalidParameterValue"


def test_set_attributes_delete_and_purge(sqs, name):
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    before = int(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["LastModifiedTimestamp"])["Attributes"]["LastModifiedTimestamp"])
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": "7", "DelaySeconds": "1"})
    a = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert (a["VisibilityTimeout"], a["DelaySeconds"]) == ("7", "1")
    assert int(a["LastModifiedTimestamp"]) >= before
    sqs.send_message(QueueUrl=url, MessageBody="x")
    a = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessagesDelayed"])["Attributes"]
    assert a["ApproximateNumberOfMessagesDelayed"] == "1"
    sqs.purge_queue(QueueUrl=url)
    with pytest.raises(ClientError) as e:
        sqs.purge_queue(QueueUrl=url)
    assert error_of(e) == ("AWS.SimpleQueueService.PurgeQueueInProgress",
                           f"Only one PurgeQueue operation on {name} is allowed every 60 seconds.")
    a = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert a["ApproximateNumberOfMessagesDelayed"] == "0"
    sqs.delete_queue(QueueUrl=url)
    with pytest.raises(ClientError) as e:
        sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])
    assert error_of(e)[1] == "The specified queue does not exist."


def test_create_after_delete_within_60_seconds(sqs, name):
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    sqs.delete_queue(QueueUrl=url)
    with pytest.raises(ClientError) as e:
        sqs.create_queue(QueueName=name)
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert error_of(e) == ("AWS.SimpleQueueService.QueueDeletedRecently",
                           "You must wait 60 seconds after deleting a queue before you can create another with the same name.")
    if sqs.meta.service_model.protocol == "json":
        # __type names the shape, x-amzn-query-error carries the query code: botocore maps
        # the exception class from the former and reports the latter as the code
        assert e.value.response["Error"]["QueryErrorCode"] == "QueueDeletedRecently"
        assert e.value.response["ResponseMetadata"]["HTTPHeaders"]["x-amzn-query-error"] == \
            "AWS.SimpleQueueService.QueueDeletedRecently;Sender"
        assert isinstance(e.value, sqs.exceptions.QueueDeletedRecently)
    # nothing was created, and the delete of a deleted queue says it does not exist
    with pytest.raises(ClientError) as e:
        sqs.get_queue_url(QueueName=name)
    assert error_of(e)[0] == "AWS.SimpleQueueService.NonExistentQueue"
    with pytest.raises(ClientError) as e:
        sqs.delete_queue(QueueUrl=url)
    assert error_of(e)[0] == "AWS.SimpleQueueService.NonExistentQueue"
    sqs.create_queue(QueueName=name + "-other")


def test_create_with_every_settable_attribute(sqs, name):
    dlq = sqs.create_queue(QueueName=name + "-dlq", Attributes={
        "RedriveAllowPolicy": json.dumps({"redrivePermission": "allowAll"})})["QueueUrl"]
    dlq_arn = arn_of(sqs, dlq)
    attrs = {
        "VisibilityTimeout": "45", "MessageRetentionPeriod": "120", "DelaySeconds": "3",
        "MaximumMessageSize": "2048", "ReceiveMessageWaitTimeSeconds": "2",
        "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 4}),
        "KmsMasterKeyId": "alias/aws/sqs", "KmsDataKeyReusePeriodSeconds": "600",
    }
    url = sqs.create_queue(QueueName=name, Attributes=attrs)["QueueUrl"]
    a = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    for k, v in attrs.items():
        if k == "RedrivePolicy":
            assert json.loads(a[k]) == {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 4}
        else:
            assert a[k] == v, k
    assert json.loads(sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["RedriveAllowPolicy"])
                      ["Attributes"]["RedriveAllowPolicy"]) == {"redrivePermission": "allowAll"}
    # FIFO-only attributes: high-throughput mode
    f = sqs.create_queue(QueueName=name + ".fifo", Attributes={
        "FifoQueue": "true", "DeduplicationScope": "messageGroup",
        "FifoThroughputLimit": "perMessageGroupId", "ContentBasedDeduplication": "true"})["QueueUrl"]
    a = sqs.get_queue_attributes(QueueUrl=f, AttributeNames=["All"])["Attributes"]
    assert (a["DeduplicationScope"], a["FifoThroughputLimit"], a["ContentBasedDeduplication"]) == \
        ("messageGroup", "perMessageGroupId", "true")
    with pytest.raises(ClientError) as e:
        sqs.set_queue_attributes(QueueUrl=f, Attributes={"FifoThroughputLimit": "perSomething"})
    assert error_of(e) == ("InvalidAttributeValue", "Invalid value for the parameter FifoThroughputLimit.")
    # the queue's ReceiveMessageWaitTimeSeconds makes a plain receive a long poll
    t0 = time.monotonic()
    assert "Messages" not in sqs.receive_message(QueueUrl=url)
    assert time.monotonic() - t0 >= 1.8


def test_attribute_name_errors(sqs, name):
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    with pytest.raises(ClientError) as e:
        sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Bogus"])
    assert error_of(e) == ("InvalidAttributeName", "Unknown Attribute Bogus.")
    with pytest.raises(ClientError) as e:
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"QueueArn": "x"})
    assert error_of(e)[0] == "InvalidAttributeName"
    with pytest.raises(ClientError) as e:
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"Bogus": "1"})
    assert error_of(e) == ("InvalidAttributeName", "Unknown Attribute Bogus.")
    # nothing changed
    assert sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["VisibilityTimeout"])["Attributes"] == \
        {"VisibilityTimeout": "30"}


def test_tags_and_permissions(sqs, name):
    url = sqs.create_queue(QueueName=name, tags={"team": "a"})["QueueUrl"]
    sqs.tag_queue(QueueUrl=url, Tags={"env": "dev", "team": "b"})
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"team": "b", "env": "dev"}
    sqs.untag_queue(QueueUrl=url, TagKeys=["team"])
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"env": "dev"}

    sqs.add_permission(QueueUrl=url, Label="l1", AWSAccountIds=["111122223333"], Actions=["SendMessage"])
    policy = json.loads(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"])["Attributes"]["Policy"])
    st = policy["Statement"][0]
    assert st["Sid"] == "l1" and st["Action"] == "SQS:SendMessage"
    assert st["Principal"] == {"AWS": "arn:aws:iam::111122223333:root"}
    with pytest.raises(ClientError) as e:
        sqs.add_permission(QueueUrl=url, Label="l1", AWSAccountIds=["111122223333"], Actions=["*"])
    assert error_of(e)[0] == "InvalidParameterValue"
    sqs.remove_permission(QueueUrl=url, Label="l1")
    assert "Policy" not in sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"]).get("Attributes", {})
    with pytest.raises(ClientError) as e:
        sqs.remove_permission(QueueUrl=url, Label="l1")
    assert error_of(e)[0] == "InvalidParameterValue"


# --- messages -------------------------------------------------------------------------------


def test_send_receive_delete_with_digests(sqs, name):
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    attrs = {
        "color": {"DataType": "String", "StringValue": "blue"},
        "n": {"DataType": "Number", "StringValue": "42"},
        "raw": {"DataType": "Binary", "BinaryValue": b"\x00\xff"},
        "c": {"DataType": "String.custom", "StringValue": "✓"},
    }
    body = "hello ✓ 𝄞"
    r = sqs.send_message(QueueUrl=url, MessageBody=body, MessageAttributes=attrs,
                         MessageSystemAttributes={"AWSTraceHeader": {"DataType": "String", "StringValue": "Root=1-abc"}})
    assert r["MD5OfMessageBody"] == hashlib.md5(body.encode()).hexdigest()
    assert r["MD5OfMessageAttributes"] == md5_of_attributes(attrs)
    assert r["MD5OfMessageSystemAttributes"] == md5_of_attributes({"AWSTraceHeader": {"DataType": "String", "StringValue": "Root=1-abc"}})
    uuid.UUID(r["MessageId"])

    m = sqs.receive_message(QueueUrl=url, MessageAttributeNames=["All"],
                            MessageSystemAttributeNames=["All"])["Messages"][0]
    assert m["Body"] == body and m["MessageId"] == r["MessageId"]
    assert m["MD5OfBody"] == r["MD5OfMessageBody"]
    assert m["MessageAttributes"] == attrs
    assert m["MD5OfMessageAttributes"] == md5_of_attributes(attrs)
    a = m["Attributes"]
    assert a["ApproximateReceiveCount"] == "1" and a["SenderId"] == "000000000000"
    assert a["AWSTraceHeader"] == "Root=1-abc"
    assert int(a["SentTimestamp"]) <= int(a["ApproximateFirstReceiveTimestamp"])
    sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    # a handle of an already-deleted message succeeds, as on AWS
    sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    assert "Messages" not in sqs.receive_message(QueueUrl=url)


def test_message_attribute_name_filters(sqs, name):
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    attrs = {k: {"DataType": "String", "StringValue": k} for k in ("a.x", "a.y", "b")}
    sqs.send_message(QueueUrl=url, MessageBody="x", MessageAttributes=attrs)
    m = sqs.receive_message(QueueUrl=url, MessageAttributeNames=["a.*"], MessageSystemAttributeNames=["SentTimestamp"])["Messages"][0]
    assert set(m["MessageAttributes"]) == {"a.x", "a.y"}
    assert m["MD5OfMessageAttributes"] == md5_of_attributes({k: attrs[k] for k in ("a.x", "a.y")})
    assert set(m["Attributes"]) == {"SentTimestamp"}


def test_send_errors(sqs, name):
    url = sqs.create_queue(QueueName=name, Attributes={"MaximumMessageSize": "1024"})["QueueUrl"]
    with pytest.raises(ClientError) as e:
        sqs.send_message(QueueUrl=url, MessageBody="x" * 1025)
    assert error_of(e) == ("InvalidParameterValue",
                           "One or more parameters are invalid. Reason: Message must be shorter than 1024 bytes.")
    with pytest.raises(ClientError) as e:
        sqs.send_message(QueueUrl=url, MessageBody="a\x01b")
    code, msg = error_of(e)
    assert code == "InvalidMessageContents" and msg.startswith("Invalid characters found.")
    for bad in ({"AWS.x": {"DataType": "String", "StringValue": "v"}},
                {"a": {"DataType": "Strung", "StringValue": "v"}},
                {"a": {"DataType": "Number", "StringValue": "nan-ish"}},
                {f"k{i}": {"DataType": "String", "StringValue": "v"} for i in range(11)}):
        with pytest.raises(ClientError) as e:
            sqs.send_message(QueueUrl=url, MessageBody="x", MessageAttributes=bad)
        assert error_of(e)[0] == "InvalidParameterValue", bad
    with pytest.raises(ClientError) as e:
        sqs.send_message(QueueUrl=url, MessageBody="x", DelaySeconds=901)
    assert error_of(e)[0] == "InvalidParameterValue"


def test_per_message_delay(sqs, name):
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="later", DelaySeconds=1)
    sqs.send_message(QueueUrl=url, MessageBody="now")
    a = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert (a["ApproximateNumberOfMessages"], a["ApproximateNumberOfMessagesDelayed"]) == ("1", "1")
    assert [m["Body"] for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]] == ["now"]
    time.sleep(1.1)
    assert [m["Body"] for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]] == ["later"]


def test_errors_on_missing_queues_and_foreign_or_deleted_handles(sqs, name):
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    other = sqs.create_queue(QueueName=name + "-other")["QueueUrl"]
    missing = url + "-missing"
    for call in (lambda: sqs.send_message(QueueUrl=missing, MessageBody="x"),
                 lambda: sqs.receive_message(QueueUrl=missing),
                 lambda: sqs.purge_queue(QueueUrl=missing)):
        with pytest.raises(ClientError) as e:
            call()
        assert error_of(e) == ("AWS.SimpleQueueService.NonExistentQueue", "The specified queue does not exist.")
    sqs.send_message(QueueUrl=url, MessageBody="x")
    m = sqs.receive_message(QueueUrl=url)["Messages"][0]
    # a handle of another queue's message
    with pytest.raises(ClientError) as e:
        sqs.delete_message(QueueUrl=other, ReceiptHandle=m["ReceiptHandle"])
    assert error_of(e) == ("ReceiptHandleIsInvalid",
                           f'The input receipt handle "{m["ReceiptHandle"]}" is not a valid receipt handle.')
    sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    # the handle of a deleted message: DeleteMessage succeeds, ChangeMessageVisibility does not
    sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    with pytest.raises(ClientError) as e:
        sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"], VisibilityTimeout=5)
    assert error_of(e) == ("InvalidParameterValue",
                           f"Value {m['ReceiptHandle']} for parameter ReceiptHandle is invalid. Reason: "
                           "Message does not exist or is not available for visibility timeout change.")
    r = sqs.change_message_visibility_batch(QueueUrl=url, Entries=[
        {"Id": "gone", "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": 5}])
    assert [(f["Id"], f["Code"], f["SenderFault"]) for f in r["Failed"]] == [("gone", "InvalidParameterValue", True)]
    # FIFO parameters on a standard queue
    with pytest.raises(ClientError) as e:
        sqs.send_message(QueueUrl=url, MessageBody="x", MessageDeduplicationId="d")
    assert error_of(e) == ("InvalidParameterValue",
                           "Value d for parameter MessageDeduplicationId is invalid. Reason: "
                           "The request include parameter that is not valid for this queue type.")


def test_one_mebibyte_message_by_default(sqs, name):
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="x" * 1_048_576)
    with pytest.raises(ClientError) as e:
        sqs.send_message(QueueUrl=url, MessageBody="x" * 1_048_577)
    assert error_of(e)[1].endswith("Message must be shorter than 1048576 bytes.")


def test_batches(sqs, name):
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    r = sqs.send_message_batch(QueueUrl=url, Entries=[
        {"Id": "ok1", "MessageBody": "one"},
        {"Id": "bad", "MessageBody": "two", "DelaySeconds": 1000},
        {"Id": "ok2", "MessageBody": "three", "MessageAttributes": {"a": {"DataType": "String", "StringValue": "b"}}},
    ])
    assert [s["Id"] for s in r["Successful"]] == ["ok1", "ok2"]
    assert r["Successful"][1]["MD5OfMessageAttributes"] == md5_of_attributes({"a": {"DataType": "String", "StringValue": "b"}})
    assert r["Failed"] == [{"Id": "bad", "SenderFault": True, "Code": "InvalidParameterValue",
                            "Message": "Value 1000 for parameter DelaySeconds is invalid. Reason: DelaySeconds must be >= 0 and <= 900"}]
    for entries, code in [
        ([], "EmptyBatchRequest"),
        ([{"Id": f"i{i}", "MessageBody": "x"} for i in range(11)], "TooManyEntriesInBatchRequest"),
        ([{"Id": "same", "MessageBody": "x"}, {"Id": "same", "MessageBody": "y"}], "BatchEntryIdsNotDistinct"),
        ([{"Id": "bad id!", "MessageBody": "x"}], "InvalidBatchEntryId"),
        ([{"Id": f"b{i}", "MessageBody": "x" * 300_000} for i in range(4)], "BatchRequestTooLong"),
    ]:
        with pytest.raises(ClientError) as e:
            sqs.send_message_batch(QueueUrl=url, Entries=entries)
        assert error_of(e)[0] == "AWS.SimpleQueueService." + code, (code, error_of(e))

    msgs = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0)["Messages"]
    assert sorted(m["Body"] for m in msgs) == ["one", "three"]
    msgs = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    d = sqs.delete_message_batch(QueueUrl=url, Entries=[
        {"Id": f"d{i}", "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(msgs)
    ] + [{"Id": "junk", "ReceiptHandle": "not-a-handle"}])
    assert sorted(s["Id"] for s in d["Successful"]) == ["d0", "d1"]
    assert d["Failed"][0]["Id"] == "junk" and d["Failed"][0]["Code"] == "ReceiptHandleIsInvalid"


def test_receive_validation_and_bad_handles(sqs, name):
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    with pytest.raises(ClientError) as e:
        sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=11)
    assert error_of(e)[0] == "InvalidParameterValue"
    with pytest.raises(ClientError) as e:
        sqs.delete_message(QueueUrl=url, ReceiptHandle="x")
    assert error_of(e) == ("ReceiptHandleIsInvalid", 'The input receipt handle "x" is not a valid receipt handle.')


def test_long_polling_wakes_on_send(sqs, name, endpoint):
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    other = make_sqs(endpoint, "json")
    threading.Timer(0.5, lambda: other.send_message(QueueUrl=url, MessageBody="wake")).start()
    t0 = time.monotonic()
    r = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=5)
    elapsed = time.monotonic() - t0
    assert r["Messages"][0]["Body"] == "wake"
    assert 0.4 <= elapsed < 1.5, elapsed
    t0 = time.monotonic()
    assert "Messages" not in sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1)
    assert time.monotonic() - t0 >= 0.9


def test_visibility_timeout_and_change_visibility(sqs, name):
    url = sqs.create_queue(QueueName=name, Attributes={"VisibilityTimeout": "1"})["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="v")
    first = sqs.receive_message(QueueUrl=url)["Messages"][0]
    assert "Messages" not in sqs.receive_message(QueueUrl=url)
    a = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert (a["ApproximateNumberOfMessages"], a["ApproximateNumberOfMessagesNotVisible"]) == ("0", "1")
    time.sleep(1.2)
    second = sqs.receive_message(QueueUrl=url, MessageSystemAttributeNames=["ApproximateReceiveCount"])["Messages"][0]
    assert second["Attributes"]["ApproximateReceiveCount"] == "2"
    assert second["ReceiptHandle"] != first["ReceiptHandle"]
    with pytest.raises(ClientError) as e:
        sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=first["ReceiptHandle"], VisibilityTimeout=10)
    assert error_of(e)[0] == "InvalidParameterValue"
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=second["ReceiptHandle"], VisibilityTimeout=0)
    third = sqs.receive_message(QueueUrl=url, VisibilityTimeout=30)["Messages"][0]
    r = sqs.change_message_visibility_batch(QueueUrl=url, Entries=[
        {"Id": "a", "ReceiptHandle": third["ReceiptHandle"], "VisibilityTimeout": 0}])
    assert [s["Id"] for s in r["Successful"]] == ["a"]
    with pytest.raises(ClientError) as e:
        sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=third["ReceiptHandle"], VisibilityTimeout=5)
    assert error_of(e) == ("AWS.SimpleQueueService.MessageNotInflight",
                           "Message does not exist or is not available for visibility timeout change.")


def test_redrive_to_dlq_and_move_task_back(sqs, name):
    dlq = sqs.create_queue(QueueName=name + "-dlq")["QueueUrl"]
    dlq_arn = arn_of(sqs, dlq)
    with pytest.raises(ClientError) as e:
        sqs.create_queue(QueueName=name + "-x", Attributes={"RedrivePolicy": json.dumps(
            {"deadLetterTargetArn": dlq_arn + "nope", "maxReceiveCount": 2})})
    assert error_of(e)[0] == "InvalidParameterValue"
    src = sqs.create_queue(QueueName=name, Attributes={
        "VisibilityTimeout": "0",
        "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 2})})["QueueUrl"]
    src_arn = arn_of(sqs, src)
    assert sqs.list_dead_letter_source_queues(QueueUrl=dlq)["queueUrls"] == [src]
    sqs.send_message(QueueUrl=src, MessageBody="poison")
    for _ in range(2):
        assert sqs.receive_message(QueueUrl=src)["Messages"][0]["Body"] == "poison"
    assert "Messages" not in sqs.receive_message(QueueUrl=src)  # the third receive moved it
    m = sqs.receive_message(QueueUrl=dlq, MessageSystemAttributeNames=["All"], VisibilityTimeout=0)["Messages"][0]
    assert m["Body"] == "poison"
    assert m["Attributes"]["DeadLetterQueueSourceArn"] == src_arn

    with pytest.raises(ClientError) as e:
        sqs.start_message_move_task(SourceArn=src_arn)
    assert error_of(e)[0] == "InvalidParameterValue"
    handle = sqs.start_message_move_task(SourceArn=dlq_arn, MaxNumberOfMessagesPerSecond=10)["TaskHandle"]
    assert handle
    deadline = time.monotonic() + 10
    while True:
        t = sqs.list_message_move_tasks(SourceArn=dlq_arn)["Results"][0]
        if t["Status"] != "RUNNING" or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert t["Status"] == "COMPLETED" and t["ApproximateNumberOfMessagesMoved"] == 1
    assert t["MaxNumberOfMessagesPerSecond"] == 10
    back = sqs.receive_message(QueueUrl=src, MessageSystemAttributeNames=["ApproximateReceiveCount"])["Messages"][0]
    assert back["Body"] == "poison" and back["Attributes"]["ApproximateReceiveCount"] == "1"
    with pytest.raises(ClientError) as e:
        sqs.cancel_message_move_task(TaskHandle=handle)
    assert error_of(e)[0] == "ResourceNotFoundException"


def test_cancel_a_running_move_task(sqs, name):
    dlq = sqs.create_queue(QueueName=name + "-dlq")["QueueUrl"]
    dlq_arn = arn_of(sqs, dlq)
    src = sqs.create_queue(QueueName=name, Attributes={
        "VisibilityTimeout": "0",
        "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 1})})["QueueUrl"]
    for i in range(0, 20, 10):
        sqs.send_message_batch(QueueUrl=src, Entries=[{"Id": f"m{j}", "MessageBody": f"m{j}"} for j in range(i, i + 10)])
    # receive each once (maxReceiveCount 1); the next receive moves them to the DLQ
    deadline = time.monotonic() + 20
    while int(sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["ApproximateNumberOfMessages"])
              ["Attributes"]["ApproximateNumberOfMessages"]) < 20 and time.monotonic() < deadline:
        sqs.receive_message(QueueUrl=src, MaxNumberOfMessages=10)
    assert sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["ApproximateNumberOfMessages"])["Attributes"] == \
        {"ApproximateNumberOfMessages": "20"}
    handle = sqs.start_message_move_task(SourceArn=dlq_arn, MaxNumberOfMessagesPerSecond=1)["TaskHandle"]
    # one task per source at a time
    with pytest.raises(ClientError) as e:
        sqs.start_message_move_task(SourceArn=dlq_arn)
    assert error_of(e) == ("AWS.SimpleQueueService.UnsupportedOperation",
                           "There is already a task running. Only one active task is allowed for a source queue arn at a given time.")
    time.sleep(1.5)
    moved = sqs.cancel_message_move_task(TaskHandle=handle)["ApproximateNumberOfMessagesMoved"]
    assert 0 <= moved < 20
    deadline = time.monotonic() + 10
    while True:
        t = sqs.list_message_move_tasks(SourceArn=dlq_arn)["Results"][0]
        if t["Status"] in ("CANCELLED", "COMPLETED", "FAILED") or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert t["Status"] == "CANCELLED" and t["ApproximateNumberOfMessagesMoved"] < 20
    left = int(sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["ApproximateNumberOfMessages"])
               ["Attributes"]["ApproximateNumberOfMessages"])
    assert left + t["ApproximateNumberOfMessagesMoved"] == 20 and left > 0
    with pytest.raises(ClientError) as e:
        sqs.cancel_message_move_task(TaskHandle="not-a-task-handle")
    assert error_of(e)[0] == "ResourceNotFoundException"


# --- FIFO -----------------------------------------------------------------------------------


def test_fifo_order_groups_and_dedup(sqs, name):
    url = sqs.create_queue(QueueName=name + ".fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    a = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert (a["FifoQueue"], a["ContentBasedDeduplication"], a["DeduplicationScope"]) == ("true", "false", "queue")
    with pytest.raises(ClientError) as e:
        sqs.send_message(QueueUrl=url, MessageBody="x", MessageDeduplicationId="d")
    assert error_of(e) == ("MissingParameter", "The request must contain the parameter MessageGroupId.")
    with pytest.raises(ClientError) as e:
        sqs.send_message(QueueUrl=url, MessageBody="x", MessageGroupId="g")
    assert error_of(e) == ("InvalidParameterValue",
                           "The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly")
    with pytest.raises(ClientError) as e:
        sqs.send_message(QueueUrl=url, MessageBody="x", MessageGroupId="g", MessageDeduplicationId="d", DelaySeconds=1)
    assert error_of(e)[0] == "InvalidParameterValue"

    seqs = []
    for i in range(3):
        for g in ("A", "B"):
            r = sqs.send_message(QueueUrl=url, MessageBody=f"{g}{i}", MessageGroupId=g, MessageDeduplicationId=f"{g}{i}")
            seqs.append(int(r["SequenceNumber"]))
    assert seqs == sorted(seqs)
    dup = sqs.send_message(QueueUrl=url, MessageBody="A0 again", MessageGroupId="A", MessageDeduplicationId="A0")
    first = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"])["Messages"]
    assert [m["Body"] for m in first] == ["A0", "B0", "A1", "B1", "A2", "B2"]
    assert dup["MessageId"] == first[0]["MessageId"]
    assert first[0]["Attributes"]["MessageGroupId"] == "A"
    assert first[0]["Attributes"]["MessageDeduplicationId"] == "A0"
    assert "SequenceNumber" in first[0]["Attributes"]
    # both groups are in flight: nothing more until they are deleted or visible again
    sqs.send_message(QueueUrl=url, MessageBody="A3", MessageGroupId="A", MessageDeduplicationId="A3")
    assert "Messages" not in sqs.receive_message(QueueUrl=url)
    for m in first:
        if m["Body"].startswith("A"):
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    assert [m["Body"] for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]] == ["A3"]


def test_fifo_content_based_dedup(sqs, name):
    url = sqs.create_queue(QueueName=name + ".fifo", Attributes={
        "FifoQueue": "true", "ContentBasedDeduplication": "true"})["QueueUrl"]
    a = sqs.send_message(QueueUrl=url, MessageBody="same", MessageGroupId="g")
    b = sqs.send_message(QueueUrl=url, MessageBody="same", MessageGroupId="g")
    assert a["MessageId"] == b["MessageId"]
    msgs = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, MessageSystemAttributeNames=["MessageDeduplicationId"])["Messages"]
    assert len(msgs) == 1
    assert msgs[0]["Attributes"]["MessageDeduplicationId"] == hashlib.sha256(b"same").hexdigest()


def test_fifo_receive_request_attempt_id(sqs, name):
    url = sqs.create_queue(QueueName=name + ".fifo", Attributes={
        "FifoQueue": "true", "ContentBasedDeduplication": "true"})["QueueUrl"]
    for g, body in (("a", "a1"), ("b", "b1"), ("a", "a2")):
        sqs.send_message(QueueUrl=url, MessageBody=body, MessageGroupId=g)

    def got(r):
        return [(m["MessageId"], m["Body"], m["ReceiptHandle"]) for m in r.get("Messages", [])]

    first = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=2,
                                ReceiveRequestAttemptId="attempt-1")
    assert [b for _, b, _ in got(first)] == ["a1", "b1", "a2"]
    # the retry (a lost response) returns the same messages and receipt handles
    again = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=2,
                                ReceiveRequestAttemptId="attempt-1")
    assert got(again) == got(first)
    # another attempt id is a new receive: both groups are in flight
    assert "Messages" not in sqs.receive_message(QueueUrl=url, ReceiveRequestAttemptId="attempt-2")
    # a retry resets the visibility timeout: after the first 2 s the messages are still hidden
    time.sleep(1.2)
    assert got(sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=2,
                                   ReceiveRequestAttemptId="attempt-1")) == got(first)
    time.sleep(1.2)
    assert "Messages" not in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)
    # once one of its messages is deleted, the attempt is no longer retryable
    sqs.delete_message(QueueUrl=url, ReceiptHandle=got(first)[1][2])
    with pytest.raises(ClientError) as e:
        sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, ReceiveRequestAttemptId="attempt-1")
    assert error_of(e) == ("InvalidParameterValue",
                           "Value attempt-1 for parameter ReceiveRequestAttemptId is invalid. Reason: "
                           "The receiveRequestAttemptId is not valid anymore since the receive call is not retryable.")
    with pytest.raises(ClientError) as e:
        sqs.receive_message(QueueUrl=url, ReceiveRequestAttemptId="bad attempt id")
    assert error_of(e)[0] == "InvalidParameterValue"


def test_fifo_receive_request_attempt_id_after_visibility_change(sqs, name):
    url = sqs.create_queue(QueueName=name + ".fifo", Attributes={
        "FifoQueue": "true", "ContentBasedDeduplication": "true"})["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="m", MessageGroupId="g")
    m = sqs.receive_message(QueueUrl=url, ReceiveRequestAttemptId="x1")["Messages"][0]
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"], VisibilityTimeout=60)
    with pytest.raises(ClientError) as e:
        sqs.receive_message(QueueUrl=url, ReceiveRequestAttemptId="x1")
    assert error_of(e)[0] == "InvalidParameterValue"
    # on a standard queue the parameter changes nothing (it applies only to FIFO queues)
    std = sqs.create_queue(QueueName=name)["QueueUrl"]
    sqs.send_message(QueueUrl=std, MessageBody="s")
    assert sqs.receive_message(QueueUrl=std, ReceiveRequestAttemptId="y")["Messages"][0]["Body"] == "s"
    assert "Messages" not in sqs.receive_message(QueueUrl=std, ReceiveRequestAttemptId="y")


def test_receive_request_attempt_id_survives_a_restart(lamina_server, tmp_path):
    server = lamina_server(data_dir=tmp_path / "data")
    sqs = make_sqs(server.url, "json")
    url = sqs.create_queue(QueueName="att.fifo", Attributes={
        "FifoQueue": "true", "ContentBasedDeduplication": "true"})["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="durable", MessageGroupId="g")
    first = sqs.receive_message(QueueUrl=url, ReceiveRequestAttemptId="r1", VisibilityTimeout=60)["Messages"][0]
    server.kill()
    server = lamina_server(data_dir=tmp_path / "data")
    sqs = make_sqs(server.url, "json")
    url = sqs.get_queue_url(QueueName="att.fifo")["QueueUrl"]
    again = sqs.receive_message(QueueUrl=url, ReceiveRequestAttemptId="r1")["Messages"][0]
    assert (again["MessageId"], again["ReceiptHandle"]) == (first["MessageId"], first["ReceiptHandle"])
    sqs.delete_message(QueueUrl=url, ReceiptHandle=again["ReceiptHandle"])
    assert "Messages" not in sqs.receive_message(QueueUrl=url)


# --- the AWS CLI ----------------------------------------------------------------------------


def test_cli_round_trip(aws, name):
    # The CLI's bundled botocore resolves SQS to its legacy global endpoint rather than
    # AWS_ENDPOINT_URL, so the endpoint is passed explicitly, as users of local clouds do.
    ep = ("--endpoint-url", aws.endpoint)
    url = aws("sqs", "create-queue", "--queue-name", name, *ep)["QueueUrl"]
    assert url.endswith(f"/000000000000/{name}")
    sent = aws("sqs", "send-message", "--queue-url", url, "--message-body", "from the cli", *ep)
    assert sent["MD5OfMessageBody"] == hashlib.md5(b"from the cli").hexdigest()
    got = aws("sqs", "receive-message", "--queue-url", url, "--wait-time-seconds", "1", *ep)["Messages"][0]
    assert got["Body"] == "from the cli"
    aws("sqs", "delete-message", "--queue-url", url, "--receipt-handle", got["ReceiptHandle"], *ep)
    rc, _, err = aws.run("sqs", "get-queue-url", "--queue-name", name + "-missing", *ep)
    assert rc != 0 and "AWS.SimpleQueueService.NonExistentQueue" in err
    urls = aws("sqs", "list-queues", "--queue-name-prefix", name, *ep)["QueueUrls"]
    assert urls == [url]
