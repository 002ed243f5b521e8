"""Asynchronous invocation, concurrency limits and the Lambda client commands, end to end with
boto3 against a running Lamina.

What a user sees on AWS: an Event invocation answers 202 and runs; a failing one is retried
(twice by default, about 1 and 2 minutes apart — the tests start their own Lamina with
LAMINA_LAMBDA_ASYNC_RETRY_DELAYS_MS to shorten the waits) and then lands at its OnFailure
destination as an invocation record (version 1.0, requestContext, requestPayload,
responseContext, responsePayload), or in its dead-letter queue as the original event with the
RequestID / ErrorCode / ErrorMessage attributes; reserved concurrency throttles synchronous
calls with 429 TooManyRequestsException. Lamina's own pieces: failed events without a
destination are listed at /_lamina/lambda/failed-events, Code.Location downloads the package,
and `lamina invoke` / `lamina logs` talk to a running server.
"""
import json
import subprocess
import threading
import time
import urllib.request
import uuid

import pytest
from botocore.exceptions import ClientError

from conftest import lamina_bin, make_client
from ddb_helpers import wait_active as wait_table_active
from lambda_helpers import THROTTLE_REASON, Functions, invoke, poll, require_zips, zip_bytes

require_zips()

DELAYS_MS = (300, 600)


@pytest.fixture
def lam(client):
    return client("lambda")


@pytest.fixture
def fns(lam):
    f = Functions(lam)
    yield f
    f.cleanup()


@pytest.fixture(scope="module")
def fast_retries(tmp_path_factory):
    """A Lamina of its own whose async retries wait DELAYS_MS instead of 1 and 2 minutes."""
    import os

    from conftest import Server

    old = os.environ.get("LAMINA_LAMBDA_ASYNC_RETRY_DELAYS_MS")
    os.environ["LAMINA_LAMBDA_ASYNC_RETRY_DELAYS_MS"] = ",".join(str(d) for d in DELAYS_MS)
    try:
        server = Server(data_dir=str(tmp_path_factory.mktemp("lamina-async")))
    finally:
        if old is None:
            os.environ.pop("LAMINA_LAMBDA_ASYNC_RETRY_DELAYS_MS", None)
        else:
            os.environ["LAMINA_LAMBDA_ASYNC_RETRY_DELAYS_MS"] = old
    yield server
    server.stop()


@pytest.fixture
def fast(fast_retries):
    """(lambda client, sqs client, Functions) on the fast-retry server."""
    lam = make_client("lambda", fast_retries.url)
    f = Functions(lam)
    yield lam, make_client("sqs", fast_retries.url), f
    f.cleanup()


def new_queue(sqs):
    url = sqs.create_queue(QueueName=f"compat-dest-{uuid.uuid4().hex[:10]}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return url, arn


def receive_one(sqs, url, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        msgs = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=2, MessageAttributeNames=["All"],
                                   MaxNumberOfMessages=10).get("Messages", [])
        if msgs:
            assert len(msgs) == 1, msgs
            return msgs[0]
    raise AssertionError(f"no message arrived in {url} within {timeout} s")


def http_get(url):
    with urllib.request.urlopen(url, timeout=10) as r:
        return r.status, r.headers.get("content-type"), r.read()


# ---------------------------------------------------------------------------------------------
# Event invocations


@pytest.fixture
def table(client):
    ddb = client("dynamodb")
    name = f"compat-async-{uuid.uuid4().hex[:10]}"
    ddb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                     KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])
    wait_table_active(ddb, name)
    yield ddb, name
    ddb.delete_table(TableName=name)


def test_event_invocation_runs_the_function(lam, fns, table):
    ddb, name = table
    fn = fns.create("python", handler="handler.record")["FunctionName"]
    pk = uuid.uuid4().hex
    r = invoke(lam, fn, {"table": name, "pk": pk}, InvocationType="Event")
    assert r.status == 202 and r.body == b""
    item = poll(lambda: ddb.get_item(TableName=name, Key={"pk": {"S": pk}}, ConsistentRead=True).get("Item"),
                timeout=20, what="the item written by the asynchronously invoked function")
    assert item["version"] == {"S": "$LATEST"}


def test_retries_then_on_failure_destination_gets_the_invocation_record(fast):
    lam, sqs, fns = fast
    url, arn = new_queue(sqs)
    fn = fns.create("python", handler="handler.fail")["FunctionName"]
    lam.put_function_event_invoke_config(FunctionName=fn,
                                         DestinationConfig={"OnFailure": {"Destination": arn}})
    started = time.monotonic()
    r = invoke(lam, fn, {"message": "always fails", "n": 42}, InvocationType="Event")
    assert r.status == 202
    msg = receive_one(sqs, url)
    elapsed = time.monotonic() - started
    # the first run, then two retries after the configured waits
    assert elapsed >= sum(DELAYS_MS) / 1000, elapsed
    record = json.loads(msg["Body"])
    assert record["version"] == "1.0"
    assert record["timestamp"].endswith("Z")
    ctx = record["requestContext"]
    assert ctx["requestId"] == r.request_id
    assert ctx["functionArn"].endswith(f":function:{fn}:$LATEST")
    assert ctx["condition"] == "RetriesExhausted"
    assert ctx["approximateInvokeCount"] == 3
    assert record["requestPayload"] == {"message": "always fails", "n": 42}
    assert record["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST",
                                         "functionError": "Unhandled"}
    assert record["responsePayload"]["errorType"] == "ValueError"
    assert record["responsePayload"]["errorMessage"] == "always fails"


def test_on_success_destination_and_no_retries(fast):
    lam, sqs, fns = fast
    url, arn = new_queue(sqs)
    fn = fns.create("python")["FunctionName"]
    lam.put_function_event_invoke_config(FunctionName=fn, MaximumRetryAttempts=0,
                                         DestinationConfig={"OnSuccess": {"Destination": arn}})
    r = invoke(lam, fn, {"hello": "world"}, InvocationType="Event")
    record = json.loads(receive_one(sqs, url)["Body"])
    assert record["requestContext"]["condition"] == "Success"
    assert record["requestContext"]["requestId"] == r.request_id
    assert record["requestContext"]["approximateInvokeCount"] == 1
    assert record["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST"}
    assert record["responsePayload"]["event"] == {"hello": "world"}


def test_dead_letter_queue_gets_the_event_with_awss_attributes(fast):
    lam, sqs, fns = fast
    url, arn = new_queue(sqs)
    fn = fns.create("python", handler="handler.fail", DeadLetterConfig={"TargetArn": arn})["FunctionName"]
    lam.put_function_event_invoke_config(FunctionName=fn, MaximumRetryAttempts=0)
    r = invoke(lam, fn, {"message": "to the DLQ"}, InvocationType="Event")
    msg = receive_one(sqs, url)
    assert json.loads(msg["Body"]) == {"message": "to the DLQ"}
    attrs = msg["MessageAttributes"]
    assert attrs["RequestID"] == {"StringValue": r.request_id, "DataType": "String"}
    assert attrs["ErrorCode"] == {"StringValue": "200", "DataType": "Number"}
    assert attrs["ErrorMessage"] == {"StringValue": "to the DLQ", "DataType": "String"}


def test_failed_events_without_destination_are_listed(fast, fast_retries):
    lam, _, fns = fast
    fn = fns.create("python", handler="handler.fail")["FunctionName"]
    lam.put_function_event_invoke_config(FunctionName=fn, MaximumRetryAttempts=1)
    r = invoke(lam, fn, {"message": "nobody listens"}, InvocationType="Event")

    def listed():
        status, ctype, body = http_get(f"{fast_retries.url}/_lamina/lambda/failed-events?function={fn}")
        assert status == 200 and ctype == "application/json"
        return json.loads(body)["FailedEvents"]

    events = poll(listed, timeout=30, what="the failed event in /_lamina/lambda/failed-events")
    assert len(events) == 1
    e = events[0]
    assert e["requestId"] == r.request_id
    assert e["condition"] == "RetriesExhausted"
    assert e["approximateInvokeCount"] == 2
    assert e["record"]["requestPayload"] == {"message": "nobody listens"}
    assert e["record"]["responsePayload"]["errorMessage"] == "nobody listens"


# ---------------------------------------------------------------------------------------------
# Concurrency


def test_reserved_concurrency_one_throttles_the_second_concurrent_call(lam, fns, endpoint):
    fn = fns.create("python", handler="handler.sleep", timeout=10)["FunctionName"]
    lam.put_function_concurrency(FunctionName=fn, ReservedConcurrentExecutions=1)
    # warm up, so both calls below overlap for sure
    assert invoke(lam, fn, {"seconds": 0}).function_error is None
    results = []

    def call():
        c = make_client("lambda", endpoint)
        try:
            results.append(invoke(c, fn, {"seconds": 2}))
        except ClientError as e:
            results.append(e)

    threads = [threading.Thread(target=call) for _ in range(2)]
    for t in threads:
        t.start()
        time.sleep(0.3)
    for t in threads:
        t.join(30)
    errors = [r for r in results if isinstance(r, ClientError)]
    oks = [r for r in results if not isinstance(r, ClientError)]
    assert len(oks) == 1 and oks[0].status == 200 and oks[0].json == {"slept": 2}, results
    assert len(errors) == 1, results

    resp = errors[0].response
    assert resp["Error"]["Code"] == "TooManyRequestsException"
    assert resp["Error"]["Message"] == "Rate Exceeded."
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 429
    assert resp.get("Reason") == THROTTLE_REASON


# ---------------------------------------------------------------------------------------------
# Lamina's routes and client commands


def test_code_location_downloads_the_package(lam, fns):
    fn = fns.create("python")["FunctionName"]
    loc = lam.get_function(FunctionName=fn)["Code"]["Location"]
    status, ctype, body = http_get(loc)
    assert status == 200 and ctype == "application/zip"
    assert body == zip_bytes("python")


def test_health_reports_lambda_isolation(endpoint):
    _, _, body = http_get(f"{endpoint}/_lamina/health")
    details = json.loads(body)["services"]["lambda"]["details"]
    assert "cgroups" in details["isolation"]
    assert isinstance(details["sandboxes"]["live"], int)


def run_cli(*args, timeout=60):
    binary = lamina_bin()
    if not binary:
        pytest.skip("no lamina binary")
    return subprocess.run([binary, *args], capture_output=True, text=True, timeout=timeout)


def test_cli_invoke_prints_the_response_and_fails_on_function_errors(lam, fns, endpoint):
    fn = fns.create("python", handler="handler.dispatch")["FunctionName"]
    p = run_cli("invoke", fn, "--payload", json.dumps({"action": "echo", "x": 1}), "--endpoint", endpoint)
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert out["event"] == {"action": "echo", "x": 1} and out["functionName"] == fn
    p = run_cli("invoke", fn, "--payload", json.dumps({"action": "fail", "message": "cli boom"}),
                "--endpoint", endpoint)
    assert p.returncode == 1
    assert json.loads(p.stdout)["errorMessage"] == "cli boom"
    p = run_cli("invoke", "compat-no-such-function", "--endpoint", endpoint)
    assert p.returncode == 1 and "ResourceNotFoundException" in p.stderr


def test_cli_logs_prints_the_functions_log(lam, fns, endpoint):
    fn = fns.create("python")["FunctionName"]
    marker = uuid.uuid4().hex
    invoke(lam, fn, {"marker": marker})

    def printed():
        p = run_cli("logs", fn, "--endpoint", endpoint)
        return p.returncode == 0 and f"echo marker {marker}" in p.stdout and p.stdout

    out = poll(printed, timeout=20, what="the marker in `lamina logs`")
    assert "START RequestId:" in out and "REPORT RequestId:" in out
    # --follow keeps printing what arrives later
    proc = subprocess.Popen([lamina_bin(), "logs", fn, "--follow", "--endpoint", endpoint],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    seen = []
    reader = threading.Thread(target=lambda: seen.extend(iter(proc.stdout.readline, "")), daemon=True)
    reader.start()
    try:
        later = uuid.uuid4().hex
        time.sleep(1.5)
        invoke(lam, fn, {"marker": later})
        poll(lambda: any(later in ln for ln in seen), timeout=20, what="the new marker in `lamina logs --follow`")
    finally:
        proc.kill()
        proc.wait()
