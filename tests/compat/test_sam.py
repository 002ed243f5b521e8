"""SAM end to end: examples/rest-microservice deployed with `lamina deploy` (the binary as a
subprocess, LAMINA_BIN) and with the real AWS CLI (`lamina package` → `aws cloudformation
deploy`, which takes the change-set path), then used over HTTP like curl would: CRUD, a
conditional-write conflict mapped to 409 by the function, API keys (403), the TOKEN authorizer
(401/403), usage-plan throttling (429); an edit redeployed in place; `lamina delete` removing
everything; a broken `!GetAtt` failing with a clear event and rolling back.

Written from the SAM/CloudFormation/API Gateway documentation, independent of Lamina's code.
"""
import concurrent.futures
import json
import os
import re
import shutil
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

import pytest
from botocore.exceptions import ClientError

from conftest import ROOT, aws_env, lamina_bin, make_client

EXAMPLE = os.path.join(ROOT, "examples", "rest-microservice")
KEY = "lamina-example-key-0123456789"
TOKEN = "allow-me"


def lamina(endpoint, *args, cwd=None):
    binary = lamina_bin()
    assert binary, "no lamina binary: run `cargo build` or set LAMINA_BIN"
    proc = subprocess.run([binary, *args, "--endpoint", endpoint], capture_output=True,
                          text=True, timeout=300, cwd=cwd)
    return proc.returncode, proc.stdout, proc.stderr


def aws_cli(endpoint, *args):
    """The AWS CLI with text output → (returncode, stdout + stderr)."""
    exe = shutil.which("aws", path=os.path.dirname(os.path.realpath(os.sys.executable)) + os.pathsep
                       + os.environ.get("PATH", ""))
    assert exe, "the AWS CLI is not installed (pip install -r tests/compat/requirements.txt)"
    proc = subprocess.run([exe, *args], capture_output=True, text=True, env=aws_env(endpoint),
                          timeout=180)
    return proc.returncode, proc.stdout + proc.stderr


def boto3_client(url, service):
    return make_client(service, url)


def outputs(cfn, stack):
    s = cfn.describe_stacks(StackName=stack)["Stacks"][0]
    return {o["OutputKey"]: o["OutputValue"] for o in s.get("Outputs", [])}


def api_id(url):
    m = re.match(r"http://([a-z0-9]+)\.execute-api\.localhost:4566/Prod/$", url)
    assert m, url
    return m.group(1)


class Api:
    """HTTP against the Prod stage through the Host form of the invoke URL. Calls are paced
    under the usage plan's rate (10/s) so that only the burst test meets throttling."""

    def __init__(self, endpoint, api, key=KEY):
        self.endpoint = endpoint
        self.key = key
        self.port = urllib.parse.urlparse(endpoint).port
        self.host = f"{api}.execute-api.localhost:{self.port}"

    def raw(self, method, path, body=None, key="", token=TOKEN, headers=None):
        key = self.key if key == "" else key
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(f"{self.endpoint}/Prod{path}", data=data, method=method)
        req.add_header("Host", self.host)
        if key:
            req.add_header("x-api-key", key)
        if token:
            req.add_header("Authorization", f"Bearer {token}")
        for k, v in (headers or {}).items():
            req.add_header(k, v)
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status, {k.lower(): v for k, v in r.headers.items()}, r.read()
        except urllib.error.HTTPError as e:
            return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read()

    def __call__(self, method, path, body=None, **kw):
        time.sleep(0.15)
        status, headers, raw = self.raw(method, path, body, **kw)
        parsed = json.loads(raw) if raw.strip() else None
        return status, headers, parsed


def physical_ids(cfn, stack):
    return {r["LogicalResourceId"]: r["PhysicalResourceId"]
            for r in cfn.describe_stack_resources(StackName=stack)["StackResources"]}


@pytest.fixture
def app_dir(tmp_path):
    d = tmp_path / "rest-microservice"
    shutil.copytree(EXAMPLE, d)
    return d


def test_lamina_deploy_crud_auth_throttle_update_delete(endpoint, client, app_dir):
    cfn = client("cloudformation")
    stack = f"sam-{uuid.uuid4().hex[:8]}"

    # Deploy from the template's folder with the default template name, as `sam deploy` does.
    # API key values are unique per account: each test brings its own.
    key = f"key-{uuid.uuid4().hex}"
    rc, out, err = lamina(endpoint, "deploy", "--stack-name", stack,
                          "--parameter-overrides", f"ApiKeyValue={key}", cwd=app_dir)
    assert rc == 0, out + err
    assert "CREATE_COMPLETE" in out and "AWS::Lambda::Function" in out, out
    assert "ApiUrl" in out and "ApiKeyId" in out, out
    outs = outputs(cfn, stack)
    api = Api(endpoint, api_id(outs["ApiUrl"]), key)
    apigw = client("apigateway")
    assert apigw.get_api_key(apiKey=outs["ApiKeyId"], includeValue=True)["value"] == key

    # CRUD, with the conditional create mapped to 409.
    item_id = f"item-{uuid.uuid4().hex[:6]}"
    status, _, body = api("POST", "/items", {"id": item_id, "name": "apple", "price": 1.5})
    assert (status, body) == (201, {"id": item_id, "name": "apple", "price": 1.5})
    status, _, body = api("POST", "/items", {"id": item_id, "name": "again"})
    assert status == 409 and item_id in body["message"]
    status, headers, body = api("GET", f"/items/{item_id}")
    assert (status, body["name"]) == (200, "apple")
    assert headers["x-app-version"] == "1"
    status, _, body = api("GET", "/items")
    assert status == 200 and [i["id"] for i in body["items"]] == [item_id]
    status, _, body = api("PUT", f"/items/{item_id}", {"name": "pear"})
    assert (status, body) == (200, {"id": item_id, "name": "pear"})
    status, _, body = api("PUT", "/items/missing", {"name": "x"})
    assert status == 404
    status, _, body = api("DELETE", f"/items/{item_id}")
    assert status == 204
    status, _, body = api("GET", f"/items/{item_id}")
    assert status == 404 and body["message"] == f"item {item_id} not found"
    status, _, _ = api("POST", "/items", {"id": "kept", "name": "survives the update"})
    assert status == 201

    # API key and authorizer.
    status, _, body = api("GET", "/items", key=None)
    assert (status, body) == (403, {"message": "Forbidden"})
    status, _, body = api("GET", "/items", key="not-a-key-of-this-plan-000")
    assert status == 403
    status, _, body = api("GET", "/items", token=None)
    assert (status, body) == (401, {"message": "Unauthorized"})
    status, _, body = api("GET", "/items", token="wrong")
    assert (status, body) == (401, {"message": "Unauthorized"})
    status, _, body = api("GET", "/items", token="deny")
    assert status == 403
    assert body["Message"] == "User is not authorized to access this resource with an explicit deny"

    # A burst beyond the usage plan's BurstLimit (5) is throttled.
    time.sleep(1.5)
    with concurrent.futures.ThreadPoolExecutor(max_workers=20) as pool:
        statuses = list(pool.map(lambda _: api.raw("GET", "/items")[0], range(40)))
    assert 429 in statuses and 200 in statuses, statuses
    assert set(statuses) <= {200, 429}, statuses
    time.sleep(1.5)

    # The same template again: nothing to do.
    rc, out, err = lamina(endpoint, "deploy", "--stack-name", stack, cwd=app_dir)
    assert rc == 0, out + err
    assert "No changes to deploy" in out, out

    # An edit is an update in place: same table, same function, new configuration.
    before = physical_ids(cfn, stack)
    template = (app_dir / "template.yaml").read_text()
    assert "APP_VERSION: '1'" in template
    (app_dir / "template.yaml").write_text(template.replace("APP_VERSION: '1'", "APP_VERSION: '2'"))
    rc, out, err = lamina(endpoint, "deploy", "--stack-name", stack, cwd=app_dir)
    assert rc == 0, out + err
    assert "UPDATE_COMPLETE" in out and "Modify" in out, out
    assert cfn.describe_stacks(StackName=stack)["Stacks"][0]["StackStatus"] == "UPDATE_COMPLETE"
    after = physical_ids(cfn, stack)
    assert after["ItemsTable"] == before["ItemsTable"]
    assert after["ItemsFunction"] == before["ItemsFunction"]
    lam = client("lambda")
    env = lam.get_function_configuration(FunctionName=after["ItemsFunction"])["Environment"]
    assert env["Variables"]["APP_VERSION"] == "2"
    status, headers, body = api("GET", "/items/kept")
    assert (status, body["name"], headers["x-app-version"]) == (200, "survives the update", "2")

    # Delete: the stack and what it created are gone.
    rc, out, err = lamina(endpoint, "delete", "--stack-name", stack)
    assert rc == 0, out + err
    assert "DELETE_COMPLETE" in out, out
    with pytest.raises(ClientError) as e:
        cfn.describe_stacks(StackName=stack)
    assert e.value.response["Error"]["Message"] == f"Stack with id {stack} does not exist"
    with pytest.raises(ClientError) as e:
        client("dynamodb").describe_table(TableName=after["ItemsTable"])
    assert e.value.response["Error"]["Code"] == "ResourceNotFoundException"
    for fn in ("ItemsFunction", "AuthorizerFunction"):
        with pytest.raises(ClientError) as e:
            lam.get_function(FunctionName=after[fn])
        assert e.value.response["Error"]["Code"] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as e:
        apigw.get_rest_api(restApiId=after["ItemsApi"])
    assert e.value.response["Error"]["Code"] == "NotFoundException"
    status, _, _ = api.raw("GET", "/items")
    assert status in (403, 404)


def test_broken_getatt_fails_with_a_clear_event_and_rolls_back(endpoint, client, tmp_path):
    name = f"sam-bad-{uuid.uuid4().hex[:6]}"
    (tmp_path / "template.yaml").write_text(
        "Resources:\n"
        "  First:\n"
        "    Type: AWS::SSM::Parameter\n"
        f"    Properties: {{Name: {name}-first, Type: String, Value: one}}\n"
        "  Second:\n"
        "    Type: AWS::SSM::Parameter\n"
        "    Properties:\n"
        f"      Name: {name}-second\n"
        "      Type: String\n"
        "      Value: !GetAtt First.NoSuchAttribute\n"
    )
    rc, out, err = lamina(endpoint, "deploy", "--stack-name", name, cwd=tmp_path)
    assert rc != 0, out
    reason = "Template error: resource First does not support attribute type NoSuchAttribute in Fn::GetAtt"
    assert reason in out, out
    assert "ROLLBACK_COMPLETE" in out + err
    cfn = client("cloudformation")
    assert cfn.describe_stacks(StackName=name)["Stacks"][0]["StackStatus"] == "ROLLBACK_COMPLETE"
    events = cfn.describe_stack_events(StackName=name)["StackEvents"]
    failed = [e for e in events if e["ResourceStatus"] == "CREATE_FAILED"]
    assert [(e["LogicalResourceId"], e["ResourceStatusReason"]) for e in failed] == [("Second", reason)]
    with pytest.raises(ClientError) as e:
        client("ssm").get_parameter(Name=f"{name}-first")
    assert e.value.response["Error"]["Code"] == "ParameterNotFound"
    rc, out, err = lamina(endpoint, "delete", "--stack-name", name)
    assert rc == 0, out + err


def test_lamina_package_then_aws_cloudformation_deploy(endpoint, client, tmp_path):
    stack = f"sam-cli-{uuid.uuid4().hex[:8]}"
    key = f"key-{uuid.uuid4().hex}"
    packaged = tmp_path / "packaged.json"
    binary = lamina_bin()
    proc = subprocess.run([binary, "package", os.path.join(EXAMPLE, "template.yaml"),
                           "--output-template-file", str(packaged)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    body = packaged.read_text()
    # The CLI sends templates up to 51,200 bytes inline (no --s3-bucket needed).
    assert len(body.encode()) <= 51200
    t = json.loads(body)
    code = t["Resources"]["ItemsFunction"]["Properties"]["CodeUri"]
    assert list(code) == ["LaminaZipBase64"]
    assert t["Resources"]["AuthorizerFunction"]["Properties"]["Environment"]["Variables"] == {
        "AUTH_TOKEN": {"Ref": "AuthToken"}}

    rc, out = aws_cli(endpoint, "cloudformation", "deploy", "--template-file", str(packaged),
                      "--stack-name", stack, "--parameter-overrides", f"ApiKeyValue={key}",
                      "--capabilities", "CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND")
    assert rc == 0, out
    assert f"Successfully created/updated stack - {stack}" in out
    cfn = client("cloudformation")
    assert cfn.describe_stacks(StackName=stack)["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE"
    outputs_before = outputs(cfn, stack)
    api = Api(endpoint, api_id(outputs_before["ApiUrl"]), key)
    status, _, body = api("POST", "/items", {"id": "cli"})
    assert (status, body) == (201, {"id": "cli"})
    status, _, body = api("POST", "/items", {"id": "cli"})
    assert status == 409
    status, _, _ = api("GET", "/items", key=None)
    assert status == 403

    # The CLI's empty change set path.
    rc, out = aws_cli(endpoint, "cloudformation", "deploy", "--template-file", str(packaged),
                      "--stack-name", stack, "--no-fail-on-empty-changeset",
                      "--capabilities", "CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND")
    assert rc == 0, out
    assert "No changes to deploy" in out, out
    rc, out = aws_cli(endpoint, "cloudformation", "delete-stack", "--stack-name", stack)
    assert rc == 0, out
    rc, out = aws_cli(endpoint, "cloudformation", "wait", "stack-delete-complete",
                      "--stack-name", stack)
    assert rc == 0, out
    with pytest.raises(ClientError):
        client("lambda").get_function(FunctionName=outputs_before["ItemsFunctionName"])


def crud_conflict_key_throttle(api):
    """What the done line asks of a deployed example: CRUD, the 409 conflict, 403 without an
    API key and 429 under a burst."""
    item_id = f"item-{uuid.uuid4().hex[:6]}"
    status, _, body = api("POST", "/items", {"id": item_id, "name": "fig"})
    assert (status, body) == (201, {"id": item_id, "name": "fig"})
    status, _, body = api("POST", "/items", {"id": item_id, "name": "again"})
    assert status == 409 and item_id in body["message"]
    status, _, body = api("GET", f"/items/{item_id}")
    assert (status, body) == (200, {"id": item_id, "name": "fig"})
    status, _, body = api("GET", "/items")
    assert status == 200 and item_id in [i["id"] for i in body["items"]]
    status, _, body = api("PUT", f"/items/{item_id}", {"name": "date"})
    assert (status, body) == (200, {"id": item_id, "name": "date"})
    status, _, _ = api("DELETE", f"/items/{item_id}")
    assert status == 204
    status, _, body = api("GET", f"/items/{item_id}")
    assert status == 404 and body["message"] == f"item {item_id} not found"
    status, _, body = api("GET", "/items", key=None)
    assert (status, body) == (403, {"message": "Forbidden"})
    time.sleep(1.5)
    with concurrent.futures.ThreadPoolExecutor(max_workers=20) as pool:
        statuses = list(pool.map(lambda _: api.raw("GET", "/items")[0], range(40)))
    assert 429 in statuses and 200 in statuses, statuses
    assert set(statuses) <= {200, 429}, statuses


def test_aws_cloudformation_deploy_of_the_unpackaged_template(lamina_server, client):
    """The real CLI with the example's own template.yaml (local CodeUri folders): the server
    reads them from its code root (`lamina serve --code-root`), a Lamina convenience."""
    server = lamina_server(extra_args=["--code-root", EXAMPLE])
    cfn = boto3_client(server.url, "cloudformation")
    stack = f"sam-raw-{uuid.uuid4().hex[:8]}"
    rc, out = aws_cli(server.url, "cloudformation", "deploy",
                      "--template-file", os.path.join(EXAMPLE, "template.yaml"),
                      "--stack-name", stack, "--capabilities", "CAPABILITY_IAM")
    assert rc == 0, out
    assert f"Successfully created/updated stack - {stack}" in out
    assert cfn.describe_stacks(StackName=stack)["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE"
    # The function's code is the example's src/items/ folder, zipped.
    outs = outputs(cfn, stack)
    lam = boto3_client(server.url, "lambda")
    fn = lam.get_function(FunctionName=outs["ItemsFunctionName"])
    with urllib.request.urlopen(fn["Code"]["Location"], timeout=30) as r:
        import io
        import zipfile
        names = zipfile.ZipFile(io.BytesIO(r.read())).namelist()
    assert names == ["app.py"], names
    crud_conflict_key_throttle(Api(server.url, api_id(outs["ApiUrl"])))
    rc, out = aws_cli(server.url, "cloudformation", "delete-stack", "--stack-name", stack)
    assert rc == 0, out
    rc, out = aws_cli(server.url, "cloudformation", "wait", "stack-delete-complete",
                      "--stack-name", stack)
    assert rc == 0, out


def test_a_missing_code_uri_fails_the_change_set_naming_it(lamina_server, tmp_path):
    root = tmp_path / "root"
    root.mkdir()
    server = lamina_server(extra_args=["--code-root", str(root)])
    (tmp_path / "template.yaml").write_text(
        "Transform: AWS::Serverless-2016-10-31\n"
        "Resources:\n"
        "  Fn:\n"
        "    Type: AWS::Serverless::Function\n"
        "    Properties: {CodeUri: src/missing/, Handler: app.handler, Runtime: python3.12}\n"
    )
    stack = f"sam-missing-{uuid.uuid4().hex[:6]}"
    rc, out = aws_cli(server.url, "cloudformation", "deploy",
                      "--template-file", str(tmp_path / "template.yaml"),
                      "--stack-name", stack, "--capabilities", "CAPABILITY_IAM")
    assert rc != 0, out
    assert "Status: FAILED. Reason: Transform AWS::Serverless-2016-10-31 failed with: Invalid " \
           "Serverless Application Specification document. Number of errors found: 1. Resource " \
           "with id [Fn] is invalid. 'CodeUri' is not a valid S3 Uri of the form " \
           "'s3://bucket/key' with optional versionId query parameter" in " ".join(out.split()), out
    assert f"looked for {root / 'src/missing/'}" in " ".join(out.split()), out
    cfn = boto3_client(server.url, "cloudformation")
    sets = cfn.list_change_sets(StackName=stack)["Summaries"]
    assert [(s["Status"], s["ExecutionStatus"]) for s in sets] == [("FAILED", "UNAVAILABLE")]
    assert "'src/missing/' does not exist" in sets[0]["StatusReason"]
    assert cfn.describe_stacks(StackName=stack)["Stacks"][0]["StackStatus"] == "REVIEW_IN_PROGRESS"
    # CreateStack takes the request, then fails the stack with the same message.
    other = f"sam-missing-cs-{uuid.uuid4().hex[:6]}"
    cfn.create_stack(StackName=other, TemplateBody=(tmp_path / "template.yaml").read_text(),
                     Capabilities=["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"])
    with pytest.raises(Exception) as e:
        cfn.get_waiter("stack_create_complete").wait(StackName=other,
                                                     WaiterConfig={"Delay": 1, "MaxAttempts": 30})
    assert "ROLLBACK_COMPLETE" in str(e.value)
    events = cfn.describe_stack_events(StackName=other)["StackEvents"]
    assert [ev["ResourceStatus"] for ev in events] == [
        "ROLLBACK_COMPLETE", "ROLLBACK_IN_PROGRESS", "CREATE_IN_PROGRESS"]
    reason = events[1]["ResourceStatusReason"]
    assert reason.startswith("Transform AWS::Serverless-2016-10-31 failed with: Invalid Serverless "
                             "Application Specification document."), reason
    assert f"looked for {root / 'src/missing/'}" in reason, reason
