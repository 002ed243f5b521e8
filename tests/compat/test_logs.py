"""CloudWatch Logs with real clients: boto3 and the AWS CLI against a running Lamina.

What a user does: create log groups and streams, write events, read them back page by page in
both directions, search across streams with filter patterns, set retention and watch old
events go, tag groups, clean up; and what they see when they get it wrong.
"""
import json
import time
import uuid

import pytest
from botocore.exceptions import ClientError

DAY = 86_400_000


@pytest.fixture
def logs(client):
    return client("logs")


@pytest.fixture
def group(logs):
    name = f"/compat/{uuid.uuid4().hex[:12]}"
    logs.create_log_group(logGroupName=name)
    return name


def now_ms():
    return int(time.time() * 1000)


def error_of(excinfo):
    err = excinfo.value.response["Error"]
    return err["Code"], err.get("Message", "")


def put(logs, group, stream, *events):
    return logs.put_log_events(
        logGroupName=group,
        logStreamName=stream,
        logEvents=[{"timestamp": t, "message": m} for t, m in events],
    )


def test_group_lifecycle_and_errors(logs):
    name = f"/compat/{uuid.uuid4().hex[:12]}"
    logs.create_log_group(logGroupName=name, tags={"team": "core"})
    with pytest.raises(ClientError) as e:
        logs.create_log_group(logGroupName=name)
    assert error_of(e) == ("ResourceAlreadyExistsException", "The specified log group already exists")
    g = logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"]
    assert len(g) == 1
    g = g[0]
    assert g["logGroupName"] == name
    assert g["arn"] == f"arn:aws:logs:us-east-1:{g['arn'].split(':')[4]}:log-group:{name}:*"
    assert g["logGroupArn"] == g["arn"][:-2]
    assert g["storedBytes"] == 0 and g["metricFilterCount"] == 0
    assert g["logGroupClass"] == "STANDARD"
    assert "retentionInDays" not in g
    assert abs(g["creationTime"] - now_ms()) < 60_000
    logs.delete_log_group(logGroupName=name)
    with pytest.raises(ClientError) as e:
        logs.delete_log_group(logGroupName=name)
    assert error_of(e) == ("ResourceNotFoundException", "The specified log group does not exist.")
    assert logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"] == []


def test_describe_groups_pattern_and_pagination(logs):
    base = f"/compat/{uuid.uuid4().hex[:12]}"
    names = [f"{base}/svc-{i}" for i in range(7)]
    for n in names:
        logs.create_log_group(logGroupName=n)
    first = logs.describe_log_groups(logGroupNamePrefix=base, limit=3)
    assert [g["logGroupName"] for g in first["logGroups"]] == names[:3]
    assert "nextToken" in first
    pages = logs.get_paginator("describe_log_groups").paginate(
        logGroupNamePrefix=base, PaginationConfig={"PageSize": 2})
    seen = [g["logGroupName"] for p in pages for g in p["logGroups"]]
    assert seen == names
    tag = base.split("/")[-1].upper()
    found = logs.describe_log_groups(logGroupNamePattern=tag)["logGroups"]
    assert [g["logGroupName"] for g in found] == names
    with pytest.raises(ClientError) as e:
        logs.describe_log_groups(logGroupNamePrefix=base, logGroupNamePattern="x")
    assert error_of(e)[0] == "InvalidParameterException"


def test_streams_describe_order_and_pages(logs, group):
    for s in ["b", "a", "c", "d"]:
        logs.create_log_stream(logGroupName=group, logStreamName=s)
    with pytest.raises(ClientError) as e:
        logs.create_log_stream(logGroupName=group, logStreamName="a")
    assert error_of(e) == ("ResourceAlreadyExistsException", "The specified log stream already exists")
    with pytest.raises(ClientError) as e:
        logs.create_log_stream(logGroupName=group + "-missing", logStreamName="a")
    assert error_of(e) == ("ResourceNotFoundException", "The specified log group does not exist.")
    t = now_ms()
    put(logs, group, "c", (t - 4000, "c"))
    put(logs, group, "a", (t - 1000, "aaaa"))
    put(logs, group, "b", (t - 3000, "b"))
    put(logs, group, "d", (t - 2000, "d"))
    streams = logs.describe_log_streams(logGroupName=group)["logStreams"]
    assert [s["logStreamName"] for s in streams] == ["a", "b", "c", "d"]
    a = streams[0]
    assert a["firstEventTimestamp"] == a["lastEventTimestamp"] == t - 1000
    assert a["storedBytes"] == 4
    assert a["arn"].endswith(f":log-group:{group}:log-stream:a")
    assert a["lastIngestionTime"] >= t - 1000
    by_time = logs.describe_log_streams(logGroupName=group, orderBy="LastEventTime", descending=True)
    assert [s["logStreamName"] for s in by_time["logStreams"]] == ["a", "d", "b", "c"]
    pages = logs.get_paginator("describe_log_streams").paginate(
        logGroupName=group, orderBy="LastEventTime", PaginationConfig={"PageSize": 3})
    assert [s["logStreamName"] for p in pages for s in p["logStreams"]] == ["c", "b", "d", "a"]
    assert [s["logStreamName"] for s in logs.describe_log_streams(
        logGroupName=group, logStreamNamePrefix="c")["logStreams"]] == ["c"]
    with pytest.raises(ClientError) as e:
        logs.describe_log_streams(logGroupName=group, orderBy="LastEventTime", logStreamNamePrefix="a")
    assert error_of(e) == ("InvalidParameterException", "Cannot order by LastEventTime with a logStreamNamePrefix.")
    logs.delete_log_stream(logGroupName=group, logStreamName="a")
    with pytest.raises(ClientError) as e:
        logs.delete_log_stream(logGroupName=group, logStreamName="a")
    assert error_of(e) == ("ResourceNotFoundException", "The specified log stream does not exist.")
    g = logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]
    assert g["storedBytes"] == 3


def test_put_log_events_rules(logs, group):
    logs.create_log_stream(logGroupName=group, logStreamName="s")
    t = now_ms()
    r = put(logs, group, "s", (t, "one"))
    assert "rejectedLogEventsInfo" not in r
    r = put(logs, group, "s", (t - 20 * DAY, "ancient"), (t - 15 * DAY, "old"), (t, "two"),
            (t + 3 * 3600_000, "future"))
    assert r["rejectedLogEventsInfo"] == {"tooOldLogEventEndIndex": 1, "tooNewLogEventStartIndex": 3}
    with pytest.raises(ClientError) as e:
        put(logs, group, "s", (t, "b"), (t - 1, "a"))
    assert error_of(e) == ("InvalidParameterException",
                           "Log events in a single PutLogEvents request must be in chronological order.")
    with pytest.raises(ClientError) as e:
        put(logs, group, "nope", (t, "x"))
    assert error_of(e) == ("ResourceNotFoundException", "The specified log stream does not exist.")
    with pytest.raises(ClientError) as e:
        put(logs, group + "-missing", "s", (t, "x"))
    assert error_of(e) == ("ResourceNotFoundException", "The specified log group does not exist.")
    big = "x" * 600_000
    with pytest.raises(ClientError) as e:
        put(logs, group, "s", (t, big), (t, big))
    assert error_of(e)[0] == "InvalidParameterException"
    # 10,000 events in one call are fine; the model refuses 10,001
    r = put(logs, group, "s", *[(t, f"m{i}") for i in range(10_000)])
    assert "rejectedLogEventsInfo" not in r
    events = logs.get_log_events(logGroupName=group, logStreamName="s", startFromHead=True)["events"]
    assert [e["message"] for e in events[:2]] == ["one", "two"]
    assert all(e["ingestionTime"] >= t - 1000 for e in events)


def test_get_log_events_tokens(logs, group):
    logs.create_log_stream(logGroupName=group, logStreamName="s")
    t = now_ms() - 60_000
    put(logs, group, "s", *[(t + i, f"e{i}") for i in range(10)])
    r = logs.get_log_events(logGroupName=group, logStreamName="s", limit=4)
    assert [e["message"] for e in r["events"]] == ["e6", "e7", "e8", "e9"]
    assert r["nextForwardToken"].startswith("f/") and r["nextBackwardToken"].startswith("b/")
    end = logs.get_log_events(logGroupName=group, logStreamName="s", limit=4, nextToken=r["nextForwardToken"])
    assert end["events"] == [] and end["nextForwardToken"] == r["nextForwardToken"]
    back, token = [], r["nextBackwardToken"]
    while True:
        p = logs.get_log_events(logGroupName=group, logStreamName="s", limit=4, nextToken=token)
        if not p["events"]:
            assert p["nextBackwardToken"] == token
            break
        back = [e["message"] for e in p["events"]] + back
        token = p["nextBackwardToken"]
    assert back == [f"e{i}" for i in range(6)]
    fwd, token = [], None
    for _ in range(10):
        kw = {"nextToken": token} if token else {"startFromHead": True}
        p = logs.get_log_events(logGroupName=group, logStreamName="s", limit=3, **kw)
        if p["nextForwardToken"] == token:
            break
        fwd += [e["message"] for e in p["events"]]
        token = p["nextForwardToken"]
    assert fwd == [f"e{i}" for i in range(10)]
    put(logs, group, "s", (now_ms(), "late"))
    p = logs.get_log_events(logGroupName=group, logStreamName="s", nextToken=token)
    assert [e["message"] for e in p["events"]] == ["late"]
    p = logs.get_log_events(logGroupName=group, logStreamName="s", startTime=t + 2, endTime=t + 5,
                            startFromHead=True)
    assert [e["message"] for e in p["events"]] == ["e2", "e3", "e4"]
    arn = logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]["logGroupArn"]
    p = logs.get_log_events(logGroupIdentifier=arn, logStreamName="s", limit=1)
    assert [e["message"] for e in p["events"]] == ["late"]


def test_filter_log_events_patterns_and_pages(logs, group):
    for s in ["web-1", "web-2", "db"]:
        logs.create_log_stream(logGroupName=group, logStreamName=s)
    t = now_ms() - 60_000
    put(logs, group, "web-1", (t, "ERROR disk full"),
        (t + 2, json.dumps({"level": "ERROR", "latency": 250, "user": {"id": "u-1"}})))
    put(logs, group, "web-2", (t + 1, "INFO all good"),
        (t + 3, json.dumps({"level": "INFO", "latency": 50, "tags": ["a", "b"], "retry": True})))
    put(logs, group, "db", (t + 4, '10.0.0.1 - bob "GET /x HTTP/1.1" 404 512'))

    def msgs(**kw):
        return [e["message"] for e in logs.filter_log_events(logGroupName=group, **kw)["events"]]

    everything = logs.filter_log_events(logGroupName=group)
    assert [e["logStreamName"] for e in everything["events"]] == ["web-1", "web-2", "web-1", "web-2", "db"]
    assert {s["logStreamName"] for s in everything["searchedLogStreams"]} == {"web-1", "web-2", "db"}
    assert len(everything["events"][0]["eventId"]) == 56
    assert msgs(filterPattern="ERROR") == ["ERROR disk full", json.dumps({"level": "ERROR", "latency": 250, "user": {"id": "u-1"}})]
    assert msgs(filterPattern="error") == []
    assert msgs(filterPattern='"disk full"') == ["ERROR disk full"]
    assert msgs(filterPattern="ERROR -disk") == [json.dumps({"level": "ERROR", "latency": 250, "user": {"id": "u-1"}})]
    assert len(msgs(filterPattern="?INFO ?404")) == 3
    assert msgs(filterPattern='{ $.level = "ERROR" }') == [json.dumps({"level": "ERROR", "latency": 250, "user": {"id": "u-1"}})]
    assert len(msgs(filterPattern="{ $.latency > 10 }")) == 2
    assert len(msgs(filterPattern="{ $.latency > 100 || $.retry IS TRUE }")) == 2
    assert len(msgs(filterPattern='{ $.level = "INF*" && $.tags[1] = "b" }')) == 1
    assert len(msgs(filterPattern="{ $.user.id = u-* }")) == 1
    assert len(msgs(filterPattern="{ $.user NOT EXISTS }")) == 1
    assert msgs(filterPattern="[ip, id, user, request, status = 404, bytes > 100]") == [
        '10.0.0.1 - bob "GET /x HTTP/1.1" 404 512']
    assert len(msgs(logStreamNamePrefix="web")) == 4
    assert msgs(logStreamNames=["db"]) == ['10.0.0.1 - bob "GET /x HTTP/1.1" 404 512']
    assert msgs(startTime=t + 1, endTime=t + 3) == ["INFO all good",
                                                    json.dumps({"level": "ERROR", "latency": 250, "user": {"id": "u-1"}})]
    pages = logs.get_paginator("filter_log_events").paginate(logGroupName=group, PaginationConfig={"PageSize": 2})
    seen = [e["message"] for p in pages for e in p["events"]]
    assert seen == [e["message"] for e in everything["events"]]
    with pytest.raises(ClientError) as e:
        logs.filter_log_events(logGroupName=group, filterPattern="{ $.level = }")
    assert error_of(e)[0] == "InvalidParameterException"
    with pytest.raises(ClientError) as e:
        logs.filter_log_events(logGroupName=group + "-missing")
    assert error_of(e) == ("ResourceNotFoundException", "The specified log group does not exist.")


def test_retention_is_enforced(logs, group):
    logs.create_log_stream(logGroupName=group, logStreamName="s")
    t = now_ms()
    put(logs, group, "s", (t - 10 * DAY, "ten days old"), (t - 9 * DAY, "nine days old"))
    put(logs, group, "s", (t, "fresh"))
    with pytest.raises(ClientError) as e:
        logs.put_retention_policy(logGroupName=group, retentionInDays=2)
    code, msg = error_of(e)
    assert code == "InvalidParameterException" and "1, 3, 5, 7, 14, 30" in msg
    with pytest.raises(ClientError) as e:
        logs.put_retention_policy(logGroupName=group + "-missing", retentionInDays=1)
    assert error_of(e)[0] == "ResourceNotFoundException"
    logs.put_retention_policy(logGroupName=group, retentionInDays=7)
    assert logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]["retentionInDays"] == 7
    deadline = time.time() + 10
    while True:
        left = [e["message"] for e in logs.get_log_events(
            logGroupName=group, logStreamName="s", startFromHead=True)["events"]]
        if left == ["fresh"] or time.time() > deadline:
            break
        time.sleep(0.1)
    assert left == ["fresh"]
    r = put(logs, group, "s", (t - 8 * DAY, "expired"), (now_ms(), "ok"))
    assert r["rejectedLogEventsInfo"] == {"expiredLogEventEndIndex": 0}
    logs.delete_retention_policy(logGroupName=group)
    assert "retentionInDays" not in logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]


def test_tags(logs, group):
    arn = logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]["logGroupArn"]
    logs.tag_resource(resourceArn=arn, tags={"a": "1", "b": "2"})
    assert logs.list_tags_for_resource(resourceArn=arn)["tags"] == {"a": "1", "b": "2"}
    logs.untag_resource(resourceArn=arn, tagKeys=["a"])
    logs.tag_log_group(logGroupName=group, tags={"c": "3"})
    assert logs.list_tags_log_group(logGroupName=group)["tags"] == {"b": "2", "c": "3"}
    logs.untag_log_group(logGroupName=group, tags=["c"])
    assert logs.list_tags_for_resource(resourceArn=arn)["tags"] == {"b": "2"}
    with pytest.raises(ClientError) as e:
        logs.tag_resource(resourceArn=arn, tags={f"k{i}": "v" for i in range(50)})
    assert error_of(e)[0] == "TooManyTagsException"
    with pytest.raises(ClientError) as e:
        logs.list_tags_for_resource(resourceArn=arn + "-missing")
    assert error_of(e)[0] == "ResourceNotFoundException"


def test_delete_group_takes_streams_and_events(logs, group):
    logs.create_log_stream(logGroupName=group, logStreamName="s")
    put(logs, group, "s", (now_ms(), "x"))
    logs.delete_log_group(logGroupName=group)
    logs.create_log_group(logGroupName=group)
    assert logs.describe_log_streams(logGroupName=group)["logStreams"] == []
    logs.delete_log_group(logGroupName=group)


def test_model_validation(logs):
    with pytest.raises(ClientError) as e:
        logs.create_log_group(logGroupName="bad name!")
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_aws_cli(aws):
    group = f"/compat/cli-{uuid.uuid4().hex[:12]}"
    aws("logs", "create-log-group", "--log-group-name", group)
    aws("logs", "create-log-stream", "--log-group-name", group, "--log-stream-name", "s")
    t = now_ms()
    events = json.dumps([{"timestamp": t, "message": "hello from the cli"},
                         {"timestamp": t + 1, "message": json.dumps({"level": "ERROR"})}])
    aws("logs", "put-log-events", "--log-group-name", group, "--log-stream-name", "s",
        "--log-events", events)
    out = aws("logs", "get-log-events", "--log-group-name", group, "--log-stream-name", "s",
              "--start-from-head")
    assert [e["message"] for e in out["events"]] == ["hello from the cli", '{"level": "ERROR"}']
    out = aws("logs", "filter-log-events", "--log-group-name", group,
              "--filter-pattern", '{ $.level = "ERROR" }')
    assert [e["message"] for e in out["events"]] == ['{"level": "ERROR"}']
    out = aws("logs", "describe-log-groups", "--log-group-name-prefix", group)
    assert out["logGroups"][0]["logGroupName"] == group
    out = aws("logs", "describe-log-streams", "--log-group-name", group)
    assert out["logStreams"][0]["logStreamName"] == "s"
    aws("logs", "put-retention-policy", "--log-group-name", group, "--retention-in-days", "30")
    out = aws("logs", "describe-log-groups", "--log-group-name-prefix", group)
    assert out["logGroups"][0]["retentionInDays"] == 30
    rc, _, err = aws.run("logs", "create-log-group", "--log-group-name", group)
    assert rc != 0 and "ResourceAlreadyExistsException" in err
    aws("logs", "delete-log-group", "--log-group-name", group)
