"""Lambda event source mappings for DynamoDB Streams, end to end with boto3 against a running
Lamina (the Lens's "DynamoDB Streams → Lambda" pattern).

What a user sees on AWS: CreateEventSourceMapping with a table's stream ARN needs a
StartingPosition (TRIM_HORIZON or LATEST), answers State "Creating" with the stream settings
(BatchSize 100, MaximumRetryAttempts -1, MaximumRecordAgeInSeconds -1, ...) and becomes
"Enabled"; Lambda reads the stream in order and invokes the function with AWS's stream event
(INSERT/MODIFY/REMOVE records with Keys, NewImage, OldImage, SequenceNumber...); a failing
batch blocks the shard and is retried, from the lowest reported `itemIdentifier` with
ReportBatchItemFailures; after MaximumRetryAttempts the batch's description goes to the
OnFailure destination and the shard moves on; records no filter matches are skipped.

The function is a Python handler built here with zipfile; it prints each event it receives
to its CloudWatch log (read back with FilterLogEvents), and its MODE variable makes it succeed,
raise on an item with a `bad` attribute, or report (once) the records of items with `fail`.
"""
import io
import json
import uuid
import zipfile

import pytest
from botocore.exceptions import ClientError

from lambda_helpers import host_python_runtime, logged, poll

ROLE = "arn:aws:iam::000000000000:role/lamina-compat-ddb-stream"

HANDLER = '''
import json, os
REPORTED = set()
def handler(event, context):
    mode = os.environ.get("MODE", "ok")
    print("SEEN " + json.dumps({"records": event["Records"]}))
    images = [r["dynamodb"].get("NewImage", {}) for r in event["Records"]]
    if mode == "raise" and any("bad" in i for i in images):
        raise RuntimeError("bad item")
    if mode == "partial":
        failed = []
        for r in event["Records"]:
            seq = r["dynamodb"]["SequenceNumber"]
            if "fail" in r["dynamodb"].get("NewImage", {}) and seq not in REPORTED:
                REPORTED.add(seq)
                failed.append({"itemIdentifier": seq})
        return {"batchItemFailures": failed}
    return {}
'''


def function_zip():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("handler.py", HANDLER)
    return buf.getvalue()


def unique(prefix):
    return f"ddbs-{prefix}-{uuid.uuid4().hex[:8]}"


class Env:
    """A table with a stream, a function, and the events it received."""

    def __init__(self, client, mode="ok", view="NEW_AND_OLD_IMAGES"):
        self.lam, self.ddb, self.logs, self.sqs = (client("lambda"), client("dynamodb"), client("logs"),
                                                    client("sqs"))
        self.table = unique("t")
        d = self.ddb.create_table(
            TableName=self.table, BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            StreamSpecification={"StreamEnabled": True, "StreamViewType": view})["TableDescription"]
        self.stream_arn = d["LatestStreamArn"]
        self.name = unique("fn")
        self.lam.create_function(FunctionName=self.name, Runtime=host_python_runtime(), Role=ROLE,
                                 Handler="handler.handler", Code={"ZipFile": function_zip()},
                                 Environment={"Variables": {"MODE": mode}}, Timeout=10)
        poll(lambda: self.lam.get_function(FunctionName=self.name)["Configuration"]["State"] == "Active",
             what="function active")
        self.mappings, self.queues = [], []

    def map(self, **kw):
        kw.setdefault("StartingPosition", "TRIM_HORIZON")
        m = self.lam.create_event_source_mapping(EventSourceArn=self.stream_arn, FunctionName=self.name, **kw)
        self.mappings.append(m["UUID"])
        return m

    def wait_state(self, uuid_, state, timeout=10):
        return poll(lambda: (lambda m: m if m["State"] == state else None)(
            self.lam.get_event_source_mapping(UUID=uuid_)), timeout=timeout, what=f"mapping {state}")

    def queue(self):
        url = self.sqs.create_queue(QueueName=unique("q"))["QueueUrl"]
        self.queues.append(url)
        arn = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        return url, arn

    def events(self):
        return logged(self.logs, self.name)

    def records(self):
        return [r for e in self.events() for r in e["records"]]

    def cleanup(self):
        for u in self.mappings:
            try:
                self.lam.delete_event_source_mapping(UUID=u)
            except ClientError:
                pass
        self.lam.delete_function(FunctionName=self.name)
        self.ddb.delete_table(TableName=self.table)
        for q in self.queues:
            self.sqs.delete_queue(QueueUrl=q)


@pytest.fixture
def env(client):
    made = []

    def make(**kw):
        e = Env(client, **kw)
        made.append(e)
        return e

    yield make
    for e in made:
        e.cleanup()


def err(excinfo):
    e = excinfo.value.response["Error"]
    return e["Code"], e["Message"], excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"]


def test_mapping_settings_and_validation(env):
    e = env()
    with pytest.raises(ClientError) as ex:
        e.lam.create_event_source_mapping(EventSourceArn=e.stream_arn, FunctionName=e.name)
    assert err(ex) == ("InvalidParameterValueException",
                       "1 validation error detected: Value null at 'startingPosition' failed to satisfy "
                       "constraint: Member must not be null.", 400)
    with pytest.raises(ClientError) as ex:
        e.map(MaximumRecordAgeInSeconds=10)
    assert err(ex)[0] == "InvalidParameterValueException"
    assert e.lam.list_event_source_mappings(FunctionName=e.name)["EventSourceMappings"] == []

    m = e.map(StartingPosition="LATEST")
    assert m["State"] == "Creating"
    assert m["ResponseMetadata"]["HTTPStatusCode"] == 202
    assert m["EventSourceArn"] == e.stream_arn
    assert m["StartingPosition"] == "LATEST"
    assert m["BatchSize"] == 100
    assert m["MaximumBatchingWindowInSeconds"] == 0
    assert m["MaximumRetryAttempts"] == -1
    assert m["MaximumRecordAgeInSeconds"] == -1
    assert m["BisectBatchOnFunctionError"] is False
    assert m["ParallelizationFactor"] == 1
    assert m["LastProcessingResult"] == "No records processed"
    assert m["DestinationConfig"] == {"OnFailure": {}}
    e.wait_state(m["UUID"], "Enabled")

    with pytest.raises(ClientError) as ex:
        e.map()
    assert err(ex) == ("ResourceConflictException",
                       f'The event source arn (" {e.stream_arn} ") and function (" {e.name} ") provided mapping '
                       f'already exists. Please update or delete the existing mapping with UUID {m["UUID"]}', 409)

    gone = e.stream_arn.replace(f":table/{e.table}/", ":table/no-such-table/")
    with pytest.raises(ClientError) as ex:
        e.lam.create_event_source_mapping(EventSourceArn=gone, FunctionName=e.name, StartingPosition="LATEST")
    assert err(ex) == ("InvalidParameterValueException", f"Stream not found: {gone}", 400)

    u = e.lam.update_event_source_mapping(UUID=m["UUID"], Enabled=False, BatchSize=500,
                                          MaximumRetryAttempts=3, BisectBatchOnFunctionError=True)
    assert (u["State"], u["BatchSize"], u["MaximumRetryAttempts"], u["BisectBatchOnFunctionError"]) == \
        ("Updating", 500, 3, True)
    e.wait_state(m["UUID"], "Disabled")


def test_inserts_modifies_and_removes_reach_the_function_in_order(env):
    e = env()
    m = e.map(BatchSize=10)
    e.wait_state(m["UUID"], "Enabled")
    e.ddb.put_item(TableName=e.table, Item={"pk": {"S": "a"}, "n": {"N": "1"}})
    e.ddb.update_item(TableName=e.table, Key={"pk": {"S": "a"}}, UpdateExpression="SET n = :v",
                      ExpressionAttributeValues={":v": {"N": "2"}})
    e.ddb.delete_item(TableName=e.table, Key={"pk": {"S": "a"}})
    recs = poll(lambda: (lambda r: r if len(r) >= 3 else None)(e.records()), timeout=20, what="3 records")
    assert [r["eventName"] for r in recs] == ["INSERT", "MODIFY", "REMOVE"]
    for r in recs:
        assert r["eventSource"] == "aws:dynamodb"
        assert r["eventVersion"] == "1.1"
        assert r["awsRegion"] == e.stream_arn.split(":")[3]
        assert r["eventSourceARN"] == e.stream_arn
        assert r["dynamodb"]["Keys"] == {"pk": {"S": "a"}}
        assert r["dynamodb"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"
        assert isinstance(r["dynamodb"]["ApproximateCreationDateTime"], int), "whole epoch seconds"
        assert r["dynamodb"]["SizeBytes"] > 0
        assert r["eventID"]
    assert recs[0]["dynamodb"]["NewImage"] == {"pk": {"S": "a"}, "n": {"N": "1"}}
    assert "OldImage" not in recs[0]["dynamodb"]
    assert recs[1]["dynamodb"]["OldImage"] == {"pk": {"S": "a"}, "n": {"N": "1"}}
    assert recs[1]["dynamodb"]["NewImage"] == {"pk": {"S": "a"}, "n": {"N": "2"}}
    assert recs[2]["dynamodb"]["OldImage"] == {"pk": {"S": "a"}, "n": {"N": "2"}}
    assert "NewImage" not in recs[2]["dynamodb"]
    seqs = [int(r["dynamodb"]["SequenceNumber"]) for r in recs]
    assert seqs == sorted(seqs)
    got = poll(lambda: (lambda g: g if g["LastProcessingResult"] == "OK" else None)(
        e.lam.get_event_source_mapping(UUID=m["UUID"])), what="LastProcessingResult OK")
    assert got["State"] == "Enabled"

    # disabled: writes wait in the stream; enabled again, the mapping resumes where it was
    e.lam.update_event_source_mapping(UUID=m["UUID"], Enabled=False)
    e.wait_state(m["UUID"], "Disabled")
    e.ddb.put_item(TableName=e.table, Item={"pk": {"S": "b"}})
    import time
    time.sleep(1.5)
    assert len(e.records()) == 3
    e.lam.update_event_source_mapping(UUID=m["UUID"], Enabled=True)
    recs = poll(lambda: (lambda r: r if len(r) >= 4 else None)(e.records()), timeout=20, what="4th record")
    assert len(recs) == 4, "nothing is delivered twice"
    assert recs[3]["dynamodb"]["Keys"] == {"pk": {"S": "b"}}


def test_latest_starts_after_what_the_stream_holds(env):
    e = env()
    e.ddb.put_item(TableName=e.table, Item={"pk": {"S": "before"}})
    m = e.map(StartingPosition="LATEST")
    e.wait_state(m["UUID"], "Enabled")
    e.ddb.put_item(TableName=e.table, Item={"pk": {"S": "after"}})
    recs = poll(lambda: e.records(), timeout=20, what="a record")
    assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in recs] == ["after"]


def test_report_batch_item_failures_retries_from_the_lowest_failed_record(env):
    e = env(mode="partial")
    for i, extra in enumerate([{}, {"fail": {"BOOL": True}}, {}]):
        e.ddb.put_item(TableName=e.table, Item={"pk": {"S": f"k{i}"}, **extra})
    m = e.map(FunctionResponseTypes=["ReportBatchItemFailures"], MaximumRetryAttempts=5)
    assert m["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    evs = poll(lambda: (lambda v: v if len(v) >= 2 else None)(e.events()), timeout=20, what="the retry")
    keys = [[r["dynamodb"]["Keys"]["pk"]["S"] for r in ev["records"]] for ev in evs]
    assert keys[0] == ["k0", "k1", "k2"]
    assert keys[1] == ["k1", "k2"], "the retry starts at the reported record"
    import time
    time.sleep(1.5)
    assert len(e.events()) == 2


def test_retries_exhausted_go_to_the_on_failure_queue_and_the_shard_moves_on(env):
    e = env(mode="raise")
    url, arn = e.queue()
    e.ddb.put_item(TableName=e.table, Item={"pk": {"S": "poison"}, "bad": {"BOOL": True}})
    m = e.map(MaximumRetryAttempts=1, DestinationConfig={"OnFailure": {"Destination": arn}})
    assert m["DestinationConfig"] == {"OnFailure": {"Destination": arn}}
    assert m["MaximumRetryAttempts"] == 1
    got = poll(lambda: e.sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1).get("Messages"),
               timeout=30, what="the OnFailure record")
    rec = json.loads(got[0]["Body"])
    assert rec["version"] == "1.0"
    assert rec["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert rec["requestContext"]["approximateInvokeCount"] == 2
    assert rec["requestContext"]["functionArn"].endswith(f":function:{e.name}")
    assert rec["responseContext"]["functionError"] == "Unhandled"
    assert rec["responseContext"]["statusCode"] == 200
    assert rec["responseContext"]["executedVersion"] == "$LATEST"
    info = rec["DDBStreamBatchInfo"]
    seq = poll(lambda: e.records(), what="the logged record")[0]["dynamodb"]["SequenceNumber"]
    assert info["streamArn"] == e.stream_arn
    assert info["batchSize"] == 1
    assert info["startSequenceNumber"] == info["endSequenceNumber"] == seq
    assert info["shardId"].startswith("shardId-")
    assert info["approximateArrivalOfFirstRecord"].endswith("Z")
    # one invocation and one retry (their log lines arrive shortly after the invocations)
    poll(lambda: len(e.events()) == 2, what="both invocations logged")
    # the shard is not blocked any more
    e.ddb.put_item(TableName=e.table, Item={"pk": {"S": "fine"}})
    poll(lambda: any(r["dynamodb"]["Keys"]["pk"]["S"] == "fine" for r in e.records()), timeout=20,
         what="the next record")
    got = e.lam.get_event_source_mapping(UUID=m["UUID"])
    assert got["LastProcessingResult"] == "OK"


def test_filter_criteria_apply_to_the_stream_record(env):
    e = env()
    pattern = {"eventName": ["INSERT"], "dynamodb": {"NewImage": {"kind": {"S": ["keep"]}}}}
    m = e.map(FilterCriteria={"Filters": [{"Pattern": json.dumps(pattern)}]})
    assert json.loads(m["FilterCriteria"]["Filters"][0]["Pattern"]) == pattern
    e.wait_state(m["UUID"], "Enabled")
    e.ddb.put_item(TableName=e.table, Item={"pk": {"S": "1"}, "kind": {"S": "drop"}})
    e.ddb.put_item(TableName=e.table, Item={"pk": {"S": "2"}, "kind": {"S": "keep"}})
    e.ddb.update_item(TableName=e.table, Key={"pk": {"S": "2"}}, UpdateExpression="SET x = :v",
                      ExpressionAttributeValues={":v": {"N": "1"}})
    e.ddb.put_item(TableName=e.table, Item={"pk": {"S": "3"}, "kind": {"S": "keep"}})
    recs = poll(lambda: (lambda r: r if len(r) >= 2 else None)(e.records()), timeout=20, what="2 records")
    import time
    time.sleep(1)
    recs = e.records()
    assert [(r["eventName"], r["dynamodb"]["Keys"]["pk"]["S"]) for r in recs] == [("INSERT", "2"), ("INSERT", "3")]


SAM_TEMPLATE = """
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{AttributeName: pk, AttributeType: S}]
      KeySchema: [{AttributeName: pk, KeyType: HASH}]
      StreamSpecification: {StreamViewType: NEW_IMAGE}
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: %(runtime)s
      Handler: index.handler
      InlineCode: |
        import json
        def handler(event, context):
            print("SEEN " + json.dumps({"records": event["Records"]}))
      Events:
        Changes:
          Type: DynamoDB
          Properties:
            Stream: !GetAtt Table.StreamArn
            StartingPosition: TRIM_HORIZON
            BatchSize: 5
            MaximumRetryAttempts: 2
Outputs:
  FunctionName: {Value: !Ref Fn}
  TableName: {Value: !Ref Table}
  StreamArn: {Value: !GetAtt Table.StreamArn}
"""


def test_a_sam_dynamodb_event_creates_a_working_mapping(client):
    cfn, lam, ddb, logs = client("cloudformation"), client("lambda"), client("dynamodb"), client("logs")
    stack = unique("sam")
    cfn.create_stack(StackName=stack, TemplateBody=SAM_TEMPLATE % {"runtime": host_python_runtime()},
                     Capabilities=["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"])
    try:
        s = poll(lambda: (lambda st: st if not st["StackStatus"].endswith("IN_PROGRESS") else None)(
            cfn.describe_stacks(StackName=stack)["Stacks"][0]), timeout=60, what="stack created")
        assert s["StackStatus"] == "CREATE_COMPLETE", s
        outs = {o["OutputKey"]: o["OutputValue"] for o in s["Outputs"]}
        maps = lam.list_event_source_mappings(FunctionName=outs["FunctionName"])["EventSourceMappings"]
        assert len(maps) == 1
        m = maps[0]
        assert m["EventSourceArn"] == outs["StreamArn"]
        assert (m["StartingPosition"], m["BatchSize"], m["MaximumRetryAttempts"]) == ("TRIM_HORIZON", 5, 2)
        poll(lambda: lam.get_event_source_mapping(UUID=m["UUID"])["State"] == "Enabled", what="enabled")
        ddb.put_item(TableName=outs["TableName"], Item={"pk": {"S": "from-sam"}})
        seen = poll(lambda: logged(logs, outs["FunctionName"]), timeout=20, what="the function's event")
        rec = seen[0]["records"][0]
        assert rec["eventName"] == "INSERT"
        assert rec["dynamodb"]["NewImage"] == {"pk": {"S": "from-sam"}}
        assert rec["dynamodb"]["StreamViewType"] == "NEW_IMAGE"
    finally:
        cfn.delete_stack(StackName=stack)
        poll(lambda: not [x for x in cfn.list_stacks()["StackSummaries"]
                          if x["StackName"] == stack and x["StackStatus"] != "DELETE_COMPLETE"],
             timeout=60, what="stack deleted")


def test_a_restart_resumes_behind_the_checkpoint(lamina_server, tmp_path):
    from conftest import make_client
    server = lamina_server(data_dir=tmp_path)
    e = Env(lambda service: make_client(service, server.url))
    m = e.map()
    e.wait_state(m["UUID"], "Enabled")
    e.ddb.put_item(TableName=e.table, Item={"pk": {"S": "before"}})
    poll(lambda: e.records(), timeout=20, what="the first record")
    poll(lambda: e.lam.get_event_source_mapping(UUID=m["UUID"])["LastProcessingResult"] == "OK",
         what="the checkpoint")
    assert server.stop() == 0

    # the same data directory: the mapping resumes after "before" without delivering it again
    server = lamina_server(data_dir=tmp_path)
    for attr in ("lam", "ddb", "logs", "sqs"):
        setattr(e, attr, make_client({"lam": "lambda", "ddb": "dynamodb"}.get(attr, attr), server.url))
    assert e.lam.get_event_source_mapping(UUID=m["UUID"])["State"] == "Enabled"
    e.ddb.put_item(TableName=e.table, Item={"pk": {"S": "after"}})
    poll(lambda: len(e.records()) >= 2, timeout=30, what="the record written after the restart")
    import time
    time.sleep(1)
    assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in e.records()] == ["before", "after"]


def test_ttl_deletions_carry_the_service_identity_and_can_be_filtered(env):
    import time
    e = env()
    e.ddb.update_time_to_live(TableName=e.table,
                              TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires"})
    ttl_only = {"userIdentity": {"type": ["Service"], "principalId": ["dynamodb.amazonaws.com"]}}
    m = e.map(FilterCriteria={"Filters": [{"Pattern": json.dumps(ttl_only)}]})
    e.wait_state(m["UUID"], "Enabled")
    e.ddb.put_item(TableName=e.table, Item={"pk": {"S": "user"}})
    e.ddb.delete_item(TableName=e.table, Key={"pk": {"S": "user"}})
    e.ddb.put_item(TableName=e.table, Item={"pk": {"S": "old"}, "expires": {"N": str(int(time.time()) - 60)}})
    recs = poll(lambda: e.records(), timeout=40, what="the TTL deletion")
    time.sleep(1)
    recs = e.records()
    assert len(recs) == 1, recs
    r = recs[0]
    assert r["eventName"] == "REMOVE"
    assert r["dynamodb"]["Keys"] == {"pk": {"S": "old"}}
    assert r["userIdentity"] == {"type": "Service", "principalId": "dynamodb.amazonaws.com"}
