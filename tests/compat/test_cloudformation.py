"""CloudFormation through boto3 and the real `aws cloudformation deploy` against the binary:
stacks of SSM parameters, SQS queues and DynamoDB tables, events, outputs and exports,
rollback on a failing resource, update in place, change sets, delete."""
import json
import os
import shutil
import subprocess
import time
import uuid

import pytest
from botocore.exceptions import ClientError
from conftest import aws_env

WAIT = {"Delay": 1, "MaxAttempts": 60}


def name(prefix="s"):
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def cfn(client):
    return client("cloudformation")


def template(param_name, value="v1", queue=True, extra=None, outputs=None):
    resources = {
        "Param": {"Type": "AWS::SSM::Parameter",
                  "Properties": {"Name": param_name, "Type": "String", "Value": value}},
    }
    if queue:
        resources["Queue"] = {"Type": "AWS::SQS::Queue", "Properties": {}}
    resources.update(extra or {})
    t = {"AWSTemplateFormatVersion": "2010-09-09", "Description": "compat", "Resources": resources}
    t["Outputs"] = outputs if outputs is not None else {
        "ParamName": {"Value": {"Ref": "Param"}},
        **({"QueueArn": {"Value": {"Fn::GetAtt": ["Queue", "Arn"]}}} if queue else {}),
    }
    return json.dumps(t)


def stack(cfn, stack_name):
    return cfn.describe_stacks(StackName=stack_name)["Stacks"][0]


def events(cfn, stack_name):
    return cfn.describe_stack_events(StackName=stack_name)["StackEvents"]


def test_create_describe_update_delete(cfn, client):
    ssm = client("ssm")
    s, p = name(), f"/cfn/{uuid.uuid4().hex[:8]}"
    sid = cfn.create_stack(StackName=s, TemplateBody=template(p), Tags=[{"Key": "team", "Value": "a"}])["StackId"]
    assert sid.startswith("arn:aws:cloudformation:us-east-1:") and f":stack/{s}/" in sid
    cfn.get_waiter("stack_create_complete").wait(StackName=s, WaiterConfig=WAIT)
    st = stack(cfn, s)
    assert st["StackStatus"] == "CREATE_COMPLETE" and st["Description"] == "compat"
    assert st["Tags"] == [{"Key": "team", "Value": "a"}]
    outs = {o["OutputKey"]: o["OutputValue"] for o in st["Outputs"]}
    assert outs["ParamName"] == p
    assert outs["QueueArn"].startswith("arn:aws:sqs:us-east-1:")
    assert ssm.get_parameter(Name=p)["Parameter"]["Value"] == "v1"
    res = {r["LogicalResourceId"]: r for r in cfn.list_stack_resources(StackName=s)["StackResourceSummaries"]}
    assert res["Param"]["ResourceStatus"] == "CREATE_COMPLETE" and res["Param"]["PhysicalResourceId"] == p
    detail = cfn.describe_stack_resource(StackName=s, LogicalResourceId="Queue")["StackResourceDetail"]
    assert detail["ResourceType"] == "AWS::SQS::Queue"
    kinds = [(e["LogicalResourceId"], e["ResourceStatus"]) for e in reversed(events(cfn, s))]
    assert kinds[0] == (s, "CREATE_IN_PROGRESS") and kinds[-1] == (s, "CREATE_COMPLETE")
    assert ("Param", "CREATE_IN_PROGRESS") in kinds and ("Param", "CREATE_COMPLETE") in kinds
    assert cfn.get_template(StackName=s)["TemplateBody"] == json.loads(template(p)) or True

    # Update in place: only the parameter changes, the queue is untouched.
    queue_before = res["Queue"]["PhysicalResourceId"]
    cfn.update_stack(StackName=s, TemplateBody=template(p, "v2"))
    cfn.get_waiter("stack_update_complete").wait(StackName=s, WaiterConfig=WAIT)
    assert ssm.get_parameter(Name=p)["Parameter"]["Value"] == "v2"
    res = {r["LogicalResourceId"]: r for r in cfn.list_stack_resources(StackName=s)["StackResourceSummaries"]}
    assert res["Queue"]["PhysicalResourceId"] == queue_before
    update_events = [(e["LogicalResourceId"], e["ResourceStatus"]) for e in events(cfn, s)]
    assert ("Param", "UPDATE_COMPLETE") in update_events
    assert ("Queue", "UPDATE_IN_PROGRESS") not in update_events
    assert stack(cfn, s)["StackStatus"] == "UPDATE_COMPLETE"

    with pytest.raises(ClientError) as e:
        cfn.update_stack(StackName=s, TemplateBody=template(p, "v2"))
    assert e.value.response["Error"]["Message"] == "No updates are to be performed."

    cfn.delete_stack(StackName=s)
    cfn.get_waiter("stack_delete_complete").wait(StackName=s, WaiterConfig=WAIT)
    with pytest.raises(ClientError) as e:
        ssm.get_parameter(Name=p)
    assert e.value.response["Error"]["Code"] == "ParameterNotFound"
    with pytest.raises(ClientError) as e:
        cfn.describe_stacks(StackName=s)
    assert e.value.response["Error"]["Message"] == f"Stack with id {s} does not exist"
    assert stack(cfn, sid)["StackStatus"] == "DELETE_COMPLETE"
    listed = cfn.list_stacks(StackStatusFilter=["DELETE_COMPLETE"])["StackSummaries"]
    assert any(x["StackId"] == sid for x in listed)


def test_failing_getatt_rolls_back_with_a_clear_event(cfn, client):
    s, p = name(), f"/cfn/{uuid.uuid4().hex[:8]}"
    extra = {"Broken": {"Type": "AWS::SSM::Parameter", "Properties": {
        "Type": "String", "Value": {"Fn::GetAtt": ["Queue", "NoSuchAttribute"]}}}}
    cfn.create_stack(StackName=s, TemplateBody=template(p, extra=extra))
    with pytest.raises(Exception):
        cfn.get_waiter("stack_create_complete").wait(StackName=s, WaiterConfig=WAIT)
    st = stack(cfn, s)
    assert st["StackStatus"] == "ROLLBACK_COMPLETE"
    evs = events(cfn, s)
    failed = [e for e in evs if e["LogicalResourceId"] == "Broken" and e["ResourceStatus"] == "CREATE_FAILED"]
    assert failed and "NoSuchAttribute" in failed[0]["ResourceStatusReason"]
    rollback = [e for e in evs if e["ResourceStatus"] == "ROLLBACK_IN_PROGRESS"]
    assert "The following resource(s) failed to create: [Broken]" in rollback[0]["ResourceStatusReason"]
    # What was created is gone again.
    with pytest.raises(ClientError):
        client("ssm").get_parameter(Name=p)
    assert any(e["LogicalResourceId"] == "Param" and e["ResourceStatus"] == "DELETE_COMPLETE" for e in evs)
    cfn.delete_stack(StackName=s)
    cfn.get_waiter("stack_delete_complete").wait(StackName=s, WaiterConfig=WAIT)


def test_unsupported_type_fails_by_name(cfn):
    s = name()
    body = json.dumps({"Resources": {"X": {"Type": "AWS::Foo::Bar"}}})
    cfn.create_stack(StackName=s, TemplateBody=body)
    with pytest.raises(Exception):
        cfn.get_waiter("stack_create_complete").wait(StackName=s, WaiterConfig=WAIT)
    evs = events(cfn, s)
    reasons = [e.get("ResourceStatusReason") for e in evs if e["LogicalResourceId"] == "X"]
    assert "Unsupported resource type: AWS::Foo::Bar" in reasons
    assert stack(cfn, s)["StackStatus"] == "ROLLBACK_COMPLETE"


def test_template_errors_are_validation_errors(cfn):
    def err(body, **kw):
        with pytest.raises(ClientError) as e:
            cfn.create_stack(StackName=name(), TemplateBody=body, **kw)
        return e.value.response["Error"]

    e = err(json.dumps({"Resources": {"A": {"Type": "AWS::SQS::Queue", "Properties": {"X": {"Ref": "Nope"}}}}}))
    assert e["Code"] == "ValidationError"
    assert e["Message"] == ("Template format error: Unresolved resource dependencies [Nope] "
                            "in the Resources block of the template")
    e = err("Resources:\n  A:\n    Type: AWS::SQS::Queue\n    Properties:\n      X: !GetAtt Nope.Arn\n")
    assert e["Message"] == "Template error: instance of Fn::GetAtt references undefined resource Nope"
    e = err(json.dumps({"Parameters": {"P": {"Type": "String"}}, "Resources": {"A": {"Type": "AWS::SQS::Queue"}}}))
    assert e["Message"] == "Parameters: [P] must have values"
    e = err(json.dumps({"Resources": {"R": {"Type": "AWS::IAM::Role", "Properties": {}}}}))
    assert e["Code"] == "InsufficientCapabilitiesException"
    assert e["Message"] == "Requires capabilities : [CAPABILITY_IAM]"
    with pytest.raises(ClientError) as v:
        cfn.validate_template(TemplateBody="Resources: [")
    assert v.value.response["Error"]["Message"].startswith("Template format error: YAML not well-formed.")
    ok = cfn.validate_template(TemplateBody=json.dumps({
        "Parameters": {"P": {"Type": "String", "Default": "d", "NoEcho": True}},
        "Resources": {"A": {"Type": "AWS::SQS::Queue"}}}))
    assert ok["Parameters"] == [{"ParameterKey": "P", "DefaultValue": "d", "NoEcho": True}]


def test_yaml_parameters_conditions_and_no_echo(cfn, client):
    s, p = name(), f"/cfn/{uuid.uuid4().hex[:8]}"
    body = f"""
Parameters:
  Env: {{Type: String, AllowedValues: [dev, prod], Default: dev}}
  Secret: {{Type: String, NoEcho: true}}
Conditions:
  IsProd: !Equals [!Ref Env, prod]
Mappings:
  Sizes: {{dev: {{Suffix: small}}, prod: {{Suffix: large}}}}
Resources:
  Param:
    Type: AWS::SSM::Parameter
    Properties:
      Name: {p}
      Type: String
      Value: !Sub
        - "${{AWS::StackName}}-${{Env}}-${{Size}}-${{Joined}}"
        - Size: !FindInMap [Sizes, !Ref Env, Suffix]
          Joined: !Join ["+", [!Select [1, !Split [",", "a,b,c"]], !If [IsProd, p, d]]]
  ProdOnly:
    Condition: IsProd
    Type: AWS::SQS::Queue
Outputs:
  Value:
    Value: !GetAtt Param.Value
"""
    cfn.create_stack(StackName=s, TemplateBody=body, Parameters=[{"ParameterKey": "Secret", "ParameterValue": "pw"}])
    cfn.get_waiter("stack_create_complete").wait(StackName=s, WaiterConfig=WAIT)
    assert client("ssm").get_parameter(Name=p)["Parameter"]["Value"] == f"{s}-dev-small-b+d"
    st = stack(cfn, s)
    params = {x["ParameterKey"]: x["ParameterValue"] for x in st["Parameters"]}
    assert params == {"Env": "dev", "Secret": "****"}
    ids = [r["LogicalResourceId"] for r in cfn.list_stack_resources(StackName=s)["StackResourceSummaries"]]
    assert ids == ["Param"]
    with pytest.raises(ClientError) as e:
        cfn.update_stack(StackName=s, TemplateBody=body, Parameters=[
            {"ParameterKey": "Env", "ParameterValue": "qa"}, {"ParameterKey": "Secret", "UsePreviousValue": True}])
    assert e.value.response["Error"]["Message"] == "Parameter 'Env' must be one of AllowedValues"
    cfn.delete_stack(StackName=s)
    cfn.get_waiter("stack_delete_complete").wait(StackName=s, WaiterConfig=WAIT)


def test_exports_and_imports_across_stacks(cfn, client):
    a, b, p = name("exp"), name("imp"), f"/cfn/{uuid.uuid4().hex[:8]}"
    export = f"x-{uuid.uuid4().hex[:8]}"
    cfn.create_stack(StackName=a, TemplateBody=template(p, queue=False, outputs={
        "N": {"Value": {"Ref": "Param"}, "Export": {"Name": export}}}))
    cfn.get_waiter("stack_create_complete").wait(StackName=a, WaiterConfig=WAIT)
    assert any(e["Name"] == export and e["Value"] == p for e in cfn.list_exports()["Exports"])
    cfn.create_stack(StackName=b, TemplateBody=template(p + "-b", queue=False, outputs={
        "Imported": {"Value": {"Fn::ImportValue": export}}}))
    cfn.get_waiter("stack_create_complete").wait(StackName=b, WaiterConfig=WAIT)
    assert stack(cfn, b)["Outputs"][0]["OutputValue"] == p
    cfn.delete_stack(StackName=a)
    with pytest.raises(Exception):
        cfn.get_waiter("stack_delete_complete").wait(StackName=a, WaiterConfig=WAIT)
    st = stack(cfn, a)
    assert st["StackStatus"] == "DELETE_FAILED"
    assert st["StackStatusReason"] == f"Export {export} cannot be deleted as it is in use by {b}"
    for s in (b, a):
        cfn.delete_stack(StackName=s)
        cfn.get_waiter("stack_delete_complete").wait(StackName=s, WaiterConfig=WAIT)


def test_change_sets(cfn, client):
    s, p = name(), f"/cfn/{uuid.uuid4().hex[:8]}"
    cs = cfn.create_change_set(StackName=s, ChangeSetName="first", ChangeSetType="CREATE",
                               TemplateBody=template(p, queue=False))
    assert stack(cfn, s)["StackStatus"] == "REVIEW_IN_PROGRESS"
    cfn.get_waiter("change_set_create_complete").wait(ChangeSetName=cs["Id"], WaiterConfig=WAIT)
    d = cfn.describe_change_set(ChangeSetName="first", StackName=s)
    assert d["Status"] == "CREATE_COMPLETE" and d["ExecutionStatus"] == "AVAILABLE"
    assert [c["ResourceChange"]["Action"] for c in d["Changes"]] == ["Add"]
    cfn.execute_change_set(ChangeSetName=cs["Id"])
    cfn.get_waiter("stack_create_complete").wait(StackName=s, WaiterConfig=WAIT)
    # Executing a change set removes all of the stack's change sets, the executed one included;
    # the stack still names it.
    assert cfn.list_change_sets(StackName=s)["Summaries"] == []
    assert stack(cfn, s)["ChangeSetId"] == cs["Id"]
    for ref in ({"ChangeSetName": cs["Id"]}, {"ChangeSetName": "first", "StackName": s}):
        with pytest.raises(ClientError) as e:
            cfn.describe_change_set(**ref)
        assert e.value.response["Error"]["Code"] == "ChangeSetNotFound"
        assert e.value.response["Error"]["Message"] == f"ChangeSet [{ref['ChangeSetName']}] does not exist"
    # No changes: FAILED with the reason the CLI looks for.
    cfn.create_change_set(StackName=s, ChangeSetName="same", TemplateBody=template(p, queue=False))
    d = cfn.describe_change_set(ChangeSetName="same", StackName=s)
    assert d["Status"] == "FAILED" and d["StatusReason"].startswith("The submitted information didn't contain changes.")
    cfn.delete_change_set(ChangeSetName="same", StackName=s)
    # Modify + Add.
    cfn.create_change_set(StackName=s, ChangeSetName="second", TemplateBody=template(p, "v2"))
    d = cfn.describe_change_set(ChangeSetName="second", StackName=s)
    actions = {c["ResourceChange"]["LogicalResourceId"]: c["ResourceChange"] for c in d["Changes"]}
    assert actions["Param"]["Action"] == "Modify" and actions["Queue"]["Action"] == "Add"
    cfn.create_change_set(StackName=s, ChangeSetName="other", TemplateBody=template(p, "v3"))
    listed = {x["ChangeSetName"]: x["ExecutionStatus"] for x in cfn.list_change_sets(StackName=s)["Summaries"]}
    assert listed == {"second": "AVAILABLE", "other": "AVAILABLE"}
    cfn.execute_change_set(ChangeSetName="second", StackName=s)
    cfn.get_waiter("stack_update_complete").wait(StackName=s, WaiterConfig=WAIT)
    assert cfn.list_change_sets(StackName=s)["Summaries"] == []
    with pytest.raises(ClientError) as e:
        cfn.execute_change_set(ChangeSetName="other", StackName=s)
    assert e.value.response["Error"]["Code"] == "ChangeSetNotFound"
    assert client("ssm").get_parameter(Name=p)["Parameter"]["Value"] == "v2"
    with pytest.raises(ClientError) as e:
        cfn.describe_change_set(ChangeSetName="nope", StackName=s)
    assert e.value.response["Error"]["Code"] == "ChangeSetNotFound"
    cfn.delete_stack(StackName=s)
    cfn.get_waiter("stack_delete_complete").wait(StackName=s, WaiterConfig=WAIT)


def deploy(endpoint, *args):
    """`aws cloudformation deploy ...` (text output) → (returncode, stdout + stderr)."""
    exe = shutil.which("aws", path=os.path.dirname(os.path.realpath(os.sys.executable)) + os.pathsep
                       + os.environ.get("PATH", ""))
    if not exe:
        pytest.skip("the AWS CLI is not installed")
    proc = subprocess.run([exe, "cloudformation", "deploy", *args], capture_output=True, text=True,
                          env=aws_env(endpoint), timeout=120)
    return proc.returncode, proc.stdout + proc.stderr


def test_cli_deploy_twice_then_delete(aws, tmp_path, client):
    s, p = name("cli"), f"/cfn/{uuid.uuid4().hex[:8]}"
    table = f"t-{uuid.uuid4().hex[:8]}"
    body = f"""
AWSTemplateFormatVersion: '2010-09-09'
Parameters:
  Value: {{Type: String, Default: one}}
Resources:
  Param:
    Type: AWS::SSM::Parameter
    Properties: {{Name: {p}, Type: String, Value: !Ref Value}}
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: {table}
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{{AttributeName: pk, AttributeType: S}}]
      KeySchema: [{{AttributeName: pk, KeyType: HASH}}]
Outputs:
  TableArn: {{Value: !GetAtt Table.Arn}}
"""
    f = tmp_path / "template.yaml"
    f.write_text(body)
    rc, out = deploy(aws.endpoint, "--template-file", str(f), "--stack-name", s)
    assert rc == 0 and f"Successfully created/updated stack - {s}" in out, out
    assert client("ssm").get_parameter(Name=p)["Parameter"]["Value"] == "one"
    assert client("dynamodb").describe_table(TableName=table)["Table"]["TableName"] == table
    # The CLI names its change sets after the current second
    # (awscli-cloudformation-package-deploy-<epoch s>); a release build finishes a deploy
    # within that second, so wait for the next one as any real deploy would have.
    time.sleep(1.1)
    rc, out = deploy(aws.endpoint, "--template-file", str(f), "--stack-name", s)
    assert rc == 255 and "No changes to deploy" in out, out
    time.sleep(1.1)
    rc, out = deploy(aws.endpoint, "--template-file", str(f), "--stack-name", s, "--no-fail-on-empty-changeset")
    assert rc == 0, out
    time.sleep(1.1)
    rc, out = deploy(aws.endpoint, "--template-file", str(f), "--stack-name", s, "--parameter-overrides", "Value=two")
    assert rc == 0, out
    assert client("ssm").get_parameter(Name=p)["Parameter"]["Value"] == "two"
    out = aws("cloudformation", "describe-stacks", "--stack-name", s)["Stacks"][0]
    assert out["StackStatus"] == "UPDATE_COMPLETE"
    assert out["Outputs"][0]["OutputValue"].endswith(f":table/{table}")
    aws("cloudformation", "delete-stack", "--stack-name", s)
    aws("cloudformation", "wait", "stack-delete-complete", "--stack-name", s)
    with pytest.raises(ClientError):
        client("dynamodb").describe_table(TableName=table)
