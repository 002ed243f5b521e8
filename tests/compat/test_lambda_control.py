"""Lambda control plane through boto3 and the AWS CLI: functions, code, configuration, listing,
versions, aliases, concurrency, permissions, layers, event invoke configs, tags, account
settings, the SDK waiters, and AWS's errors. Invocation itself is covered by
test_lambda_invoke.py; here only what needs no sandbox (DryRun, Event, request caps).

Expected values come from the Lambda API reference and AWS's observed messages."""
import base64
import hashlib
import io
import json
import uuid
import zipfile

import pytest
from botocore.exceptions import ClientError

ROLE = "arn:aws:iam::000000000000:role/lamina-compat-lambda"
ACCOUNT = "000000000000"


def make_zip(files):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, body in files.items():
            z.writestr(name, body)
    return buf.getvalue()


CODE = make_zip({"index.py": "def handler(event, context):\n    return event\n"})


def unique(prefix="ctl"):
    return f"compat-{prefix}-{uuid.uuid4().hex[:10]}"


def err(exc):
    e = exc.value.response
    return e["Error"]["Code"], e["Error"]["Message"], e["ResponseMetadata"]["HTTPStatusCode"]


@pytest.fixture
def lam(client):
    return client("lambda")


@pytest.fixture
def fn(lam):
    """A fresh python function; deleted after the test."""
    name = unique()
    lam.create_function(FunctionName=name, Runtime="python3.12", Role=ROLE, Handler="index.handler",
                        Code={"ZipFile": CODE})
    yield name
    try:
        lam.delete_function(FunctionName=name)
    except ClientError:
        pass


def test_create_get_and_waiters(lam):
    name = unique()
    c = lam.create_function(FunctionName=name, Runtime="python3.12", Role=ROLE, Handler="index.handler",
                            Code={"ZipFile": CODE}, Description="d", MemorySize=256, Timeout=10,
                            Environment={"Variables": {"STAGE": "test"}}, Tags={"team": "core"},
                            TracingConfig={"Mode": "Active"}, EphemeralStorage={"Size": 1024})
    try:
        assert c["ResponseMetadata"]["HTTPStatusCode"] == 201
        assert c["State"] == "Pending"
        assert c["FunctionArn"] == f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:{name}"
        assert c["CodeSha256"] == base64.b64encode(hashlib.sha256(CODE).digest()).decode()
        assert c["CodeSize"] == len(CODE)
        assert c["Version"] == "$LATEST"
        assert c["PackageType"] == "Zip"
        assert c["Architectures"] == ["x86_64"]
        lam.get_waiter("function_active_v2").wait(FunctionName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 5})
        lam.get_waiter("function_exists").wait(FunctionName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 5})
        g = lam.get_function(FunctionName=name)
        conf = g["Configuration"]
        assert conf["State"] == "Active" and conf["LastUpdateStatus"] == "Successful"
        assert conf["MemorySize"] == 256 and conf["Timeout"] == 10
        assert conf["Environment"]["Variables"] == {"STAGE": "test"}
        assert conf["TracingConfig"]["Mode"] == "Active"
        assert conf["EphemeralStorage"]["Size"] == 1024
        assert conf["LoggingConfig"]["LogGroup"] == f"/aws/lambda/{name}"
        assert g["Code"]["RepositoryType"] == "S3" and g["Code"]["Location"].startswith("http")
        assert g["Tags"] == {"team": "core"}
        # LastModified as AWS formats it: 2024-01-02T03:04:05.000+0000
        lm = conf["LastModified"]
        assert len(lm) == 28 and lm[10] == "T" and lm.endswith("+0000"), lm
        with pytest.raises(ClientError) as e:
            lam.create_function(FunctionName=name, Runtime="python3.12", Role=ROLE, Handler="index.handler",
                                Code={"ZipFile": CODE})
        assert err(e) == ("ResourceConflictException", f"Function already exist: {name}", 409)
    finally:
        lam.delete_function(FunctionName=name)
    with pytest.raises(ClientError) as e:
        lam.get_function(FunctionName=name)
    code, msg, status = err(e)
    assert (code, status) == ("ResourceNotFoundException", 404)
    assert msg == f"Function not found: arn:aws:lambda:us-east-1:{ACCOUNT}:function:{name}"


@pytest.mark.parametrize("override, code, fragment", [
    ({"Role": "not-a-role"}, "ValidationException", "at 'role' failed to satisfy constraint"),
    ({"MemorySize": 20000}, "ValidationException", "Member must have value less than or equal to 10240"),
    ({"Timeout": 901}, "ValidationException", "Member must have value less than or equal to 900"),
    ({"Environment": {"Variables": {"AWS_REGION": "x"}}}, "InvalidParameterValueException",
     "Reserved keys used in this request: AWS_REGION"),
    ({"Environment": {"Variables": {"BIG": "x" * 5000}}}, "InvalidParameterValueException",
     "exceeded the 4KB limit. String measured: "),
    ({"Code": {"ZipFile": b"not a zip"}}, "InvalidParameterValueException",
     "Could not unzip uploaded file. Please check your file, then try to upload again."),
    ({"PackageType": "Image", "Code": {"ImageUri": "x.dkr.ecr.us-east-1.amazonaws.com/r:1"}},
     "InvalidParameterValueException", ""),
    ({"Layers": [f"arn:aws:lambda:us-east-1:{ACCOUNT}:layer:missing:1"]}, "InvalidParameterValueException",
     "does not exist"),
])
def test_create_errors(lam, override, code, fragment):
    args = dict(FunctionName=unique("bad"), Runtime="python3.12", Role=ROLE, Handler="index.handler",
                Code={"ZipFile": CODE})
    args.update(override)
    with pytest.raises(ClientError) as e:
        lam.create_function(**args)
    got_code, msg, status = err(e)
    assert got_code == code
    assert status == 400
    assert fragment in msg


def test_update_code_and_configuration_with_waiter(lam, fn):
    rev = lam.get_function_configuration(FunctionName=fn)["RevisionId"]
    new_code = make_zip({"index.py": "def handler(e, c):\n    return 2\n"})
    with pytest.raises(ClientError) as e:
        lam.update_function_code(FunctionName=fn, ZipFile=new_code, RevisionId="stale")
    assert err(e)[0] == "PreconditionFailedException"
    u = lam.update_function_code(FunctionName=fn, ZipFile=new_code, RevisionId=rev)
    assert u["CodeSha256"] == base64.b64encode(hashlib.sha256(new_code).digest()).decode()
    assert u["RevisionId"] != rev
    lam.get_waiter("function_updated_v2").wait(FunctionName=fn, WaiterConfig={"Delay": 1, "MaxAttempts": 5})
    u = lam.update_function_configuration(FunctionName=fn, MemorySize=512, Handler="index.other",
                                          Environment={"Variables": {"AB": "1"}})
    assert u["MemorySize"] == 512
    lam.get_waiter("function_updated_v2").wait(FunctionName=fn, WaiterConfig={"Delay": 1, "MaxAttempts": 5})
    c = lam.get_function_configuration(FunctionName=fn)
    assert (c["Handler"], c["Environment"]["Variables"], c["LastUpdateStatus"]) == ("index.other", {"AB": "1"}, "Successful")


def test_list_functions_pages(lam):
    names = sorted(unique("list") for _ in range(3))
    for n in names:
        lam.create_function(FunctionName=n, Runtime="python3.12", Role=ROLE, Handler="index.handler",
                            Code={"ZipFile": CODE})
    try:
        seen = []
        for page in lam.get_paginator("list_functions").paginate(PaginationConfig={"PageSize": 2}):
            assert len(page["Functions"]) <= 2
            seen += [f["FunctionName"] for f in page["Functions"]]
        assert [n for n in seen if n in names] == names
        lam.publish_version(FunctionName=names[0])
        everything = lam.list_functions(FunctionVersion="ALL", MaxItems=1000)["Functions"]
        arns = [f["FunctionArn"] for f in everything if f["FunctionName"] == names[0]]
        assert [a.rsplit(":", 1)[1] for a in arns] == [names[0], "1"]
    finally:
        for n in names:
            lam.delete_function(FunctionName=n)


def test_versions_and_aliases(lam, fn):
    v1 = lam.publish_version(FunctionName=fn, Description="first")
    assert (v1["Version"], v1["Description"]) == ("1", "first")
    assert lam.publish_version(FunctionName=fn)["Version"] == "1"  # nothing changed
    with pytest.raises(ClientError) as e:
        lam.publish_version(FunctionName=fn, CodeSha256="bogus")
    assert err(e)[0] == "InvalidParameterValueException"
    lam.update_function_configuration(FunctionName=fn, Timeout=20)
    assert lam.publish_version(FunctionName=fn)["Version"] == "2"
    versions = [v["Version"] for v in lam.list_versions_by_function(FunctionName=fn)["Versions"]]
    assert versions == ["$LATEST", "1", "2"]
    assert lam.get_function(FunctionName=fn, Qualifier="1")["Configuration"]["Timeout"] == 3
    assert lam.get_function_configuration(FunctionName=f"{fn}:2")["Timeout"] == 20

    a = lam.create_alias(FunctionName=fn, Name="live", FunctionVersion="1",
                         RoutingConfig={"AdditionalVersionWeights": {"2": 0.5}})
    assert a["AliasArn"].endswith(f":function:{fn}:live")
    assert a["RoutingConfig"]["AdditionalVersionWeights"] == {"2": 0.5}
    with pytest.raises(ClientError) as e:
        lam.create_alias(FunctionName=fn, Name="live", FunctionVersion="1")
    assert err(e)[0] == "ResourceConflictException"
    with pytest.raises(ClientError) as e:
        lam.create_alias(FunctionName=fn, Name="x", FunctionVersion="1",
                         RoutingConfig={"AdditionalVersionWeights": {"1": 0.5}})
    assert err(e)[0] == "InvalidParameterValueException"
    with pytest.raises(ClientError) as e:
        lam.update_alias(FunctionName=fn, Name="live", FunctionVersion="2", RevisionId="stale")
    assert err(e)[0] == "PreconditionFailedException"
    u = lam.update_alias(FunctionName=fn, Name="live", FunctionVersion="2", RoutingConfig={"AdditionalVersionWeights": {}})
    assert u["FunctionVersion"] == "2"
    assert lam.get_alias(FunctionName=fn, Name="live")["RevisionId"] == u["RevisionId"]
    assert lam.get_function_configuration(FunctionName=fn, Qualifier="live")["Version"] == "2"
    assert [x["Name"] for x in lam.list_aliases(FunctionName=fn)["Aliases"]] == ["live"]
    with pytest.raises(ClientError) as e:
        lam.delete_function(FunctionName=fn, Qualifier="2")
    assert err(e)[0] == "ResourceConflictException"
    lam.delete_alias(FunctionName=fn, Name="live")
    with pytest.raises(ClientError) as e:
        lam.get_alias(FunctionName=fn, Name="live")
    assert err(e)[:2] == ("ResourceNotFoundException",
                          f"Cannot find alias arn: arn:aws:lambda:us-east-1:{ACCOUNT}:function:{fn}:live")
    lam.delete_function(FunctionName=fn, Qualifier="2")
    with pytest.raises(ClientError) as e:
        lam.get_function(FunctionName=fn, Qualifier="2")
    assert err(e)[1] == f"Function not found: arn:aws:lambda:us-east-1:{ACCOUNT}:function:{fn}:2"


def test_qualifier_forms(lam, fn):
    lam.publish_version(FunctionName=fn)
    arn = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:{fn}"
    for ref in (f"{fn}:1", f"{arn}:1", f"{ACCOUNT}:function:{fn}:1"):
        assert lam.get_function_configuration(FunctionName=ref)["Version"] == "1", ref
    with pytest.raises(ClientError) as e:
        lam.get_function(FunctionName=f"{fn}:1", Qualifier="2")
    assert err(e)[:2] == ("InvalidParameterValueException",
                          "The derived qualifier from the function name does not match the specified qualifier.")


def test_concurrency_and_account_settings(lam, fn):
    before = lam.get_account_settings()
    assert before["AccountLimit"]["ConcurrentExecutions"] == 1000
    assert before["AccountUsage"]["FunctionCount"] >= 1
    assert before["AccountUsage"]["TotalCodeSize"] >= len(CODE)
    assert "ReservedConcurrentExecutions" not in lam.get_function_concurrency(FunctionName=fn)
    with pytest.raises(ClientError) as e:
        lam.put_function_concurrency(FunctionName=fn, ReservedConcurrentExecutions=901)
    assert err(e)[:2] == ("InvalidParameterValueException",
                          "Specified ReservedConcurrentExecutions for function decreases account's "
                          "UnreservedConcurrentExecution below its minimum value of [100].")
    assert lam.put_function_concurrency(FunctionName=fn, ReservedConcurrentExecutions=10)["ReservedConcurrentExecutions"] == 10
    assert lam.get_function(FunctionName=fn)["Concurrency"] == {"ReservedConcurrentExecutions": 10}
    after = lam.get_account_settings()["AccountLimit"]["UnreservedConcurrentExecutions"]
    assert after == before["AccountLimit"]["UnreservedConcurrentExecutions"] - 10
    lam.delete_function_concurrency(FunctionName=fn)
    assert "ReservedConcurrentExecutions" not in lam.get_function_concurrency(FunctionName=fn)


def test_permissions(lam, fn):
    with pytest.raises(ClientError) as e:
        lam.get_policy(FunctionName=fn)
    assert err(e)[:2] == ("ResourceNotFoundException", "The resource you requested does not exist.")
    r = lam.add_permission(FunctionName=fn, StatementId="s3invoke", Action="lambda:InvokeFunction",
                           Principal="s3.amazonaws.com", SourceArn="arn:aws:s3:::my-bucket", SourceAccount=ACCOUNT)
    st = json.loads(r["Statement"])
    assert st["Principal"] == {"Service": "s3.amazonaws.com"}
    assert st["Condition"]["ArnLike"] == {"AWS:SourceArn": "arn:aws:s3:::my-bucket"}
    assert st["Condition"]["StringEquals"] == {"AWS:SourceAccount": ACCOUNT}
    with pytest.raises(ClientError) as e:
        lam.add_permission(FunctionName=fn, StatementId="s3invoke", Action="lambda:InvokeFunction", Principal="*")
    assert err(e)[0] == "ResourceConflictException"
    policy = lam.get_policy(FunctionName=fn)
    doc = json.loads(policy["Policy"])
    assert (doc["Version"], doc["Id"], [s["Sid"] for s in doc["Statement"]]) == ("2012-10-17", "default", ["s3invoke"])
    assert doc["Statement"][0]["Resource"] == f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:{fn}"
    lam.remove_permission(FunctionName=fn, StatementId="s3invoke")
    with pytest.raises(ClientError) as e:
        lam.remove_permission(FunctionName=fn, StatementId="s3invoke")
    assert err(e)[:2] == ("ResourceNotFoundException", "Statement s3invoke is not found in resource policy.")


def test_layers(lam):
    layer = unique("layer")
    content = make_zip({"python/helper.py": "X = 1\n"})
    v1 = lam.publish_layer_version(LayerName=layer, Content={"ZipFile": content}, CompatibleRuntimes=["python3.12"],
                                   Description="one")
    assert v1["Version"] == 1
    assert v1["LayerVersionArn"] == f"arn:aws:lambda:us-east-1:{ACCOUNT}:layer:{layer}:1"
    assert v1["Content"]["CodeSha256"] == base64.b64encode(hashlib.sha256(content).digest()).decode()
    v2 = lam.publish_layer_version(LayerName=layer, Content={"ZipFile": content})
    assert v2["Version"] == 2
    assert lam.get_layer_version(LayerName=layer, VersionNumber=1)["Description"] == "one"
    assert lam.get_layer_version_by_arn(Arn=v2["LayerVersionArn"])["Version"] == 2
    listed = {l["LayerName"]: l for l in lam.list_layers()["Layers"]}
    assert listed[layer]["LatestMatchingVersion"]["Version"] == 2
    assert [v["Version"] for v in lam.list_layer_versions(LayerName=layer)["LayerVersions"]] == [2, 1]
    name = unique()
    f = lam.create_function(FunctionName=name, Runtime="python3.12", Role=ROLE, Handler="index.handler",
                            Code={"ZipFile": CODE}, Layers=[v1["LayerVersionArn"]])
    assert f["Layers"] == [{"Arn": v1["LayerVersionArn"], "CodeSize": len(content)}]
    lam.delete_function(FunctionName=name)
    lam.delete_layer_version(LayerName=layer, VersionNumber=2)
    with pytest.raises(ClientError) as e:
        lam.get_layer_version(LayerName=layer, VersionNumber=2)
    assert err(e)[:2] == ("ResourceNotFoundException", "The resource you requested does not exist.")
    lam.delete_layer_version(LayerName=layer, VersionNumber=1)


def test_event_invoke_config(lam, fn):
    with pytest.raises(ClientError) as e:
        lam.get_function_event_invoke_config(FunctionName=fn)
    assert err(e)[0] == "ResourceNotFoundException"
    p = lam.put_function_event_invoke_config(FunctionName=fn, MaximumRetryAttempts=1, MaximumEventAgeInSeconds=300)
    assert (p["MaximumRetryAttempts"], p["MaximumEventAgeInSeconds"]) == (1, 300)
    assert p["FunctionArn"].endswith(f":function:{fn}:$LATEST")
    dlq = f"arn:aws:sqs:us-east-1:{ACCOUNT}:dlq"
    u = lam.update_function_event_invoke_config(FunctionName=fn, DestinationConfig={"OnFailure": {"Destination": dlq}})
    assert u["MaximumRetryAttempts"] == 1
    assert u["DestinationConfig"]["OnFailure"]["Destination"] == dlq
    with pytest.raises(ClientError) as e:
        lam.put_function_event_invoke_config(FunctionName=fn, MaximumRetryAttempts=3)
    assert err(e)[0] in ("ValidationException", "InvalidParameterValueException")
    configs = lam.list_function_event_invoke_configs(FunctionName=fn)["FunctionEventInvokeConfigs"]
    assert len(configs) == 1
    lam.delete_function_event_invoke_config(FunctionName=fn)
    assert lam.list_function_event_invoke_configs(FunctionName=fn)["FunctionEventInvokeConfigs"] == []


def test_tags(lam, fn):
    arn = lam.get_function(FunctionName=fn)["Configuration"]["FunctionArn"]
    lam.tag_resource(Resource=arn, Tags={"a": "1", "b": "2"})
    lam.untag_resource(Resource=arn, TagKeys=["a"])
    assert lam.list_tags(Resource=arn)["Tags"] == {"b": "2"}


def test_invoke_without_running_code(lam, fn):
    r = lam.invoke(FunctionName=fn, InvocationType="DryRun", Payload=b"{}")
    assert r["StatusCode"] == 204
    r = lam.invoke(FunctionName=fn, InvocationType="Event", Payload=b'{"k": 1}')
    assert r["StatusCode"] == 202
    with pytest.raises(ClientError) as e:
        lam.invoke(FunctionName=fn, Payload=b" " * (6 * 1024 * 1024 + 1))
    assert err(e) == ("RequestTooLargeException",
                      "Request must be smaller than 6291456 bytes for the InvokeFunction operation", 413)
    with pytest.raises(ClientError) as e:
        lam.invoke(FunctionName=unique("missing"), Payload=b"{}")
    assert err(e)[0] == "ResourceNotFoundException"


def test_aws_cli(aws, tmp_path):
    name = unique("cli")
    zip_path = tmp_path / "fn.zip"
    zip_path.write_bytes(CODE)
    out = aws("lambda", "create-function", "--function-name", name, "--runtime", "python3.12", "--role", ROLE,
              "--handler", "index.handler", "--zip-file", f"fileb://{zip_path}")
    assert out["FunctionName"] == name
    aws("lambda", "wait", "function-active-v2", "--function-name", name)
    out = aws("lambda", "update-function-configuration", "--function-name", name, "--timeout", "15")
    assert out["Timeout"] == 15
    names = [f["FunctionName"] for f in aws("lambda", "list-functions")["Functions"]]
    assert name in names
    out = aws("lambda", "publish-version", "--function-name", name)
    assert out["Version"] == "1"
    rc, _, stderr = aws.run("lambda", "get-function", "--function-name", unique("nope"))
    assert rc != 0 and "ResourceNotFoundException" in stderr
    aws("lambda", "delete-function", "--function-name", name)
