"""Lambda event source mappings for SQS, end to end with boto3 against a running Lamina.

What a user sees on AWS: CreateEventSourceMapping answers State "Creating" and the mapping
becomes "Enabled" (or "Disabled") shortly after; Lambda polls the queue, invokes the function
synchronously with batches of up to BatchSize records in AWS's SQS event shape, deletes the
messages of a successful batch, leaves a failed batch to reappear after the visibility
timeout, deletes everything except the reported `batchItemFailures` with
ReportBatchItemFailures, and deletes messages that no filter pattern matches without invoking.

The function is a Python handler built here with zipfile; it appends each event it receives
to its CloudWatch log (the test reads it back with FilterLogEvents), and its
MODE variable makes it succeed, raise, or report the records whose body contains "fail".
"""
import hashlib
import io
import json
import time
import uuid
import zipfile

import pytest
from botocore.exceptions import ClientError

from lambda_helpers import host_python_runtime, logged, poll

ROLE = "arn:aws:iam::000000000000:role/lamina-compat-esm"

HANDLER = '''
import json, os, time
def handler(event, context):
    mode = os.environ.get("MODE", "ok")
    started = time.time()
    if mode == "slow":
        time.sleep(1)
    print("SEEN " + json.dumps({"records": event["Records"], "mode": mode,
                                "start": started, "end": time.time()}))
    if mode == "raise":
        raise RuntimeError("boom")
    if mode == "partial":
        return {"batchItemFailures": [{"itemIdentifier": r["messageId"]}
                                      for r in event["Records"] if "fail" in r["body"]]}
    return {}
'''


def function_zip():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("handler.py", HANDLER)
    return buf.getvalue()


def unique(prefix):
    return f"esm-{prefix}-{uuid.uuid4().hex[:8]}"


class Env:
    """A queue, a function and the events it received (it prints them to its log)."""

    def __init__(self, lam, sqs, logs, mode="ok", queue_attrs=None):
        self.lam, self.sqs, self.logs = lam, sqs, logs
        self.name = unique("fn")
        self.queue_url = sqs.create_queue(QueueName=unique("q"), Attributes=queue_attrs or {})["QueueUrl"]
        self.queue_arn = sqs.get_queue_attributes(QueueUrl=self.queue_url, AttributeNames=["QueueArn"])[
            "Attributes"]["QueueArn"]
        lam.create_function(FunctionName=self.name, Runtime=host_python_runtime(), Role=ROLE,
                            Handler="handler.handler", Code={"ZipFile": function_zip()},
                            Environment={"Variables": {"MODE": mode}}, Timeout=10)
        poll(lambda: lam.get_function(FunctionName=self.name)["Configuration"]["State"] == "Active",
             what="function active")
        self.mappings = []

    def map(self, **kw):
        m = self.lam.create_event_source_mapping(EventSourceArn=self.queue_arn, FunctionName=self.name, **kw)
        self.mappings.append(m["UUID"])
        return m

    def wait_state(self, uuid_, state, timeout=10):
        return poll(lambda: (lambda m: m if m["State"] == state else None)(
            self.lam.get_event_source_mapping(UUID=uuid_)), timeout=timeout, what=f"mapping {state}")

    def events(self):
        return logged(self.logs, self.name)

    def bodies(self):
        return [r["body"] for e in self.events() for r in e["records"]]

    def depth(self):
        a = self.sqs.get_queue_attributes(
            QueueUrl=self.queue_url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
        return int(a["ApproximateNumberOfMessages"]) + int(a["ApproximateNumberOfMessagesNotVisible"])

    def cleanup(self):
        for u in self.mappings:
            try:
                self.lam.delete_event_source_mapping(UUID=u)
            except ClientError:
                pass
        self.lam.delete_function(FunctionName=self.name)
        self.sqs.delete_queue(QueueUrl=self.queue_url)


@pytest.fixture
def env(client):
    made = []

    def make(**kw):
        e = Env(client("lambda"), client("sqs"), client("logs"), **kw)
        made.append(e)
        return e

    yield make
    for e in made:
        e.cleanup()


def err(excinfo):
    e = excinfo.value.response["Error"]
    return e["Code"], e["Message"]


def test_mapping_lifecycle_and_errors(env):
    e = env()
    m = e.map()
    assert m["State"] == "Creating"
    assert m["BatchSize"] == 10 and m["MaximumBatchingWindowInSeconds"] == 0
    assert m["EventSourceArn"] == e.queue_arn
    assert m["FunctionArn"].endswith(f":function:{e.name}")
    assert m["StateTransitionReason"] == "USER_INITIATED"
    assert m["FunctionResponseTypes"] == []
    assert m["EventSourceMappingArn"].endswith(f":event-source-mapping:{m['UUID']}")
    assert m["ResponseMetadata"]["HTTPStatusCode"] == 202
    got = e.wait_state(m["UUID"], "Enabled")
    assert got["LastModified"].year >= 2024

    listed = e.lam.list_event_source_mappings(FunctionName=e.name)["EventSourceMappings"]
    assert [x["UUID"] for x in listed] == [m["UUID"]]
    listed = e.lam.list_event_source_mappings(EventSourceArn=e.queue_arn)["EventSourceMappings"]
    assert [x["UUID"] for x in listed] == [m["UUID"]]

    with pytest.raises(ClientError) as ex:
        e.map()
    assert err(ex) == ("ResourceConflictException",
                       f'An event source mapping with SQS arn (" {e.queue_arn} ") and function (" {e.name} ") '
                       f'already exists. Please update or delete the existing mapping with UUID {m["UUID"]}')
    lam = e.lam
    bad = [
        (dict(EventSourceArn=e.queue_arn, FunctionName=e.name, BatchSize=11),
         "Maximum batch window in seconds must be greater than 0 if maximum batch size is greater than 10"),
        (dict(EventSourceArn=e.queue_arn + "-missing", FunctionName=e.name),
         "Error occurred while ReceiveMessage. SQS Error Code: AWS.SimpleQueueService.NonExistentQueue. "
         "SQS Error Message: The specified queue does not exist for this wsdl version."),
        (dict(EventSourceArn=e.queue_arn, FunctionName=e.name + "-missing"), "Function does not exist"),
        (dict(EventSourceArn=e.queue_arn, FunctionName=e.name, FilterCriteria={"Filters": [{"Pattern": "{oops"}]}),
         "Invalid filter pattern definition."),
    ]
    for kw, message in bad:
        with pytest.raises(ClientError) as ex:
            lam.create_event_source_mapping(**kw)
        assert err(ex) == ("InvalidParameterValueException", message), kw
    u = lam.update_event_source_mapping(UUID=m["UUID"], Enabled=False, BatchSize=100,
                                        MaximumBatchingWindowInSeconds=1)
    assert u["State"] == "Updating" and u["BatchSize"] == 100
    e.wait_state(m["UUID"], "Disabled")
    d = lam.delete_event_source_mapping(UUID=m["UUID"])
    assert d["State"] == "Deleting"

    def gone():
        try:
            lam.get_event_source_mapping(UUID=m["UUID"])
            return False
        except ClientError as x:
            return x.response["Error"]["Code"] == "ResourceNotFoundException"

    poll(gone, what="mapping deleted")
    with pytest.raises(ClientError) as ex:
        lam.get_event_source_mapping(UUID=m["UUID"])
    assert err(ex) == ("ResourceNotFoundException", "The resource you requested does not exist.")


def test_messages_arrive_as_the_sqs_event(env):
    e = env()
    sent = {}
    for i in range(3):
        body = json.dumps({"n": i})
        r = e.sqs.send_message(QueueUrl=e.queue_url, MessageBody=body, MessageAttributes={
            "color": {"DataType": "String", "StringValue": "blue"},
            "raw": {"DataType": "Binary", "BinaryValue": b"\x00\x01"}})
        sent[r["MessageId"]] = (body, r["MD5OfMessageBody"])
    e.wait_state(e.map()["UUID"], "Enabled")
    poll(lambda: len(e.bodies()) >= 3, what="3 records delivered")
    records = [r for ev in e.events() for r in ev["records"]]
    assert sorted(r["messageId"] for r in records) == sorted(sent)
    for r in records:
        assert list(r) == ["messageId", "receiptHandle", "body", "attributes", "messageAttributes",
                           "md5OfBody", "eventSource", "eventSourceARN", "awsRegion"]
        body, md5 = sent[r["messageId"]]
        assert r["body"] == body and r["md5OfBody"] == md5 == hashlib.md5(body.encode()).hexdigest()
        assert r["eventSource"] == "aws:sqs" and r["eventSourceARN"] == e.queue_arn
        assert r["awsRegion"] == "us-east-1"
        assert set(r["attributes"]) == {"ApproximateReceiveCount", "SentTimestamp", "SenderId",
                                        "ApproximateFirstReceiveTimestamp"}
        assert r["attributes"]["ApproximateReceiveCount"] == "1"
        assert r["messageAttributes"]["color"] == {"stringValue": "blue", "stringListValues": [],
                                                   "binaryListValues": [], "dataType": "String"}
        assert r["messageAttributes"]["raw"]["binaryValue"] == "AAE="
        assert r["messageAttributes"]["raw"]["dataType"] == "Binary"
    poll(lambda: e.depth() == 0, what="batch deleted after success")


def test_batch_size_and_filter_criteria(env):
    e = env()
    for i in range(6):
        e.sqs.send_message(QueueUrl=e.queue_url, MessageBody=json.dumps({"kind": "keep" if i % 2 else "drop", "i": i}))
    e.sqs.send_message(QueueUrl=e.queue_url, MessageBody="not json at all")
    m = e.map(BatchSize=2, FilterCriteria={"Filters": [{"Pattern": json.dumps({"body": {"kind": ["keep"]}})}]})
    assert m["FilterCriteria"] == {"Filters": [{"Pattern": json.dumps({"body": {"kind": ["keep"]}})}]}
    e.wait_state(m["UUID"], "Enabled")
    poll(lambda: len(e.bodies()) >= 3, what="the 3 matching records")
    poll(lambda: e.depth() == 0, what="filtered-out messages deleted")
    time.sleep(0.5)
    assert sorted(json.loads(b)["i"] for b in e.bodies()) == [1, 3, 5]
    assert all(len(ev["records"]) <= 2 for ev in e.events())


def test_disable_and_enable(env):
    e = env()
    m = e.map(Enabled=False)
    e.wait_state(m["UUID"], "Disabled")
    e.sqs.send_message(QueueUrl=e.queue_url, MessageBody="while disabled")
    time.sleep(1.5)
    assert e.bodies() == [] and e.depth() == 1
    e.lam.update_event_source_mapping(UUID=m["UUID"], Enabled=True)
    e.wait_state(m["UUID"], "Enabled")
    poll(lambda: e.bodies() == ["while disabled"], what="delivered after enabling")
    poll(lambda: e.depth() == 0, what="deleted")


def test_function_errors_leave_the_batch_and_partial_failures_retry_only_those(env):
    # a raising function: the message comes back after the visibility timeout
    e = env(mode="raise", queue_attrs={"VisibilityTimeout": "1"})
    e.sqs.send_message(QueueUrl=e.queue_url, MessageBody="again and again")
    e.wait_state(e.map()["UUID"], "Enabled")
    poll(lambda: len(e.bodies()) >= 2, timeout=15, what="a failed batch received again")
    counts = [ev["records"][0]["attributes"]["ApproximateReceiveCount"] for ev in e.events()]
    assert counts[:2] == ["1", "2"]
    assert e.depth() == 1

    # (the visibility timeout must outlast the invocation, or another poller receives the
    # batch again before its deletes arrive: AWS recommends six times the function timeout)
    p = env(mode="partial", queue_attrs={"VisibilityTimeout": "3"})
    p.sqs.send_message_batch(QueueUrl=p.queue_url, Entries=[
        {"Id": "a", "MessageBody": "ok-1"}, {"Id": "b", "MessageBody": "fail-2"}, {"Id": "c", "MessageBody": "ok-3"}])
    m = p.map(FunctionResponseTypes=["ReportBatchItemFailures"], BatchSize=10)
    assert m["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    p.wait_state(m["UUID"], "Enabled")
    poll(lambda: p.bodies().count("fail-2") >= 2, timeout=20, what="the failed record retried")
    bodies = p.bodies()
    assert bodies.count("ok-1") == 1 and bodies.count("ok-3") == 1, bodies
    assert p.depth() == 1


def test_batching_window_gathers_one_batch(env):
    e = env()
    m = e.map(BatchSize=10, MaximumBatchingWindowInSeconds=3)
    assert m["MaximumBatchingWindowInSeconds"] == 3
    e.wait_state(m["UUID"], "Enabled")
    for i in range(4):
        e.sqs.send_message(QueueUrl=e.queue_url, MessageBody=f"w{i}")
        time.sleep(0.3)
    poll(lambda: len(e.bodies()) >= 4, what="the four records")
    # sent over ~1.2 s, within the 3 s window: one invocation with all four
    assert [sorted(r["body"] for r in ev["records"]) for ev in e.events()] == [["w0", "w1", "w2", "w3"]]
    poll(lambda: e.depth() == 0, what="batch deleted")


def test_scaling_config_maximum_concurrency(env):
    e = env(mode="slow")
    m = e.map(BatchSize=1, ScalingConfig={"MaximumConcurrency": 2})
    assert m["ScalingConfig"] == {"MaximumConcurrency": 2}
    e.wait_state(m["UUID"], "Enabled")
    for i in range(6):
        e.sqs.send_message(QueueUrl=e.queue_url, MessageBody=f"c{i}")
    poll(lambda: len(e.bodies()) >= 6, timeout=30, what="the six records")
    spans = [(ev["start"], ev["end"]) for ev in e.events()]
    # the most invocations running at one moment
    most = max(sum(1 for s, t in spans if s <= at < t) for at, _ in spans)
    assert most == 2, spans
    poll(lambda: e.depth() == 0, what="all deleted")
