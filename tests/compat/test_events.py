"""EventBridge with boto3: rules, targets, buses, tags, PutEvents pattern matching delivered
to SQS (directly and through SNS), the scheduler firing a rate(1 minute) rule into SQS, and
rules/targets surviving a restart."""
import json
import time
import uuid

import pytest
from botocore.exceptions import ClientError

from conftest import make_client


def uid(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def err(e):
    return e.value.response["Error"]["Code"], e.value.response["Error"]["Message"]


def queue(sqs, name=None):
    url = sqs.create_queue(QueueName=name or uid("evq"))["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return url, arn


def receive(sqs, url, want=1, timeout=10):
    got = []
    deadline = time.time() + timeout
    while len(got) < want and time.time() < deadline:
        r = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        for m in r.get("Messages", []):
            got.append(json.loads(m["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    return got


def test_rule_crud(client):
    ev = client("events")
    name = uid("rule")
    pattern = json.dumps({"source": ["com.shop"]})
    arn = ev.put_rule(Name=name, EventPattern=pattern, Description="d")["RuleArn"]
    assert arn == f"arn:aws:events:us-east-1:{arn.split(':')[4]}:rule/{name}"
    d = ev.describe_rule(Name=name)
    assert d["Name"] == name and d["Arn"] == arn and d["State"] == "ENABLED"
    assert d["EventPattern"] == pattern and d["Description"] == "d"
    assert d["EventBusName"] == "default"
    assert "ScheduleExpression" not in d
    ev.disable_rule(Name=name)
    assert ev.describe_rule(Name=name)["State"] == "DISABLED"
    ev.enable_rule(Name=name)
    assert ev.describe_rule(Name=name)["State"] == "ENABLED"
    # PutRule again updates in place and keeps the ARN.
    assert ev.put_rule(Name=name, ScheduleExpression="cron(0 12 ? * MON-FRI *)", State="DISABLED")["RuleArn"] == arn
    d = ev.describe_rule(Name=name)
    assert d["ScheduleExpression"] == "cron(0 12 ? * MON-FRI *)" and d["State"] == "DISABLED"
    assert "EventPattern" not in d
    ev.delete_rule(Name=name)
    with pytest.raises(ClientError) as e:
        ev.describe_rule(Name=name)
    assert err(e) == ("ResourceNotFoundException", f"Rule {name} does not exist on EventBus default.")
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    # Deleting a rule that is gone succeeds, as on AWS.
    ev.delete_rule(Name=name)


def test_put_rule_refusals(client):
    ev = client("events")
    name = uid("bad")
    with pytest.raises(ClientError) as e:
        ev.put_rule(Name=name)
    assert err(e)[0] == "ValidationException"
    for expr in ["rate(1 minutes)", "rate(5 minute)", "rate(0 minutes)", "cron(0 12 * * * *)",
                 "cron(0 12 * * ?)", "cron(0 25 * * ? *)", "every day"]:
        with pytest.raises(ClientError) as e:
            ev.put_rule(Name=name, ScheduleExpression=expr)
        assert err(e) == ("ValidationException", "Parameter ScheduleExpression is not valid."), expr
    for pat in ["not json", '{"source": "x"}', '{"source": []}', '{"a": [{"numeric": [">"]}]}',
                '{"a": [{"bogus": 1}]}']:
        with pytest.raises(ClientError) as e:
            ev.put_rule(Name=name, EventPattern=pat)
        code, msg = err(e)
        assert code == "InvalidEventPatternException", pat
        assert msg.startswith("Event pattern is not valid. Reason: "), msg
    with pytest.raises(ClientError) as e:
        ev.put_rule(Name=name, EventPattern='{"source": ["x"]}', EventBusName="no-such-bus")
    assert err(e) == ("ResourceNotFoundException", "Event bus no-such-bus does not exist.")
    # None of that created anything.
    with pytest.raises(ClientError) as e:
        ev.describe_rule(Name=name)
    assert err(e)[0] == "ResourceNotFoundException"


def test_list_rules_prefix_and_paging(client):
    ev = client("events")
    prefix = uid("lr")
    names = [f"{prefix}-{i:02d}" for i in range(5)]
    for n in names:
        ev.put_rule(Name=n, ScheduleExpression="rate(1 day)", State="DISABLED")
    ev.put_rule(Name=uid("other"), EventPattern='{"source": ["x"]}')
    seen, token = [], None
    while True:
        kw = {"NextToken": token} if token else {}
        r = ev.list_rules(NamePrefix=prefix, Limit=2, **kw)
        assert len(r["Rules"]) <= 2
        seen += [x["Name"] for x in r["Rules"]]
        token = r.get("NextToken")
        if not token:
            break
    assert seen == names
    r = ev.list_rules(NamePrefix=prefix)
    assert r["Rules"][0]["ScheduleExpression"] == "rate(1 day)"
    assert r["Rules"][0]["State"] == "DISABLED"
    with pytest.raises(ClientError) as e:
        ev.list_rules(NextToken="garbage")
    assert err(e)[0] == "ValidationException"
    for n in names:
        ev.delete_rule(Name=n)


def test_targets_crud_and_delete_refused(client):
    ev, sqs = client("events"), client("sqs")
    _, qarn = queue(sqs)
    name = uid("tr")
    ev.put_rule(Name=name, EventPattern='{"source": ["t"]}')
    r = ev.put_targets(Rule=name, Targets=[
        {"Id": "q", "Arn": qarn, "InputPath": "$.detail"},
        {"Id": "f", "Arn": "arn:aws:lambda:us-east-1:000000000000:function:fn", "Input": '{"k": 1}'},
        {"Id": "sm", "Arn": "arn:aws:states:us-east-1:000000000000:stateMachine:s"},
    ])
    assert r["FailedEntryCount"] == 1
    assert r["FailedEntries"][0]["TargetId"] == "sm"
    assert r["FailedEntries"][0]["ErrorCode"]
    t = ev.list_targets_by_rule(Rule=name)["Targets"]
    assert [(x["Id"], x["Arn"]) for x in t] == [("q", qarn), ("f", "arn:aws:lambda:us-east-1:000000000000:function:fn")]
    assert t[0]["InputPath"] == "$.detail" and t[1]["Input"] == '{"k": 1}'
    # Paging.
    p1 = ev.list_targets_by_rule(Rule=name, Limit=1)
    assert [x["Id"] for x in p1["Targets"]] == ["q"]
    p2 = ev.list_targets_by_rule(Rule=name, Limit=1, NextToken=p1["NextToken"])
    assert [x["Id"] for x in p2["Targets"]] == ["f"] and "NextToken" not in p2
    # Putting a target with the same Id replaces it.
    ev.put_targets(Rule=name, Targets=[{"Id": "q", "Arn": qarn}])
    t = ev.list_targets_by_rule(Rule=name)["Targets"]
    assert len(t) == 2 and "InputPath" not in t[0]
    # Bad input changes nothing.
    with pytest.raises(ClientError) as e:
        ev.put_targets(Rule=name, Targets=[{"Id": "x", "Arn": qarn, "Input": "{}", "InputPath": "$"}])
    assert err(e)[0] == "ValidationException"
    with pytest.raises(ClientError) as e:
        ev.put_targets(Rule=name, Targets=[{"Id": "x", "Arn": qarn, "Input": "not json"}])
    assert err(e)[0] == "ValidationException"
    with pytest.raises(ClientError) as e:
        ev.put_targets(Rule=name, Targets=[{"Id": f"n{i}", "Arn": qarn} for i in range(4)])
    assert err(e)[0] == "LimitExceededException"
    assert len(ev.list_targets_by_rule(Rule=name)["Targets"]) == 2
    with pytest.raises(ClientError) as e:
        ev.put_targets(Rule=uid("missing"), Targets=[{"Id": "q", "Arn": qarn}])
    assert err(e)[0] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as e:
        ev.list_targets_by_rule(Rule=uid("missing"))
    assert err(e)[0] == "ResourceNotFoundException"
    # A rule with targets cannot be deleted.
    with pytest.raises(ClientError) as e:
        ev.delete_rule(Name=name)
    assert err(e) == ("ValidationException", "Rule can't be deleted since it has targets.")
    assert ev.describe_rule(Name=name)["Name"] == name
    r = ev.remove_targets(Rule=name, Ids=["q", "f"])
    assert r["FailedEntryCount"] == 0
    assert ev.list_targets_by_rule(Rule=name)["Targets"] == []
    ev.delete_rule(Name=name)


def test_event_buses(client):
    ev = client("events")
    bus = uid("bus")
    arn = ev.create_event_bus(Name=bus, Description="orders")["EventBusArn"]
    assert arn.endswith(f":event-bus/{bus}")
    d = ev.describe_event_bus(Name=bus)
    assert d["Name"] == bus and d["Arn"] == arn and d["Description"] == "orders"
    assert ev.describe_event_bus()["Name"] == "default"
    with pytest.raises(ClientError) as e:
        ev.create_event_bus(Name=bus)
    assert err(e) == ("ResourceAlreadyExistsException", f"Event bus {bus} already exists.")
    names = [b["Name"] for b in ev.list_event_buses()["EventBuses"]]
    assert "default" in names and bus in names
    assert [b["Name"] for b in ev.list_event_buses(NamePrefix=bus)["EventBuses"]] == [bus]
    # Rules on a custom bus: patterns only, ARNs name the bus.
    r = ev.put_rule(Name="r1", EventBusName=bus, EventPattern='{"source": ["x"]}')["RuleArn"]
    assert r.endswith(f":rule/{bus}/r1")
    assert [x["Name"] for x in ev.list_rules(EventBusName=bus)["Rules"]] == ["r1"]
    with pytest.raises(ClientError) as e:
        ev.put_rule(Name="r2", EventBusName=bus, ScheduleExpression="rate(1 minute)")
    assert err(e)[0] == "ValidationException"
    with pytest.raises(ClientError) as e:
        ev.delete_event_bus(Name="default")
    assert err(e)[0] == "ValidationException"
    ev.delete_event_bus(Name=bus)
    with pytest.raises(ClientError) as e:
        ev.describe_event_bus(Name=bus)
    assert err(e) == ("ResourceNotFoundException", f"Event bus {bus} does not exist.")


def test_tags(client):
    ev = client("events")
    name = uid("tag")
    arn = ev.put_rule(Name=name, EventPattern='{"source": ["x"]}', Tags=[{"Key": "a", "Value": "1"}])["RuleArn"]
    assert ev.list_tags_for_resource(ResourceARN=arn)["Tags"] == [{"Key": "a", "Value": "1"}]
    ev.tag_resource(ResourceARN=arn, Tags=[{"Key": "a", "Value": "2"}, {"Key": "b", "Value": "3"}])
    tags = {t["Key"]: t["Value"] for t in ev.list_tags_for_resource(ResourceARN=arn)["Tags"]}
    assert tags == {"a": "2", "b": "3"}
    ev.untag_resource(ResourceARN=arn, TagKeys=["a"])
    assert ev.list_tags_for_resource(ResourceARN=arn)["Tags"] == [{"Key": "b", "Value": "3"}]
    with pytest.raises(ClientError) as e:
        ev.tag_resource(ResourceARN=arn.replace(name, uid("gone")), Tags=[{"Key": "a", "Value": "1"}])
    assert err(e)[0] == "ResourceNotFoundException"
    ev.delete_rule(Name=name)


def test_put_events_matches_patterns_and_delivers_to_sqs(client):
    ev, sqs = client("events"), client("sqs")
    url_all, arn_all = queue(sqs)
    url_big, arn_big = queue(sqs)
    src = uid("com.shop")
    r_all = uid("all")
    r_big = uid("big")
    ev.put_rule(Name=r_all, EventPattern=json.dumps({"source": [src]}))
    ev.put_rule(Name=r_big, EventPattern=json.dumps({
        "source": [{"prefix": src[:8]}],
        "detail-type": ["Order Placed"],
        "detail": {"amount": [{"numeric": [">=", 100]}], "state": [{"anything-but": "test"}],
                   "coupon": [{"exists": False}]},
    }))
    ev.put_targets(Rule=r_all, Targets=[{"Id": "q", "Arn": arn_all}])
    ev.put_targets(Rule=r_big, Targets=[{"Id": "q", "Arn": arn_big, "InputPath": "$.detail"}])
    entries = [
        {"Source": src, "DetailType": "Order Placed", "Detail": json.dumps({"amount": 150, "state": "paid"}),
         "Resources": ["arn:aws:s3:::b"]},
        {"Source": src, "DetailType": "Order Placed", "Detail": json.dumps({"amount": 50, "state": "paid"})},
        {"Source": src, "DetailType": "Order Placed", "Detail": json.dumps({"amount": 500, "state": "test"})},
        {"Source": src, "DetailType": "Order Placed", "Detail": json.dumps({"amount": 500, "state": "x", "coupon": "c"})},
        {"Source": "other.source", "DetailType": "Order Placed", "Detail": json.dumps({"amount": 500})},
        {"Source": src, "DetailType": "Order Placed", "Detail": "not json"},
        {"DetailType": "Order Placed", "Detail": "{}"},
    ]
    r = ev.put_events(Entries=entries)
    assert r["FailedEntryCount"] == 2
    assert all("EventId" in e for e in r["Entries"][:5])
    assert r["Entries"][5] == {"ErrorCode": "MalformedDetail", "ErrorMessage": "Detail is malformed."}
    assert r["Entries"][6]["ErrorCode"] == "InvalidArgument"
    got = receive(sqs, url_all, want=4)
    assert len(got) == 4
    first = next(g for g in got if g["detail"] == {"amount": 150, "state": "paid"})
    assert first["source"] == src and first["detail-type"] == "Order Placed"
    assert first["version"] == "0" and first["region"] == "us-east-1"
    assert first["resources"] == ["arn:aws:s3:::b"]
    assert first["id"] == r["Entries"][0]["EventId"]
    assert first["time"].endswith("Z") and "T" in first["time"]
    # Only the first event passes every condition of the second rule; InputPath sent the detail.
    assert receive(sqs, url_big, want=2, timeout=3) == [{"amount": 150, "state": "paid"}]
    # A disabled rule does not match.
    ev.disable_rule(Name=r_all)
    ev.put_events(Entries=[entries[0]])
    assert receive(sqs, url_all, want=1, timeout=2) == []
    # An unknown bus fails the entry, not the call.
    r = ev.put_events(Entries=[dict(entries[0], EventBusName="nope")])
    assert r["FailedEntryCount"] == 1 and r["Entries"][0]["ErrorCode"] == "ResourceNotFoundException"
    for n in (r_all, r_big):
        ev.remove_targets(Rule=n, Ids=["q"])
        ev.delete_rule(Name=n)


def test_put_events_custom_bus_to_sns_topic(client):
    ev, sqs, sns = client("events"), client("sqs"), client("sns")
    url, qarn = queue(sqs)
    topic = sns.create_topic(Name=uid("evt"))["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=qarn, Attributes={"RawMessageDelivery": "true"})
    bus = uid("bus")
    ev.create_event_bus(Name=bus)
    ev.put_rule(Name="to-sns", EventBusName=bus, EventPattern='{"detail": {"kind": [{"prefix": "a"}]}}')
    ev.put_targets(Rule="to-sns", EventBusName=bus, Targets=[{"Id": "t", "Arn": topic, "Input": '{"constant": true}'}])
    r = ev.put_events(Entries=[
        {"Source": "s", "DetailType": "d", "Detail": '{"kind": "abc"}', "EventBusName": bus},
        {"Source": "s", "DetailType": "d", "Detail": '{"kind": "xyz"}', "EventBusName": bus},
        # The default bus has no such rule.
        {"Source": "s", "DetailType": "d", "Detail": '{"kind": "abc"}'},
    ])
    assert r["FailedEntryCount"] == 0
    assert receive(sqs, url, want=2, timeout=8) == [{"constant": True}]
    ev.delete_event_bus(Name=bus)


def test_rate_rule_fires_into_sqs(client):
    """The scheduler itself: a rate(1 minute) rule delivers the Scheduled Event within ~70 s."""
    ev, sqs = client("events"), client("sqs")
    url, qarn = queue(sqs)
    name = uid("tick")
    arn = ev.put_rule(Name=name, ScheduleExpression="rate(1 minute)")["RuleArn"]
    ev.put_targets(Rule=name, Targets=[{"Id": "q", "Arn": qarn}])
    got = receive(sqs, url, want=1, timeout=75)
    assert len(got) == 1, "no scheduled event within 75 s"
    e = got[0]
    assert e["detail-type"] == "Scheduled Event" and e["source"] == "aws.events"
    assert e["resources"] == [arn] and e["detail"] == {}
    assert e["version"] == "0" and e["region"] == "us-east-1" and e["account"] == arn.split(":")[4]
    assert e["time"].endswith("Z") and len(e["id"]) == 36
    ev.remove_targets(Rule=name, Ids=["q"])
    ev.delete_rule(Name=name)


def test_rules_and_targets_survive_restart(lamina_server, tmp_path):
    s = lamina_server(data_dir=tmp_path)
    ev = make_client("events", s.url)
    ev.put_rule(Name="keep", EventPattern='{"source": ["x"]}', Tags=[{"Key": "k", "Value": "v"}])
    ev.put_targets(Rule="keep", Targets=[{"Id": "t", "Arn": "arn:aws:sqs:us-east-1:000000000000:q"}])
    s.stop()
    s2 = lamina_server(data_dir=tmp_path)
    ev2 = make_client("events", s2.url)
    assert ev2.describe_rule(Name="keep")["EventPattern"] == '{"source": ["x"]}'
    assert ev2.list_targets_by_rule(Rule="keep")["Targets"][0]["Id"] == "t"


def test_cloudformation_sam_schedule_and_events_rule(client):
    """A SAM function with a Schedule event and a plain AWS::Events::Rule deploy with
    create_stack; the schedule invokes the function (its log shows the Scheduled Event), the
    pattern rule delivers to the stack's queue, and deleting the stack removes both rules."""
    cfn, ev, sqs, logs = client("cloudformation"), client("events"), client("sqs"), client("logs")
    stack = uid("evstack")
    template = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Transform": "AWS::Serverless-2016-10-31",
        "Resources": {
            "Ticker": {
                "Type": "AWS::Serverless::Function",
                "Properties": {
                    "Runtime": "python3.12",
                    "Handler": "index.handler",
                    "InlineCode": "import json\ndef handler(event, context):\n    print('EVENT ' + json.dumps(event))\n    return 'ok'\n",
                    "Events": {"Every": {"Type": "Schedule", "Properties": {"Schedule": "rate(1 minute)"}}},
                },
            },
            "Inbox": {"Type": "AWS::SQS::Queue"},
            "Orders": {
                "Type": "AWS::Events::Rule",
                "Properties": {
                    "EventPattern": {"source": ["cfn.test"], "detail": {"n": [{"numeric": [">", 1]}]}},
                    "Targets": [{"Id": "inbox", "Arn": {"Fn::GetAtt": ["Inbox", "Arn"]}}],
                },
            },
        },
        "Outputs": {
            "RuleName": {"Value": {"Ref": "Orders"}},
            "RuleArn": {"Value": {"Fn::GetAtt": ["Orders", "Arn"]}},
            "QueueUrl": {"Value": {"Ref": "Inbox"}},
            "Fn": {"Value": {"Ref": "Ticker"}},
        },
    }
    cfn.create_stack(StackName=stack, TemplateBody=json.dumps(template), Capabilities=["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"])
    cfn.get_waiter("stack_create_complete").wait(StackName=stack, WaiterConfig={"Delay": 1, "MaxAttempts": 120})
    s = cfn.describe_stacks(StackName=stack)["Stacks"][0]
    out = {o["OutputKey"]: o["OutputValue"] for o in s["Outputs"]}
    res = {r["LogicalResourceId"]: r for r in cfn.describe_stack_resources(StackName=stack)["StackResources"]}
    assert res["TickerEvery"]["ResourceType"] == "AWS::Events::Rule"
    assert res["TickerEveryPermission"]["ResourceType"] == "AWS::Lambda::Permission"
    sched = ev.describe_rule(Name=res["TickerEvery"]["PhysicalResourceId"])
    assert sched["ScheduleExpression"] == "rate(1 minute)" and sched["State"] == "ENABLED"
    fn_arn = client("lambda").get_function(FunctionName=out["Fn"])["Configuration"]["FunctionArn"]
    targets = ev.list_targets_by_rule(Rule=sched["Name"])["Targets"]
    assert [t["Arn"] for t in targets] == [fn_arn]
    # The plain rule: Ref is its name, GetAtt Arn its ARN.
    assert ev.describe_rule(Name=out["RuleName"])["Arn"] == out["RuleArn"]
    ev.put_events(Entries=[
        {"Source": "cfn.test", "DetailType": "t", "Detail": '{"n": 2}'},
        {"Source": "cfn.test", "DetailType": "t", "Detail": '{"n": 0}'},
    ])
    got = receive(sqs, out["QueueUrl"], want=2, timeout=5)
    assert [g["detail"] for g in got] == [{"n": 2}]
    # The schedule invokes the function within ~70 s.
    group = f"/aws/lambda/{out['Fn']}"
    seen = None
    deadline = time.time() + 80
    while time.time() < deadline and not seen:
        try:
            evs = logs.filter_log_events(logGroupName=group, filterPattern='"Scheduled Event"')["events"]
        except ClientError:
            evs = []
        seen = next((e["message"] for e in evs if e["message"].startswith("EVENT ")), None)
        if not seen:
            time.sleep(2)
    assert seen, "the scheduled rule did not invoke the function within 80 s"
    event = json.loads(seen[len("EVENT "):])
    assert event["detail-type"] == "Scheduled Event" and event["resources"] == [sched["Arn"]]
    cfn.delete_stack(StackName=stack)
    cfn.get_waiter("stack_delete_complete").wait(StackName=stack, WaiterConfig={"Delay": 1, "MaxAttempts": 120})
    for name in (sched["Name"], out["RuleName"]):
        with pytest.raises(ClientError) as e:
            ev.describe_rule(Name=name)
        assert err(e)[0] == "ResourceNotFoundException"
