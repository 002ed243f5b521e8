"""REST APIs (apigateway v1): the control plane with boto3 and the data plane with plain
HTTP (urllib) against both invoke-URL forms — `/restapis/<id>/<stage>/_user_request_/<path>`
and the Host form `<id>.execute-api.localhost` — asserting the status codes and bodies a
client of AWS sees. Written from the API Gateway developer guide and API reference.

Lambda proxy and authorizer tests use a real Python function (zip built here); nothing is
mocked.
"""
import base64
import io
import json
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
import zipfile

import pytest
from botocore.exceptions import ClientError

from lambda_helpers import ROLE, host_python_runtime

ACCOUNT = "000000000000"


@pytest.fixture
def apigw(client):
    return client("apigateway")


def http(endpoint, method, url_path, headers=None, body=None, host=None):
    port = urllib.parse.urlparse(endpoint).port or 80
    data = body.encode() if isinstance(body, str) else body
    req = urllib.request.Request(endpoint + url_path, data=data, method=method)
    if host:
        req.add_header("Host", f"{host}:{port}")
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, {k.lower(): v for k, v in r.headers.items()}, r.read()
    except urllib.error.HTTPError as e:
        return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read()


def path_form(endpoint, api, stage, method, path, **kw):
    return http(endpoint, method, f"/restapis/{api}/{stage}/_user_request_{path}", **kw)


def host_form(endpoint, api, stage, method, path, **kw):
    return http(endpoint, method, f"/{stage}{path}", host=f"{api}.execute-api.localhost", **kw)


def code(excinfo):
    return excinfo.value.response["Error"]["Code"], excinfo.value.response["Error"]["Message"]


def root_id(apigw, api):
    return next(r["id"] for r in apigw.get_resources(restApiId=api)["items"] if r["path"] == "/")


def mock_method(apigw, api, rid, verb="GET", status=200, body='{"ok": true}', **method_kw):
    apigw.put_method(restApiId=api, resourceId=rid, httpMethod=verb,
                     authorizationType=method_kw.pop("authorizationType", "NONE"), **method_kw)
    apigw.put_integration(restApiId=api, resourceId=rid, httpMethod=verb, type="MOCK",
                          requestTemplates={"application/json": json.dumps({"statusCode": status})})
    apigw.put_method_response(restApiId=api, resourceId=rid, httpMethod=verb, statusCode=str(status))
    apigw.put_integration_response(restApiId=api, resourceId=rid, httpMethod=verb,
                                   statusCode=str(status),
                                   responseTemplates={"application/json": body},
                                   responseParameters={"method.response.header.X-Mock": "'yes'"})


# ---------------------------------------------------------------- control plane


def test_rest_api_crud_and_errors(apigw):
    api = apigw.create_rest_api(name="crud", description="d", binaryMediaTypes=["image/png"],
                                tags={"team": "a"})
    assert len(api["id"]) == 10 and api["id"].isalnum() and api["id"] == api["id"].lower()
    assert api["apiKeySource"] == "HEADER"
    assert api["endpointConfiguration"]["types"] == ["EDGE"]
    assert api["rootResourceId"]
    got = apigw.get_rest_api(restApiId=api["id"])
    assert got["name"] == "crud" and got["tags"] == {"team": "a"}
    assert api["id"] in [a["id"] for a in apigw.get_rest_apis()["items"]]
    up = apigw.update_rest_api(restApiId=api["id"], patchOperations=[
        {"op": "replace", "path": "/name", "value": "renamed"},
        {"op": "add", "path": "/binaryMediaTypes/application~1octet-stream"},
        {"op": "remove", "path": "/binaryMediaTypes/image~1png"},
    ])
    assert up["name"] == "renamed" and up["binaryMediaTypes"] == ["application/octet-stream"]
    with pytest.raises(ClientError) as e:
        apigw.update_rest_api(restApiId=api["id"], patchOperations=[
            {"op": "replace", "path": "/nope", "value": "x"}])
    assert code(e)[0] == "BadRequestException"
    apigw.delete_rest_api(restApiId=api["id"])
    with pytest.raises(ClientError) as e:
        apigw.get_rest_api(restApiId=api["id"])
    assert code(e) == ("NotFoundException", f"Invalid API identifier specified {ACCOUNT}:{api['id']}")
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_resources_methods_integrations(apigw):
    api = apigw.create_rest_api(name="res")["id"]
    root = root_id(apigw, api)
    pets = apigw.create_resource(restApiId=api, parentId=root, pathPart="pets")
    assert pets["path"] == "/pets"
    pet = apigw.create_resource(restApiId=api, parentId=pets["id"], pathPart="{id}")
    assert pet["path"] == "/pets/{id}"
    with pytest.raises(ClientError) as e:
        apigw.create_resource(restApiId=api, parentId=root, pathPart="pets")
    assert code(e)[0] == "ConflictException"
    with pytest.raises(ClientError) as e:
        apigw.create_resource(restApiId=api, parentId="nope", pathPart="x")
    assert code(e) == ("NotFoundException", "Invalid Resource identifier specified")
    m = apigw.put_method(restApiId=api, resourceId=pet["id"], httpMethod="GET",
                         authorizationType="NONE", apiKeyRequired=True,
                         requestParameters={"method.request.path.id": True})
    assert m["httpMethod"] == "GET" and m["apiKeyRequired"] is True
    with pytest.raises(ClientError) as e:
        apigw.put_method(restApiId=api, resourceId=pet["id"], httpMethod="GET", authorizationType="NONE")
    assert code(e)[0] == "ConflictException"
    with pytest.raises(ClientError) as e:
        apigw.put_method(restApiId=api, resourceId=pet["id"], httpMethod="POST", authorizationType="CUSTOM")
    assert code(e)[0] == "BadRequestException"
    m = apigw.update_method(restApiId=api, resourceId=pet["id"], httpMethod="GET", patchOperations=[
        {"op": "replace", "path": "/apiKeyRequired", "value": "false"}])
    assert m["apiKeyRequired"] is False
    with pytest.raises(ClientError) as e:
        apigw.get_integration(restApiId=api, resourceId=pet["id"], httpMethod="GET")
    assert code(e)[0] == "NotFoundException"
    with pytest.raises(ClientError) as e:
        apigw.put_integration(restApiId=api, resourceId=pet["id"], httpMethod="GET", type="HTTP_PROXY",
                              integrationHttpMethod="GET", uri="http://example.com", timeoutInMillis=30000)
    assert code(e) == ("BadRequestException", "Timeout should be between 50 ms and 29000 ms")
    i = apigw.put_integration(restApiId=api, resourceId=pet["id"], httpMethod="GET", type="AWS_PROXY",
                              integrationHttpMethod="POST",
                              uri="arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/"
                                  "arn:aws:lambda:us-east-1:000000000000:function:f/invocations")
    assert i["type"] == "AWS_PROXY" and i["timeoutInMillis"] == 29000
    assert i["passthroughBehavior"] == "WHEN_NO_MATCH"
    i = apigw.update_integration(restApiId=api, resourceId=pet["id"], httpMethod="GET", patchOperations=[
        {"op": "replace", "path": "/timeoutInMillis", "value": "5000"}])
    assert i["timeoutInMillis"] == 5000
    apigw.put_method_response(restApiId=api, resourceId=pet["id"], httpMethod="GET", statusCode="200")
    apigw.put_integration_response(restApiId=api, resourceId=pet["id"], httpMethod="GET", statusCode="200",
                                   selectionPattern="")
    assert apigw.get_method_response(restApiId=api, resourceId=pet["id"], httpMethod="GET",
                                     statusCode="200")["statusCode"] == "200"
    got = apigw.get_method(restApiId=api, resourceId=pet["id"], httpMethod="GET")
    assert got["methodIntegration"]["integrationResponses"]["200"]["statusCode"] == "200"
    listed = {r["path"]: r for r in apigw.get_resources(restApiId=api, embed=["methods"])["items"]}
    assert set(listed) == {"/", "/pets", "/pets/{id}"}
    assert "GET" in listed["/pets/{id}"]["resourceMethods"]
    apigw.delete_integration_response(restApiId=api, resourceId=pet["id"], httpMethod="GET", statusCode="200")
    apigw.delete_method_response(restApiId=api, resourceId=pet["id"], httpMethod="GET", statusCode="200")
    apigw.delete_integration(restApiId=api, resourceId=pet["id"], httpMethod="GET")
    apigw.delete_method(restApiId=api, resourceId=pet["id"], httpMethod="GET")
    with pytest.raises(ClientError) as e:
        apigw.get_method(restApiId=api, resourceId=pet["id"], httpMethod="GET")
    assert code(e) == ("NotFoundException", "Invalid Method identifier specified")
    apigw.delete_resource(restApiId=api, resourceId=pets["id"])
    assert [r["path"] for r in apigw.get_resources(restApiId=api)["items"]] == ["/"]


def test_models_validators_authorizers(apigw):
    api = apigw.create_rest_api(name="defs")["id"]
    schema = json.dumps({"$schema": "http://json-schema.org/draft-04/schema#", "type": "object",
                         "required": ["name"], "properties": {"name": {"type": "string"}}})
    m = apigw.create_model(restApiId=api, name="Pet", contentType="application/json", schema=schema)
    assert m["name"] == "Pet" and json.loads(m["schema"])["required"] == ["name"]
    with pytest.raises(ClientError) as e:
        apigw.create_model(restApiId=api, name="Pet", contentType="application/json", schema=schema)
    assert code(e)[0] == "ConflictException"
    assert [x["name"] for x in apigw.get_models(restApiId=api)["items"]] == ["Pet"]
    v = apigw.create_request_validator(restApiId=api, name="body", validateRequestBody=True)
    assert apigw.get_request_validator(restApiId=api, requestValidatorId=v["id"])["validateRequestBody"]
    a = apigw.create_authorizer(restApiId=api, name="tok", type="TOKEN",
                                identitySource="method.request.header.Authorization",
                                authorizerUri="arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/"
                                              "arn:aws:lambda:us-east-1:000000000000:function:auth/invocations")
    assert a["authorizerResultTtlInSeconds"] == 300
    a = apigw.update_authorizer(restApiId=api, authorizerId=a["id"], patchOperations=[
        {"op": "replace", "path": "/authorizerResultTtlInSeconds", "value": "0"}])
    assert a["authorizerResultTtlInSeconds"] == 0
    assert len(apigw.get_authorizers(restApiId=api)["items"]) == 1
    with pytest.raises(ClientError) as e:
        apigw.create_authorizer(restApiId=api, name="bad", type="TOKEN")
    assert code(e)[0] == "BadRequestException"
    apigw.delete_authorizer(restApiId=api, authorizerId=a["id"])
    apigw.delete_request_validator(restApiId=api, requestValidatorId=v["id"])
    apigw.delete_model(restApiId=api, modelName="Pet")
    with pytest.raises(ClientError) as e:
        apigw.get_model(restApiId=api, modelName="Pet")
    assert code(e)[0] == "NotFoundException"


def test_deployments_stages_keys_plans(apigw):
    api = apigw.create_rest_api(name="deploy")["id"]
    with pytest.raises(ClientError) as e:
        apigw.create_deployment(restApiId=api, stageName="prod")
    assert code(e) == ("BadRequestException", "The REST API doesn't contain any methods")
    mock_method(apigw, api, root_id(apigw, api))
    d = apigw.create_deployment(restApiId=api, stageName="prod", variables={"color": "blue"})
    s = apigw.get_stage(restApiId=api, stageName="prod")
    assert s["deploymentId"] == d["id"] and s["variables"] == {"color": "blue"}
    s = apigw.update_stage(restApiId=api, stageName="prod", patchOperations=[
        {"op": "replace", "path": "/*/*/throttling/rateLimit", "value": "100"},
        {"op": "replace", "path": "/*/*/throttling/burstLimit", "value": "50"},
        {"op": "replace", "path": "/variables/size", "value": "L"},
        {"op": "replace", "path": "/description", "value": "production"},
    ])
    assert s["methodSettings"]["*/*"]["throttlingRateLimit"] == 100.0
    assert s["methodSettings"]["*/*"]["throttlingBurstLimit"] == 50
    assert s["variables"] == {"color": "blue", "size": "L"} and s["description"] == "production"
    apigw.create_stage(restApiId=api, stageName="dev", deploymentId=d["id"])
    assert {x["stageName"] for x in apigw.get_stages(restApiId=api)["item"]} == {"prod", "dev"}
    with pytest.raises(ClientError) as e:
        apigw.create_stage(restApiId=api, stageName="dev", deploymentId=d["id"])
    assert code(e)[0] == "ConflictException"
    with pytest.raises(ClientError) as e:
        apigw.delete_deployment(restApiId=api, deploymentId=d["id"])
    assert code(e)[0] == "BadRequestException"
    assert [x["id"] for x in apigw.get_deployments(restApiId=api)["items"]] == [d["id"]]
    key = apigw.create_api_key(name="k", enabled=True)
    assert len(key["value"]) >= 20
    assert "value" not in apigw.get_api_key(apiKey=key["id"])
    assert apigw.get_api_key(apiKey=key["id"], includeValue=True)["value"] == key["value"]
    plan = apigw.create_usage_plan(name="p", apiStages=[{"apiId": api, "stage": "prod"}],
                                   throttle={"rateLimit": 10, "burstLimit": 5},
                                   quota={"limit": 100, "period": "DAY"})
    pk = apigw.create_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"], keyType="API_KEY")
    assert pk["id"] == key["id"] and pk["type"] == "API_KEY"
    assert [k["id"] for k in apigw.get_usage_plan_keys(usagePlanId=plan["id"])["items"]] == [key["id"]]
    usage = apigw.get_usage(usagePlanId=plan["id"], startDate="2024-01-01", endDate="2024-01-02")
    assert usage["usagePlanId"] == plan["id"] and len(usage["items"][key["id"]]) == 2
    plan = apigw.update_usage_plan(usagePlanId=plan["id"], patchOperations=[
        {"op": "replace", "path": "/throttle/rateLimit", "value": "20"}])
    assert plan["throttle"]["rateLimit"] == 20.0
    arn = f"arn:aws:apigateway:us-east-1::/restapis/{api}/stages/prod"
    apigw.tag_resource(resourceArn=arn, tags={"env": "prod"})
    assert apigw.get_tags(resourceArn=arn)["tags"] == {"env": "prod"}
    apigw.untag_resource(resourceArn=arn, tagKeys=["env"])
    assert apigw.get_tags(resourceArn=arn)["tags"] == {}
    apigw.delete_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"])
    apigw.delete_usage_plan(usagePlanId=plan["id"])
    apigw.delete_api_key(apiKey=key["id"])
    apigw.delete_stage(restApiId=api, stageName="dev")
    with pytest.raises(ClientError) as e:
        apigw.get_stage(restApiId=api, stageName="dev")
    assert code(e) == ("NotFoundException", "Invalid Stage identifier specified")


def test_domain_names_and_mappings(apigw):
    api = apigw.create_rest_api(name="dom")["id"]
    mock_method(apigw, api, root_id(apigw, api))
    apigw.create_deployment(restApiId=api, stageName="prod")
    name = f"api-{uuid.uuid4().hex[:6]}.example.com"
    d = apigw.create_domain_name(domainName=name, endpointConfiguration={"types": ["REGIONAL"]})
    assert d["domainName"] == name and d["regionalDomainName"]
    m = apigw.create_base_path_mapping(domainName=name, restApiId=api, stage="prod", basePath="v1")
    assert m == {**m, "basePath": "v1", "restApiId": api, "stage": "prod"}
    assert [x["basePath"] for x in apigw.get_base_path_mappings(domainName=name)["items"]] == ["v1"]
    apigw.delete_base_path_mapping(domainName=name, basePath="v1")
    apigw.delete_domain_name(domainName=name)
    with pytest.raises(ClientError) as e:
        apigw.get_domain_name(domainName=name)
    assert code(e)[0] == "NotFoundException"


# ---------------------------------------------------------------- data plane


def test_mock_both_url_forms_and_deployed_snapshot(apigw, endpoint):
    api = apigw.create_rest_api(name="mock")["id"]
    root = root_id(apigw, api)
    hello = apigw.create_resource(restApiId=api, parentId=root, pathPart="hello")
    mock_method(apigw, api, hello["id"], body='{"greeting": "hi"}')
    apigw.create_deployment(restApiId=api, stageName="test")
    for form in (path_form, host_form):
        status, headers, body = form(endpoint, api, "test", "GET", "/hello")
        assert status == 200, body
        assert json.loads(body) == {"greeting": "hi"}
        assert headers["x-mock"] == "yes"
        status, _, body = form(endpoint, api, "test", "GET", "/nothing")
        assert (status, json.loads(body)) == (403, {"message": "Missing Authentication Token"})
        status, _, body = form(endpoint, api, "test", "POST", "/hello")
        assert (status, json.loads(body)) == (403, {"message": "Missing Authentication Token"})
    status, _, body = path_form(endpoint, api, "nostage", "GET", "/hello")
    assert (status, json.loads(body)) == (403, {"message": "Forbidden"})
    # a change that is not deployed is not served
    bye = apigw.create_resource(restApiId=api, parentId=root, pathPart="bye")
    mock_method(apigw, api, bye["id"], body='{"bye": 1}')
    assert path_form(endpoint, api, "test", "GET", "/bye")[0] == 403
    apigw.create_deployment(restApiId=api, stageName="test")
    status, _, body = path_form(endpoint, api, "test", "GET", "/bye")
    assert (status, json.loads(body)) == (200, {"bye": 1})


def test_mock_status_selection_and_api_key(apigw, endpoint):
    api = apigw.create_rest_api(name="keys")["id"]
    root = root_id(apigw, api)
    gone = apigw.create_resource(restApiId=api, parentId=root, pathPart="gone")
    mock_method(apigw, api, gone["id"], status=404, body='{"error": "gone"}')
    secret = apigw.create_resource(restApiId=api, parentId=root, pathPart="secret")
    mock_method(apigw, api, secret["id"], body='{"secret": true}', apiKeyRequired=True)
    apigw.create_deployment(restApiId=api, stageName="prod")
    status, _, body = path_form(endpoint, api, "prod", "GET", "/gone")
    assert (status, json.loads(body)) == (404, {"error": "gone"})
    status, _, body = path_form(endpoint, api, "prod", "GET", "/secret")
    assert (status, json.loads(body)) == (403, {"message": "Forbidden"})
    key = apigw.create_api_key(name="client", enabled=True)
    status, _, _ = path_form(endpoint, api, "prod", "GET", "/secret", headers={"x-api-key": key["value"]})
    assert status == 403  # a key outside any usage plan of the stage
    plan = apigw.create_usage_plan(name="p", apiStages=[{"apiId": api, "stage": "prod"}])
    apigw.create_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"], keyType="API_KEY")
    status, _, body = path_form(endpoint, api, "prod", "GET", "/secret", headers={"x-api-key": key["value"]})
    assert (status, json.loads(body)) == (200, {"secret": True})


OPENAPI = {
    "openapi": "3.0.1",
    "info": {"title": "imported", "version": "1.0"},
    "paths": {
        "/items/{id}": {
            "get": {
                "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}],
                "responses": {"200": {"description": "ok"}},
                "x-amazon-apigateway-integration": {
                    "type": "mock",
                    "requestTemplates": {"application/json": "{\"statusCode\": 200}"},
                    "responses": {"default": {"statusCode": "200", "responseTemplates": {
                        "application/json": "{\"id\": \"$input.params('id')\", \"stage\": \"$context.stage\"}"}}},
                },
            }
        }
    },
}


def test_openapi_import_serves_and_exports(apigw, endpoint):
    api = apigw.import_rest_api(body=json.dumps(OPENAPI).encode())
    assert api["name"] == "imported"
    paths = {r["path"] for r in apigw.get_resources(restApiId=api["id"])["items"]}
    assert paths == {"/", "/items", "/items/{id}"}
    apigw.create_deployment(restApiId=api["id"], stageName="v1")
    status, _, body = host_form(endpoint, api["id"], "v1", "GET", "/items/42")
    assert status == 200, body
    assert json.loads(body) == {"id": "42", "stage": "v1"}
    exported = json.loads(apigw.get_export(restApiId=api["id"], stageName="v1", exportType="oas30",
                                           parameters={"extensions": "integrations"})["body"].read())
    assert exported["openapi"].startswith("3.0")
    assert "x-amazon-apigateway-integration" in exported["paths"]["/items/{id}"]["get"]
    swagger = json.loads(apigw.get_export(restApiId=api["id"], stageName="v1",
                                          exportType="swagger")["body"].read())
    assert swagger["swagger"] == "2.0" and swagger["basePath"] == "/v1"
    with pytest.raises(ClientError) as e:
        apigw.import_rest_api(body=b"not a spec")
    assert code(e)[0] == "BadRequestException"


FUNCTION = '''
import base64, json
def handler(event, context):
    path = event["path"]
    if path.endswith("/broken"):
        return {"statusCode": 200, "body": {"not": "a string"}}
    if path.endswith("/raise"):
        raise Exception("boom")
    if path.endswith("/binary"):
        return {"statusCode": 200, "headers": {"Content-Type": "image/png"},
                "body": base64.b64encode(b"\\x89PNG").decode(), "isBase64Encoded": True}
    return {"statusCode": 201, "headers": {"X-Echo": "1"},
            "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"]},
            "body": json.dumps(event)}

def authorizer(event, context):
    token = event.get("authorizationToken")
    if token == "deny":
        effect = "Deny"
    elif token == "allow":
        effect = "Allow"
    else:
        raise Exception("Unauthorized")
    return {"principalId": "user-1",
            "policyDocument": {"Version": "2012-10-17", "Statement": [
                {"Action": "execute-api:Invoke", "Effect": effect, "Resource": event["methodArn"]}]},
            "context": {"tier": "gold", "n": 7}}
'''


def make_function(client, handler):
    lam = client("lambda")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("handler.py", FUNCTION)
    name = f"apigw-v1-{uuid.uuid4().hex[:6]}"
    try:
        fn = lam.create_function(FunctionName=name, Runtime=host_python_runtime(), Role=ROLE,
                                 Handler=f"handler.{handler}", Code={"ZipFile": buf.getvalue()})
    except ClientError as e:
        pytest.skip(f"Lambda cannot create functions here: {e}")
    for _ in range(100):
        if lam.get_function(FunctionName=name)["Configuration"].get("State", "Active") == "Active":
            break
        time.sleep(0.1)
    return fn["FunctionArn"]


def lambda_uri(arn):
    return f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{arn}/invocations"


def test_lambda_proxy_event_and_response(apigw, client, endpoint):
    fn = make_function(client, "handler")
    api = apigw.create_rest_api(name="proxy", binaryMediaTypes=["application/octet-stream"])["id"]
    proxy = apigw.create_resource(restApiId=api, parentId=root_id(apigw, api), pathPart="{proxy+}")
    apigw.put_method(restApiId=api, resourceId=proxy["id"], httpMethod="ANY", authorizationType="NONE")
    apigw.put_integration(restApiId=api, resourceId=proxy["id"], httpMethod="ANY", type="AWS_PROXY",
                          integrationHttpMethod="POST", uri=lambda_uri(fn))
    apigw.create_deployment(restApiId=api, stageName="prod", variables={"v": "1"})
    status, headers, body = path_form(endpoint, api, "prod", "POST", "/a/b?x=1&x=2&y=3",
                                      headers={"Content-Type": "application/json", "X-Custom": "c"},
                                      body='{"hello": "world"}')
    assert status == 201, body
    assert headers["x-echo"] == "1"
    ev = json.loads(body)
    assert ev["resource"] == "/{proxy+}" and ev["path"] == "/a/b" and ev["httpMethod"] == "POST"
    assert ev["pathParameters"] == {"proxy": "a/b"}
    assert ev["queryStringParameters"] == {"x": "2", "y": "3"}
    assert ev["multiValueQueryStringParameters"] == {"x": ["1", "2"], "y": ["3"]}
    assert ev["stageVariables"] == {"v": "1"}
    assert ev["headers"]["X-Custom"] == "c" and ev["multiValueHeaders"]["X-Custom"] == ["c"]
    assert ev["body"] == '{"hello": "world"}' and ev["isBase64Encoded"] is False
    rc = ev["requestContext"]
    assert rc["apiId"] == api and rc["stage"] == "prod" and rc["resourcePath"] == "/{proxy+}"
    assert rc["httpMethod"] == "POST" and rc["accountId"] == ACCOUNT and rc["requestId"]
    assert rc["identity"]["sourceIp"] and rc["path"] == "/prod/a/b"
    status, _, body = host_form(endpoint, api, "prod", "PUT", "/bin", body=b"\x00\x01",
                                headers={"Content-Type": "application/octet-stream"})
    ev = json.loads(body)
    assert ev["isBase64Encoded"] is True and base64.b64decode(ev["body"]) == b"\x00\x01"
    status, headers, body = path_form(endpoint, api, "prod", "GET", "/binary")
    assert (status, body, headers["content-type"]) == (200, b"\x89PNG", "image/png")
    for bad in ("/broken", "/raise"):
        status, _, body = path_form(endpoint, api, "prod", "GET", bad)
        assert (status, json.loads(body)) == (502, {"message": "Internal server error"})


def test_token_authorizer(apigw, client, endpoint):
    fn = make_function(client, "authorizer")
    api = apigw.create_rest_api(name="auth")["id"]
    auth = apigw.create_authorizer(restApiId=api, name="tok", type="TOKEN", authorizerUri=lambda_uri(fn),
                                   identitySource="method.request.header.Authorization",
                                   authorizerResultTtlInSeconds=0)
    root = root_id(apigw, api)
    mock_method(apigw, api, root, body='{"principal": "$context.authorizer.principalId"}',
                authorizationType="CUSTOM", authorizerId=auth["id"])
    apigw.create_deployment(restApiId=api, stageName="prod")
    status, _, body = path_form(endpoint, api, "prod", "GET", "/")
    assert (status, json.loads(body)) == (401, {"message": "Unauthorized"})
    status, _, body = path_form(endpoint, api, "prod", "GET", "/", headers={"Authorization": "deny"})
    assert (status, json.loads(body)) == (
        403, {"Message": "User is not authorized to access this resource with an explicit deny"})
    status, _, body = path_form(endpoint, api, "prod", "GET", "/", headers={"Authorization": "other"})
    assert (status, json.loads(body)) == (401, {"message": "Unauthorized"})
    status, _, body = path_form(endpoint, api, "prod", "GET", "/", headers={"Authorization": "allow"})
    assert (status, json.loads(body)) == (200, {"principal": "user-1"})
