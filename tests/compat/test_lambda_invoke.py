"""Lambda invocation end to end with boto3 against a running Lamina.

What a user does: create a function from a zip (Python, Node.js, a Rust `lambda_runtime`
binary as provided.al2023, and AWS's own Python runtime interface client as a custom runtime),
wait for it to be Active, invoke it synchronously, asynchronously and as a dry run, read the
tail of its log and its CloudWatch Logs, publish versions and route an alias by weight, and see
AWS's outcome when the function misbehaves (raises, exits, hangs, runs out of memory, floods its
log, answers too much) or is throttled — and that the function still works afterwards.

Written from the AWS Lambda developer guide and API reference. The functions are in
tests/functions/ and are built by scripts/build-test-functions.
"""
import base64
import collections
import json
import os
import time
import uuid

import pytest
from botocore.exceptions import ClientError

from ddb_helpers import wait_active as wait_table_active
from lambda_helpers import (
    REPORT_RE, REQUEST_TOO_LARGE, RESPONSE_TOO_LARGE, THROTTLE_REASON, TIMEOUT_SUFFIX, Functions,
    error_of, host_python_runtime, invoke, log_lines, ok, poll, require_zips, wait_updated,
)

require_zips()

ALL = ["python", "node", "rust", "ric"]
UUID_RE = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


@pytest.fixture
def lam(client):
    return client("lambda")


@pytest.fixture
def ddb(client):
    return client("dynamodb")


@pytest.fixture
def logs(client):
    return client("logs")


@pytest.fixture
def table(ddb):
    """A fresh PAY_PER_REQUEST table keyed by `pk` (S), deleted after the test."""
    name = f"compat-lambda-{uuid.uuid4().hex[:10]}"
    ddb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                     KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])
    wait_table_active(ddb, name)
    yield name
    try:
        ddb.delete_table(TableName=name)
    except ClientError:
        pass


@pytest.fixture
def fns(lam):
    f = Functions(lam)
    yield f
    f.cleanup()


# ---------------------------------------------------------------------------------------------
# Every runtime: invoke, warm reuse, log tail, handler errors


@pytest.mark.parametrize("runtime", ALL)
def test_request_response_echo(lam, fns, runtime):
    fn = fns.create(runtime, memory=128, timeout=10)
    assert fn["State"] in ("Pending", "Active")
    name = fn["FunctionName"]
    event = {"hello": "world", "n": 1, "nested": {"list": [1, 2, 3]}, "unicode": "żółw 🐢"}

    r = invoke(lam, name, event)
    assert r.status == 200 and r.function_error is None, r
    assert r.executed_version == "$LATEST"
    assert r.headers.get("x-amz-executed-version") == "$LATEST"
    body = r.json
    assert body["event"] == event
    assert body["functionName"] == name
    assert body["functionVersion"] == "$LATEST"
    assert body["memoryLimitInMB"] == 128
    assert body["invokedFunctionArn"] == fn["FunctionArn"]
    # The request id the function sees is the invocation's request id.
    assert body["requestId"] == r.request_id
    assert 0 < body["remainingMs"] <= 10_000


@pytest.mark.parametrize("runtime", ALL)
def test_warm_reuse_counter_grows(lam, fns, runtime):
    name = fns.create(runtime)["FunctionName"]
    counts = [ok(lam, name, {"i": i})["count"] for i in range(3)]
    assert counts == [1, 2, 3], "a warm execution environment keeps module-level state"


@pytest.mark.parametrize("runtime", ALL)
def test_log_tail_has_start_end_report(lam, fns, runtime):
    name = fns.create(runtime, memory=256)["FunctionName"]
    marker = uuid.uuid4().hex
    r = invoke(lam, name, {"marker": marker}, LogType="Tail")
    assert r.status == 200 and r.function_error is None, r
    text = r.log
    lines = log_lines(text)
    rid = r.request_id
    assert any(ln.startswith(f"START RequestId: {rid} Version: $LATEST") for ln in lines), text
    assert any(ln.startswith(f"END RequestId: {rid}") for ln in lines), text
    report = REPORT_RE.search(text)
    assert report, text
    assert report["id"] == rid and report["memory"] == "256"
    assert int(report["billed"]) >= 1 and float(report["duration"]) >= 0
    assert int(report["used"]) >= 1
    if runtime != "rust":  # the Rust function prints nothing
        assert f"echo marker {marker}" in text
    # Without LogType=Tail there is no log in the response.
    assert invoke(lam, name, {}).log_result is None


@pytest.mark.parametrize("runtime", ALL)
def test_handler_error_is_unhandled_function_error(lam, fns, runtime):
    handler = {"python": "handler.fail", "node": "index.throws", "rust": "bootstrap", "ric": "handler.fail"}[runtime]
    name = fns.create(runtime, handler=handler)["FunctionName"]
    message = f"boom-{uuid.uuid4().hex[:6]}"
    r = invoke(lam, name, {"message": message, "fail": message})
    # A function error is still HTTP 200: the error is in the payload and X-Amz-Function-Error.
    assert r.status == 200, r
    assert r.function_error == "Unhandled"
    err = r.json
    assert err["errorMessage"] == message
    if runtime in ("python", "ric"):
        # As AWS's Python runtime reports an exception.
        assert err["errorType"] == "ValueError"
        assert isinstance(err["stackTrace"], list) and err["stackTrace"]
        assert any("raise ValueError" in frame for frame in err["stackTrace"]), err["stackTrace"]
    elif runtime == "node":
        assert err["errorType"] == "Error"
        assert isinstance(err["trace"], list) and err["trace"][0] == f"Error: {message}"
    else:
        assert isinstance(err["errorType"], str) and err["errorType"]
    # The function keeps working after a handled error.
    r2 = invoke(lam, name, {"message": message, "fail": message})
    assert r2.function_error == "Unhandled" and r2.json["errorMessage"] == message


# ---------------------------------------------------------------------------------------------
# Node.js handler styles


def test_node_async_and_callback_handlers(lam, fns):
    a = fns.create("node", handler="index.asyncHandler")["FunctionName"]
    assert ok(lam, a, {"ms": 30}) == {"waited": 30, "count": 1, "runtime": "node"}

    cb = fns.create("node", handler="index.callbackHandler")["FunctionName"]
    r = invoke(lam, cb, {"x": 1})
    assert r.function_error is None, r
    body = r.json
    assert body["callback"] is True and body["event"] == {"x": 1} and body["requestId"] == r.request_id

    r = invoke(lam, cb, {"fail": "bad callback"})
    assert r.function_error == "Unhandled"
    assert r.json["errorType"] == "TypeError" and r.json["errorMessage"] == "bad callback"


# ---------------------------------------------------------------------------------------------
# The execution environment AWS documents


def test_environment_variables_and_task_root(lam, fns):
    name = fns.create("python", handler="handler.env", memory=192, env={"GREETING": "hi"})["FunctionName"]
    body = ok(lam, name)
    env = body["env"]
    assert env["AWS_LAMBDA_FUNCTION_NAME"] == name
    assert env["AWS_LAMBDA_FUNCTION_VERSION"] == "$LATEST"
    assert env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "192"
    assert env["AWS_LAMBDA_LOG_GROUP_NAME"] == f"/aws/lambda/{name}"
    assert env["AWS_LAMBDA_LOG_STREAM_NAME"]
    assert env["AWS_REGION"] == "us-east-1" and env["AWS_DEFAULT_REGION"] == "us-east-1"
    assert env["_HANDLER"] == "handler.env"
    assert env["AWS_EXECUTION_ENV"] == f"AWS_Lambda_{host_python_runtime()}"
    assert env["GREETING"] == "hi"
    host, _, port = env["AWS_LAMBDA_RUNTIME_API"].rpartition(":")
    assert host and port.isdigit()
    assert env["AWS_ENDPOINT_URL"].startswith("http")
    assert body["has"] == {"AWS_ACCESS_KEY_ID": True, "AWS_SECRET_ACCESS_KEY": True, "AWS_SESSION_TOKEN": True}
    root = env["LAMBDA_TASK_ROOT"]
    assert root and body["file"].startswith(root.rstrip("/") + "/")
    assert body["cwd"].rstrip("/") == root.rstrip("/")


# ---------------------------------------------------------------------------------------------
# Versions, aliases, weighted routing


def test_versions_and_aliases(lam, fns):
    fn = fns.create("python", env={"TAG": "a"})
    name, arn = fn["FunctionName"], fn["FunctionArn"]
    v1 = lam.publish_version(FunctionName=name)["Version"]
    lam.update_function_configuration(FunctionName=name, Environment={"Variables": {"TAG": "b"}})
    wait_updated(lam, name)
    v2 = lam.publish_version(FunctionName=name)["Version"]
    assert (v1, v2) == ("1", "2")

    r = invoke(lam, name, {}, Qualifier=v1)
    assert r.executed_version == "1" and r.json["tag"] == "a" and r.json["functionVersion"] == "1"
    assert r.json["invokedFunctionArn"] == f"{arn}:1"
    r = invoke(lam, name, {}, Qualifier="$LATEST")
    assert r.executed_version == "$LATEST" and r.json["tag"] == "b"
    r = invoke(lam, f"{name}:2", {})
    assert r.executed_version == "2" and r.json["tag"] == "b"

    lam.create_alias(FunctionName=name, Name="live", FunctionVersion=v1)
    r = invoke(lam, name, {}, Qualifier="live")
    assert r.executed_version == "1" and r.json["tag"] == "a"
    assert r.json["invokedFunctionArn"] == f"{arn}:live"

    lam.update_alias(FunctionName=name, Name="live", FunctionVersion=v1,
                     RoutingConfig={"AdditionalVersionWeights": {v2: 0.5}})
    seen = collections.Counter()
    for _ in range(100):
        r = invoke(lam, name, {}, Qualifier="live")
        assert r.function_error is None, r
        seen[r.executed_version] += 1
        assert r.json["tag"] == {"1": "a", "2": "b"}[r.executed_version]
    assert set(seen) == {"1", "2"}, seen
    assert seen["1"] >= 15 and seen["2"] >= 15, f"a 50/50 alias should route to both versions: {seen}"

    with pytest.raises(ClientError) as e:
        invoke(lam, name, {}, Qualifier="nope")
    assert error_of(e)[0] == "ResourceNotFoundException" and error_of(e)[2] == 404


# ---------------------------------------------------------------------------------------------
# Invocation types


def test_event_invocation_returns_202_and_runs(lam, fns, ddb, table):
    name = fns.create("python", handler="handler.record")["FunctionName"]
    pk = uuid.uuid4().hex
    r = invoke(lam, name, {"table": table, "pk": pk}, InvocationType="Event")
    assert r.status == 202 and r.function_error is None
    assert r.body == b""
    item = poll(lambda: ddb.get_item(TableName=table, Key={"pk": {"S": pk}}, ConsistentRead=True).get("Item"),
                timeout=20, what="the item the asynchronously invoked function writes")
    assert item["version"] == {"S": "$LATEST"}
    assert len(item["request"]["S"]) == 36


def test_dry_run_returns_204_and_runs_nothing(lam, fns):
    name = fns.create("python")["FunctionName"]
    r = invoke(lam, name, {"x": 1}, InvocationType="DryRun")
    assert r.status == 204 and r.body == b"" and r.function_error is None
    # The dry run did not execute the handler: the first real invocation counts 1.
    assert ok(lam, name)["count"] == 1

    with pytest.raises(ClientError) as e:
        invoke(lam, f"missing-{uuid.uuid4().hex[:8]}", {}, InvocationType="DryRun")
    code, msg, status = error_of(e)
    assert (code, status) == ("ResourceNotFoundException", 404)
    assert msg.startswith("Function not found: arn:aws:lambda:us-east-1:")


# ---------------------------------------------------------------------------------------------
# Faults: each gets AWS's outcome, and the same function answers normally afterwards


def assert_recovers(lam, name, fresh):
    body = ok(lam, name, {"action": "echo", "after": "fault"})
    assert body["event"]["after"] == "fault"
    if fresh:
        # The failed environment was replaced: module state starts over.
        assert body["count"] == 1, body


def test_fault_handler_raises(lam, fns):
    name = fns.create("python", handler="handler.dispatch")["FunctionName"]
    r = invoke(lam, name, {"action": "fail", "message": "bad input"})
    assert r.status == 200 and r.function_error == "Unhandled", r
    err = r.json
    assert (err["errorType"], err["errorMessage"]) == ("ValueError", "bad input")
    assert set(err) <= {"errorType", "errorMessage", "stackTrace", "requestId"}, err
    if "requestId" in err:
        assert err["requestId"] == r.request_id
    assert_recovers(lam, name, fresh=False)


def test_fault_exit_mid_invocation(lam, fns):
    name = fns.create("python", handler="handler.dispatch")["FunctionName"]
    ok(lam, name)
    r = invoke(lam, name, {"action": "exit_mid"})
    assert r.status == 200 and r.function_error == "Unhandled", r
    err = r.json
    assert err["errorType"] == "Runtime.ExitError"
    assert "Runtime exited with error: exit status 1" in err["errorMessage"]
    assert_recovers(lam, name, fresh=True)


def test_fault_timeout(lam, fns):
    name = fns.create("python", handler="handler.dispatch", timeout=1)["FunctionName"]
    r = invoke(lam, name, {"action": "sleep", "seconds": 3})
    assert r.status == 200 and r.function_error == "Unhandled", r
    assert r.json["errorMessage"].endswith(TIMEOUT_SUFFIX.format(1)), r.json
    assert r.elapsed < 2.9, f"the invocation should end at the 1 s timeout, took {r.elapsed:.2f} s"
    assert_recovers(lam, name, fresh=True)


def test_fault_out_of_memory(lam, fns):
    name = fns.create("python", handler="handler.dispatch", memory=128, timeout=30)["FunctionName"]
    r = invoke(lam, name, {"action": "hog", "mb": 300})
    assert r.status == 200 and r.function_error == "Unhandled", r
    assert r.json["errorType"] in ("Runtime.OutOfMemory", "Runtime.ExitError"), r.json
    assert_recovers(lam, name, fresh=True)


def test_fault_ten_megabytes_of_logs(lam, fns):
    name = fns.create("python", handler="handler.dispatch", timeout=60)["FunctionName"]
    r = invoke(lam, name, {"action": "noisy", "mb": 10}, LogType="Tail")
    assert r.status == 200 and r.function_error is None, r
    assert r.json == {"printed_mb": 10}
    # LogResult holds only the last 4 KB of the log.
    tail = base64.b64decode(r.log_result)
    assert 0 < len(tail) <= 4096
    assert b"REPORT RequestId: " + r.request_id.encode() in tail
    assert_recovers(lam, name, fresh=False)


def test_fault_response_too_large(lam, fns):
    name = fns.create("python", handler="handler.dispatch", memory=512)["FunctionName"]
    r = invoke(lam, name, {"action": "big", "bytes": 7 * 1024 * 1024})
    assert r.status == 200 and r.function_error == "Unhandled", r
    assert r.json == {"errorType": "Function.ResponseSizeTooLarge", "errorMessage": RESPONSE_TOO_LARGE}
    # Just under the limit is fine (6 MB of JSON string including its quotes).
    r = invoke(lam, name, {"action": "big", "bytes": 6 * 1024 * 1024 - 2})
    assert r.function_error is None and len(r.body) == 6 * 1024 * 1024, r
    assert_recovers(lam, name, fresh=False)


def test_fault_request_too_large(lam, fns):
    name = fns.create("python", handler="handler.dispatch")["FunctionName"]
    payload = json.dumps({"blob": "x" * (7 * 1024 * 1024)}).encode()
    with pytest.raises(ClientError) as e:
        invoke(lam, name, raw=payload)
    code, msg, status = error_of(e)
    # The model names it RequestTooLargeException; AWS's wire code is RequestEntityTooLargeException.
    assert status == 413 and code in ("RequestTooLargeException", "RequestEntityTooLargeException"), (code, msg)
    assert msg == REQUEST_TOO_LARGE
    assert_recovers(lam, name, fresh=True)


def test_reserved_concurrency_zero_throttles(lam, fns):
    name = fns.create("python")["FunctionName"]
    lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=0)
    assert lam.get_function_concurrency(FunctionName=name)["ReservedConcurrentExecutions"] == 0
    with pytest.raises(ClientError) as e:
        invoke(lam, name, {})
    code, msg, status = error_of(e)
    assert (code, status) == ("TooManyRequestsException", 429)
    assert msg == "Rate Exceeded."
    assert e.value.response.get("Reason") == THROTTLE_REASON
    lam.delete_function_concurrency(FunctionName=name)
    assert ok(lam, name)["count"] == 1


# ---------------------------------------------------------------------------------------------
# The function talks to other services; its output reaches CloudWatch Logs


def test_python_function_calls_dynamodb_without_endpoint(lam, fns, ddb, table):
    name = fns.create("python", handler="handler.dynamo", timeout=30)["FunctionName"]
    pk = uuid.uuid4().hex
    r = invoke(lam, name, {"table": table, "pk": pk})
    assert r.function_error is None, r
    body = r.json
    assert body["item"]["pk"] == {"S": pk} and body["item"]["from"] == {"S": name}
    # The item is in Lamina's DynamoDB, the one the test sees.
    item = ddb.get_item(TableName=table, Key={"pk": {"S": pk}}, ConsistentRead=True)["Item"]
    assert item["from"] == {"S": name} and item["request"] == {"S": r.request_id}


def test_cloudwatch_logs_receive_function_output(lam, fns, logs):
    name = fns.create("python")["FunctionName"]
    group = f"/aws/lambda/{name}"
    marker = uuid.uuid4().hex
    r = invoke(lam, name, {"marker": marker})
    assert r.function_error is None, r

    def marker_events():
        try:
            return logs.filter_log_events(logGroupName=group, filterPattern=f'"{marker}"')["events"]
        except ClientError as e:
            if e.response["Error"]["Code"] == "ResourceNotFoundException":
                return None
            raise

    events = poll(marker_events, timeout=15, what=f"the marker in {group}")
    assert any(f"echo marker {marker}" in ev["message"] for ev in events), events
    stream = events[0]["logStreamName"]
    assert stream
    streams = logs.describe_log_streams(logGroupName=group)["logStreams"]
    assert stream in [s["logStreamName"] for s in streams]
    assert group in [g["logGroupName"] for g in logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"]]

    def report_events():
        evs = logs.filter_log_events(logGroupName=group, filterPattern='"REPORT RequestId"')["events"]
        return [ev for ev in evs if r.request_id in ev["message"]]

    reports = poll(report_events, timeout=15, what="the REPORT line")
    assert REPORT_RE.search(reports[0]["message"]), reports[0]["message"]
    assert reports[0]["timestamp"] >= int(time.time() * 1000) - 600_000


# ---------------------------------------------------------------------------------------------
# Isolation: what a function may see and do (Lamina reports its layers in /_lamina/health)


def _isolation_layers(endpoint):
    import urllib.request
    with urllib.request.urlopen(f"{endpoint}/_lamina/health") as r:
        health = json.loads(r.read())
    return health["services"]["lambda"]["details"]["isolation"]


def test_health_lists_isolation_layers(endpoint):
    iso = _isolation_layers(endpoint)
    for layer in ("namespaces", "seccomp", "cgroups"):
        assert isinstance(iso[layer]["active"], bool), iso
        # a layer that is off says why
        assert iso[layer]["active"] or iso[layer]["reason"], iso
    assert isinstance(iso["read_only_root"], bool) and iso["private_tmp"]
    if iso["seccomp"]["active"]:
        assert {"mount", "umount2", "reboot", "kexec_load", "init_module", "ptrace", "keyctl",
                "bpf", "perf_event_open", "swapon"} <= set(iso["seccomp"]["denied"])


def test_function_is_isolated(endpoint, lam, fns):
    iso = _isolation_layers(endpoint)
    if not (iso["namespaces"]["active"] and iso["seccomp"]["active"]):
        pytest.skip(f"isolation layers not available on this host: {iso}")
    name = fns.create("python", handler="handler.isolation", timeout=10)["FunctionName"]
    first = ok(lam, name)
    # its own pid namespace: the runtime is pid 1 and sees only its own processes
    assert first["pid"] == 1, first
    assert first["procs"] == [1], first
    # a read-only root and task root; /tmp is writable, empty at start
    assert first["write_root"] == "EROFS", first
    assert first["write_etc"] == "EROFS", first
    assert first["write_task_root"] == "EROFS", first
    assert first["tmp_before"] == [], first
    # denied syscalls fail with EPERM
    assert (first["mount"], first["umount2"], first["swapon"]) == ("EPERM", "EPERM", "EPERM"), first
    # warm: the same environment keeps its /tmp
    assert ok(lam, name)["tmp_before"] == ["isolation-mark"]
    # a new environment (configuration changed) starts with an empty /tmp of its own
    lam.update_function_configuration(FunctionName=name, Environment={"Variables": {"MARK": "2"}})
    lam.get_waiter("function_updated_v2").wait(FunctionName=name)
    assert ok(lam, name)["tmp_before"] == []
    # and nothing reached the host
    assert not os.path.exists("/isolation-escape")
    assert not os.path.exists("/tmp/isolation-mark")
