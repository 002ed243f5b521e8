"""CloudFormation API beyond the main life cycle, through boto3 against a fresh server of its
own (so that counts are exact): NextToken paging of DescribeStacks, ListStacks,
DescribeStackEvents, ListStackResources, ListChangeSets and ListExports with boto3's
paginators; termination protection; stack policies; CancelUpdateStack and
ContinueUpdateRollback outside their states; the four waiters the CLI and SDKs use."""
import json
import uuid

import pytest
from botocore.exceptions import ClientError

from conftest import make_client

WAIT = {"Delay": 1, "MaxAttempts": 60}
PAGE = 100


@pytest.fixture
def cfn(lamina_server):
    server = lamina_server()
    c = make_client("cloudformation", server.url)
    c.url = server.url
    return c


def params(n, prefix, outputs=False):
    """A template of n SSM parameters (each one resource), optionally each exported."""
    t = {"Resources": {f"P{i:03d}": {"Type": "AWS::SSM::Parameter",
                                     "Properties": {"Name": f"/{prefix}/{i}", "Type": "String",
                                                    "Value": str(i)}}
                       for i in range(n)}}
    if outputs:
        t["Outputs"] = {f"O{i:03d}": {"Value": {"Ref": f"P{i:03d}"},
                                      "Export": {"Name": f"{prefix}-export-{i:03d}"}}
                        for i in range(n)}
    return json.dumps(t)


def pages(cfn, op, key, **kw):
    """Every page of a paginated operation through boto3's paginator: (sizes, items)."""
    sizes, items = [], []
    for page in cfn.get_paginator(op).paginate(**kw):
        sizes.append(len(page[key]))
        items += page[key]
    return sizes, items


def test_paging_of_stacks_events_resources_change_sets_and_exports(cfn):
    prefix = uuid.uuid4().hex[:8]
    # One stack with 101 resources, each exported: 101 resource summaries, 101 exports and
    # 2 + 2 * 101 events.
    big = f"big-{prefix}"
    cfn.create_stack(StackName=big, TemplateBody=params(PAGE + 1, prefix, outputs=True))
    cfn.get_waiter("stack_create_complete").wait(StackName=big, WaiterConfig=WAIT)

    sizes, res = pages(cfn, "list_stack_resources", "StackResourceSummaries", StackName=big)
    assert sizes == [PAGE, 1]
    assert sorted(r["LogicalResourceId"] for r in res) == [f"P{i:03d}" for i in range(PAGE + 1)]

    sizes, events = pages(cfn, "describe_stack_events", "StackEvents", StackName=big)
    assert sizes == [PAGE, PAGE, 4]
    assert len({e["EventId"] for e in events}) == 2 * (PAGE + 1) + 2
    # Newest first across pages: the last event of the last page is the stack's first.
    assert (events[0]["LogicalResourceId"], events[0]["ResourceStatus"]) == (big, "CREATE_COMPLETE")
    assert (events[-1]["LogicalResourceId"], events[-1]["ResourceStatus"]) == (big, "CREATE_IN_PROGRESS")

    sizes, exports = pages(cfn, "list_exports", "Exports")
    assert sizes == [PAGE, 1]
    assert sorted(e["Name"] for e in exports) == [f"{prefix}-export-{i:03d}" for i in range(PAGE + 1)]

    # A page by hand: the token leads on, a bad token is refused.
    first = cfn.list_exports()
    assert len(first["Exports"]) == PAGE and first["NextToken"]
    second = cfn.list_exports(NextToken=first["NextToken"])
    assert len(second["Exports"]) == 1 and "NextToken" not in second
    with pytest.raises(ClientError) as e:
        cfn.list_exports(NextToken="not a token")
    assert e.value.response["Error"]["Code"] == "ValidationError"

    # 101 change sets on one stack.
    for i in range(PAGE + 1):
        cfn.create_change_set(StackName=big, ChangeSetName=f"cs{i:03d}",
                              TemplateBody=params(PAGE + 1, prefix + "x"))
    sizes, sets = pages(cfn, "list_change_sets", "Summaries", StackName=big)
    assert sizes == [PAGE, 1]
    assert sorted(s["ChangeSetName"] for s in sets) == [f"cs{i:03d}" for i in range(PAGE + 1)]

    # 101 more stacks (102 in all): DescribeStacks and ListStacks page by 100.
    for i in range(PAGE + 1):
        cfn.create_stack(StackName=f"small-{prefix}-{i:03d}", TemplateBody=params(1, f"{prefix}/s{i}"))
    sizes, stacks = pages(cfn, "describe_stacks", "Stacks")
    assert sizes == [PAGE, 2]
    assert len({s["StackId"] for s in stacks}) == PAGE + 2
    sizes, summaries = pages(cfn, "list_stacks", "StackSummaries")
    assert sizes == [PAGE, 2]
    # A filter applies before paging.
    cfn.delete_stack(StackName=f"small-{prefix}-000")
    cfn.get_waiter("stack_delete_complete").wait(StackName=f"small-{prefix}-000", WaiterConfig=WAIT)
    sizes, deleted = pages(cfn, "list_stacks", "StackSummaries", StackStatusFilter=["DELETE_COMPLETE"])
    assert sizes == [1] and deleted[0]["StackName"] == f"small-{prefix}-000"
    sizes, stacks = pages(cfn, "describe_stacks", "Stacks")
    assert sizes == [PAGE, 1]


def test_termination_protection(cfn):
    name = f"tp-{uuid.uuid4().hex[:8]}"
    sid = cfn.create_stack(StackName=name, TemplateBody=params(1, name),
                           EnableTerminationProtection=True)["StackId"]
    cfn.get_waiter("stack_create_complete").wait(StackName=name, WaiterConfig=WAIT)
    assert cfn.describe_stacks(StackName=name)["Stacks"][0]["EnableTerminationProtection"] is True
    with pytest.raises(ClientError) as e:
        cfn.delete_stack(StackName=name)
    err = e.value.response["Error"]
    assert (err["Code"], err["Message"]) == (
        "ValidationError", f"Stack [{name}] cannot be deleted while TerminationProtection is enabled")
    assert cfn.describe_stacks(StackName=name)["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE"
    out = cfn.update_termination_protection(StackName=name, EnableTerminationProtection=False)
    assert out["StackId"] == sid
    assert cfn.describe_stacks(StackName=name)["Stacks"][0]["EnableTerminationProtection"] is False
    cfn.delete_stack(StackName=name)
    cfn.get_waiter("stack_delete_complete").wait(StackName=name, WaiterConfig=WAIT)
    with pytest.raises(ClientError) as e:
        cfn.update_termination_protection(StackName=name, EnableTerminationProtection=True)
    assert e.value.response["Error"]["Message"] == f"Stack with id {name} does not exist"


def test_stack_policies_are_stored(cfn):
    name = f"pol-{uuid.uuid4().hex[:8]}"
    deny = json.dumps({"Statement": [{"Effect": "Deny", "Action": "Update:*", "Principal": "*",
                                      "Resource": "LogicalResourceId/P000"}]})
    allow = json.dumps({"Statement": [{"Effect": "Allow", "Action": "Update:*", "Principal": "*",
                                       "Resource": "*"}]})
    cfn.create_stack(StackName=name, TemplateBody=params(1, name), StackPolicyBody=deny)
    cfn.get_waiter("stack_create_complete").wait(StackName=name, WaiterConfig=WAIT)
    assert cfn.get_stack_policy(StackName=name)["StackPolicyBody"] == deny
    cfn.set_stack_policy(StackName=name, StackPolicyBody=allow)
    assert cfn.get_stack_policy(StackName=name)["StackPolicyBody"] == allow
    with pytest.raises(ClientError) as e:
        cfn.set_stack_policy(StackName=name, StackPolicyBody="{not json")
    assert e.value.response["Error"]["Code"] == "ValidationError"
    assert cfn.get_stack_policy(StackName=name)["StackPolicyBody"] == allow
    other = f"nopol-{uuid.uuid4().hex[:8]}"
    cfn.create_stack(StackName=other, TemplateBody=params(1, other))
    assert "StackPolicyBody" not in cfn.get_stack_policy(StackName=other)
    with pytest.raises(ClientError) as e:
        cfn.get_stack_policy(StackName="nope-" + other)
    assert e.value.response["Error"]["Message"] == f"Stack with id nope-{other} does not exist"


def test_cancel_and_continue_outside_their_states(cfn):
    name = f"st-{uuid.uuid4().hex[:8]}"
    cfn.create_stack(StackName=name, TemplateBody=params(1, name))
    cfn.get_waiter("stack_create_complete").wait(StackName=name, WaiterConfig=WAIT)
    with pytest.raises(ClientError) as e:
        cfn.cancel_update_stack(StackName=name)
    assert e.value.response["Error"]["Message"] == \
        "CancelUpdateStack cannot be called from current stack status"
    with pytest.raises(ClientError) as e:
        cfn.continue_update_rollback(StackName=name)
    assert e.value.response["Error"]["Message"] == \
        "ContinueUpdateRollback cannot be called from current stack status"
    with pytest.raises(ClientError) as e:
        cfn.cancel_update_stack(StackName="missing-" + name)
    assert e.value.response["Error"]["Message"] == f"Stack with id missing-{name} does not exist"


def test_waiters(cfn):
    name = f"w-{uuid.uuid4().hex[:8]}"
    cs = cfn.create_change_set(StackName=name, ChangeSetName="c1", ChangeSetType="CREATE",
                               TemplateBody=params(2, name))
    cfn.get_waiter("change_set_create_complete").wait(ChangeSetName=cs["Id"], WaiterConfig=WAIT)
    cfn.execute_change_set(ChangeSetName=cs["Id"])
    cfn.get_waiter("stack_create_complete").wait(StackName=name, WaiterConfig=WAIT)
    assert cfn.describe_stacks(StackName=name)["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE"
    cfn.update_stack(StackName=name, TemplateBody=params(3, name))
    cfn.get_waiter("stack_update_complete").wait(StackName=name, WaiterConfig=WAIT)
    assert cfn.describe_stacks(StackName=name)["Stacks"][0]["StackStatus"] == "UPDATE_COMPLETE"
    cfn.delete_stack(StackName=name)
    cfn.get_waiter("stack_delete_complete").wait(StackName=name, WaiterConfig=WAIT)
    # Failure states end the waiters with an error, as on AWS.
    bad = f"wbad-{uuid.uuid4().hex[:8]}"
    cfn.create_stack(StackName=bad, TemplateBody=json.dumps({"Resources": {
        "X": {"Type": "AWS::SSM::Parameter",
              "Properties": {"Type": "String", "Value": {"Fn::GetAtt": ["Y", "Nope"]}}},
        "Y": {"Type": "AWS::SSM::Parameter", "Properties": {"Type": "String", "Value": "y"}}}}))
    with pytest.raises(Exception) as e:
        cfn.get_waiter("stack_create_complete").wait(StackName=bad, WaiterConfig=WAIT)
    assert "ROLLBACK_COMPLETE" in str(e.value)
    cs = cfn.create_change_set(StackName=bad + "x", ChangeSetName="c", ChangeSetType="CREATE",
                               TemplateBody=json.dumps({"Resources": {"F": {
                                   "Type": "AWS::IAM::Role",
                                   "Properties": {"AssumeRolePolicyDocument": {}}}}}))
    with pytest.raises(Exception) as e:
        cfn.get_waiter("change_set_create_complete").wait(ChangeSetName=cs["Id"], WaiterConfig=WAIT)
    assert "FAILED" in str(e.value)


def test_drift_detection_is_not_implemented_by_name(cfn):
    name = f"d-{uuid.uuid4().hex[:8]}"
    cfn.create_stack(StackName=name, TemplateBody=params(1, name))
    for call, kw in ((cfn.detect_stack_drift, {"StackName": name}),
                     (cfn.detect_stack_resource_drift, {"StackName": name, "LogicalResourceId": "P000"})):
        with pytest.raises(ClientError) as e:
            call(**kw)
        err = e.value.response["Error"]
        assert err["Code"] == "NotImplemented", err
        op = call.__name__.title().replace("_", "")
        assert op in err["Message"], err
