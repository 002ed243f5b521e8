"""REST API (apigateway v1) features beyond the basics: stage response caching, Cognito user
pool authorizers, AWS service integrations, usage, YAML import and access logs. The control
plane is driven with boto3, the data plane with plain HTTP (urllib) on the path form of the
invoke URL, asserting the status codes, headers and bodies a client of AWS sees. Written from
the API Gateway developer guide and API reference; Lambda functions are real (zips built here).
"""
import base64
import io
import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from botocore.exceptions import ClientError

from lambda_helpers import ROLE, host_python_runtime

ACCOUNT = "000000000000"
REGION = "us-east-1"


@pytest.fixture
def apigw(client):
    return client("apigateway")


def http(endpoint, method, url_path, headers=None, body=None):
    data = body.encode() if isinstance(body, str) else body
    req = urllib.request.Request(endpoint + url_path, data=data, method=method)
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, {k.lower(): v for k, v in r.headers.items()}, r.read()
    except urllib.error.HTTPError as e:
        return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read()


def invoke(endpoint, api, stage, method, path, **kw):
    return http(endpoint, method, f"/restapis/{api}/{stage}/_user_request_{path}", **kw)


def signed_headers(endpoint, method, url, headers=None):
    """SigV4 headers for an execute-api request (what an IAM-authorized client sends)."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    req = AWSRequest(method=method, url=endpoint + url, headers=headers or {})
    SigV4Auth(Credentials("test", "test"), "execute-api", REGION).add_auth(req)
    return dict(req.headers.items())


def code(excinfo):
    return excinfo.value.response["Error"]["Code"], excinfo.value.response["Error"]["Message"]


def root_id(apigw, api):
    return next(r["id"] for r in apigw.get_resources(restApiId=api)["items"] if r["path"] == "/")


COUNTER = '''
import json, uuid
n = 0
def handler(event, context):
    global n
    n += 1
    return {"statusCode": 200, "headers": {"Content-Type": "application/json"},
            "body": json.dumps({"n": n, "id": str(uuid.uuid4()), "method": event["httpMethod"],
                                "query": event["queryStringParameters"]})}
'''


def make_function(client, source, handler="handler.handler"):
    lam = client("lambda")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("handler.py", source)
    name = f"apigw-feat-{uuid.uuid4().hex[:6]}"
    try:
        fn = lam.create_function(FunctionName=name, Runtime=host_python_runtime(), Role=ROLE,
                                 Handler=handler, Code={"ZipFile": buf.getvalue()})
    except ClientError as e:
        pytest.skip(f"Lambda cannot create functions here: {e}")
    for _ in range(100):
        if lam.get_function(FunctionName=name)["Configuration"].get("State", "Active") == "Active":
            break
        time.sleep(0.1)
    return fn["FunctionArn"]


def lambda_uri(arn):
    return f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{arn}/invocations"


# ---------------------------------------------------------------- response caching


def counter_api(apigw, client, cache_key_query=None):
    fn = make_function(client, COUNTER)
    api = apigw.create_rest_api(name="cached")["id"]
    items = apigw.create_resource(restApiId=api, parentId=root_id(apigw, api), pathPart="items")
    params = {f"method.request.querystring.{cache_key_query}": False} if cache_key_query else {}
    for verb in ("GET", "POST"):
        apigw.put_method(restApiId=api, resourceId=items["id"], httpMethod=verb,
                         authorizationType="NONE", requestParameters=params)
        apigw.put_integration(restApiId=api, resourceId=items["id"], httpMethod=verb,
                              type="AWS_PROXY", integrationHttpMethod="POST", uri=lambda_uri(fn),
                              cacheKeyParameters=list(params))
    apigw.create_deployment(restApiId=api, stageName="prod")
    return api


def get_n(endpoint, api, path="/items", method="GET", headers=None):
    status, resp_headers, body = invoke(endpoint, api, "prod", method, path, headers=headers)
    assert status == 200, body
    return json.loads(body)["n"], resp_headers


def test_cache_cluster_settings_control_plane(apigw):
    api = apigw.create_rest_api(name="cachecp")["id"]
    root = root_id(apigw, api)
    apigw.put_method(restApiId=api, resourceId=root, httpMethod="GET", authorizationType="NONE")
    apigw.put_integration(restApiId=api, resourceId=root, httpMethod="GET", type="MOCK",
                          requestTemplates={"application/json": '{"statusCode": 200}'})
    dep = apigw.create_deployment(restApiId=api)["id"]
    stage = apigw.create_stage(restApiId=api, stageName="prod", deploymentId=dep)
    assert stage["cacheClusterEnabled"] is False
    assert stage["cacheClusterStatus"] == "NOT_AVAILABLE"
    stage = apigw.update_stage(restApiId=api, stageName="prod", patchOperations=[
        {"op": "replace", "path": "/cacheClusterEnabled", "value": "true"},
        {"op": "replace", "path": "/*/*/caching/enabled", "value": "true"},
        {"op": "replace", "path": "/~1/GET/caching/ttlInSeconds", "value": "30"},
        {"op": "replace", "path": "/~1/GET/caching/unauthorizedCacheControlHeaderStrategy",
         "value": "FAIL_WITH_403"},
    ])
    assert stage["cacheClusterEnabled"] is True
    assert stage["cacheClusterSize"] == "0.5"
    assert stage["cacheClusterStatus"] == "AVAILABLE"
    assert stage["methodSettings"]["*/*"]["cachingEnabled"] is True
    assert stage["methodSettings"]["*/*"]["cacheTtlInSeconds"] == 300
    own = stage["methodSettings"]["~1/GET"]
    assert own["cacheTtlInSeconds"] == 30
    assert own["unauthorizedCacheControlHeaderStrategy"] == "FAIL_WITH_403"
    assert own["requireAuthorizationForCacheControl"] is True
    stage = apigw.update_stage(restApiId=api, stageName="prod", patchOperations=[
        {"op": "replace", "path": "/cacheClusterSize", "value": "1.6"}])
    assert stage["cacheClusterSize"] == "1.6"
    for bad in ({"op": "replace", "path": "/cacheClusterSize", "value": "0.7"},
                {"op": "replace", "path": "/*/*/caching/unauthorizedCacheControlHeaderStrategy",
                 "value": "NOPE"}):
        with pytest.raises(ClientError) as e:
            apigw.update_stage(restApiId=api, stageName="prod", patchOperations=[bad])
        assert code(e)[0] == "BadRequestException"
    # Nothing changed by the rejected patches.
    got = apigw.get_stage(restApiId=api, stageName="prod")
    assert got["cacheClusterSize"] == "1.6"
    assert got["methodSettings"]["*/*"]["unauthorizedCacheControlHeaderStrategy"] == \
        "SUCCEED_WITH_RESPONSE_HEADER"
    apigw.flush_stage_cache(restApiId=api, stageName="prod")
    with pytest.raises(ClientError) as e:
        apigw.flush_stage_cache(restApiId=api, stageName="nope")
    assert code(e) == ("NotFoundException", "Invalid Stage identifier specified")
    stage = apigw.update_stage(restApiId=api, stageName="prod", patchOperations=[
        {"op": "replace", "path": "/cacheClusterEnabled", "value": "false"}])
    assert stage["cacheClusterStatus"] == "NOT_AVAILABLE"


def test_cache_serves_lambda_get_within_ttl(apigw, client, endpoint):
    api = counter_api(apigw, client)
    # Caching is off until the stage has a cache cluster and a method setting enabling it.
    first, _ = get_n(endpoint, api)
    assert get_n(endpoint, api)[0] == first + 1
    apigw.update_stage(restApiId=api, stageName="prod", patchOperations=[
        {"op": "replace", "path": "/cacheClusterEnabled", "value": "true"}])
    assert get_n(endpoint, api)[0] == first + 2
    apigw.update_stage(restApiId=api, stageName="prod", patchOperations=[
        {"op": "replace", "path": "/*/*/caching/enabled", "value": "true"},
        {"op": "replace", "path": "/*/*/caching/requireAuthorizationForCacheControl",
         "value": "false"}])
    n, _ = get_n(endpoint, api)
    assert n == first + 3
    # Same cached body within the TTL, query strings that are not cache keys ignored.
    status, _, body = invoke(endpoint, api, "prod", "GET", "/items")
    status2, _, body2 = invoke(endpoint, api, "prod", "GET", "/items?page=2")
    assert status == status2 == 200 and body == body2 and json.loads(body)["n"] == n
    # Only GET is cached by the stage-wide setting.
    assert get_n(endpoint, api, method="POST")[0] == n + 1
    assert get_n(endpoint, api, method="POST")[0] == n + 2
    # Cache-Control: max-age=0 fetches a fresh response and replaces the entry.
    fresh, _ = get_n(endpoint, api, headers={"Cache-Control": "max-age=0"})
    assert fresh == n + 3
    assert get_n(endpoint, api)[0] == fresh
    # FlushStageCache empties the stage cache.
    apigw.flush_stage_cache(restApiId=api, stageName="prod")
    after_flush, _ = get_n(endpoint, api)
    assert after_flush == fresh + 1
    assert get_n(endpoint, api)[0] == after_flush
    # A per-method TTL: the entry expires.
    apigw.update_stage(restApiId=api, stageName="prod", patchOperations=[
        {"op": "replace", "path": "/~1items/GET/caching/enabled", "value": "true"},
        {"op": "replace", "path": "/~1items/GET/caching/ttlInSeconds", "value": "1"}])
    # (an entry keeps the TTL it was stored with: flush the one cached under 300 s)
    apigw.flush_stage_cache(restApiId=api, stageName="prod")
    a, _ = get_n(endpoint, api)
    assert a == after_flush + 1
    assert get_n(endpoint, api)[0] == a
    time.sleep(1.3)
    assert get_n(endpoint, api)[0] == a + 1
    # A per-method setting caches POST too.
    apigw.update_stage(restApiId=api, stageName="prod", patchOperations=[
        {"op": "replace", "path": "/~1items/POST/caching/enabled", "value": "true"}])
    p, _ = get_n(endpoint, api, method="POST")
    assert get_n(endpoint, api, method="POST")[0] == p
    # TTL 0 turns caching off for that method.
    apigw.update_stage(restApiId=api, stageName="prod", patchOperations=[
        {"op": "replace", "path": "/~1items/POST/caching/ttlInSeconds", "value": "0"}])
    assert get_n(endpoint, api, method="POST")[0] == p + 1
    assert get_n(endpoint, api, method="POST")[0] == p + 2


def test_cache_key_parameters(apigw, client, endpoint):
    api = counter_api(apigw, client, cache_key_query="type")
    apigw.update_stage(restApiId=api, stageName="prod", patchOperations=[
        {"op": "replace", "path": "/cacheClusterEnabled", "value": "true"},
        {"op": "replace", "path": "/*/*/caching/enabled", "value": "true"}])
    dogs, _ = get_n(endpoint, api, path="/items?type=dog")
    cats, _ = get_n(endpoint, api, path="/items?type=cat")
    assert cats == dogs + 1
    assert get_n(endpoint, api, path="/items?type=dog")[0] == dogs
    assert get_n(endpoint, api, path="/items?type=cat&page=3")[0] == cats
    status, _, body = invoke(endpoint, api, "prod", "GET", "/items?type=dog")
    assert json.loads(body)["query"] == {"type": "dog"}


def test_cache_control_requires_authorization(apigw, client, endpoint):
    api = counter_api(apigw, client)
    apigw.update_stage(restApiId=api, stageName="prod", patchOperations=[
        {"op": "replace", "path": "/cacheClusterEnabled", "value": "true"},
        {"op": "replace", "path": "/*/*/caching/enabled", "value": "true"}])
    n, _ = get_n(endpoint, api)
    # Default strategy: the header is ignored and a warning added.
    again, headers = get_n(endpoint, api, headers={"Cache-Control": "max-age=0"})
    assert again == n
    assert "unauthorized" in headers["warning"].lower()
    # A SigV4-signed caller may invalidate.
    url = f"/restapis/{api}/prod/_user_request_/items"
    fresh, headers = get_n(endpoint, api, headers=signed_headers(
        endpoint, "GET", url, {"Cache-Control": "max-age=0"}))
    assert fresh == n + 1 and "warning" not in headers
    assert get_n(endpoint, api)[0] == fresh
    # Ignore without a header.
    apigw.update_stage(restApiId=api, stageName="prod", patchOperations=[
        {"op": "replace", "path": "/*/*/caching/unauthorizedCacheControlHeaderStrategy",
         "value": "SUCCEED_WITHOUT_RESPONSE_HEADER"}])
    same, headers = get_n(endpoint, api, headers={"Cache-Control": "max-age=0"})
    assert same == fresh and "warning" not in headers
    # Fail with 403.
    apigw.update_stage(restApiId=api, stageName="prod", patchOperations=[
        {"op": "replace", "path": "/*/*/caching/unauthorizedCacheControlHeaderStrategy",
         "value": "FAIL_WITH_403"}])
    status, headers, body = invoke(endpoint, api, "prod", "GET", "/items",
                                   headers={"Cache-Control": "max-age=0"})
    assert status == 403
    assert headers["x-amzn-errortype"] == "ForbiddenException"
    assert "execute-api:InvalidateCache" in json.loads(body)["Message"]
    assert get_n(endpoint, api)[0] == fresh


# ---------------------------------------------------------------- Cognito user pool authorizers

ECHO = """
import json
def handler(event, context):
    return {"statusCode": 200, "body": json.dumps(event["requestContext"].get("authorizer"))}
"""


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


class KeyPair:
    """An RSA key whose public half is served as a JWKS, signing RS256 tokens."""

    def __init__(self, kid):
        from cryptography.hazmat.primitives.asymmetric import rsa
        self.kid = kid
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def jwk(self):
        nums = self.key.public_key().public_numbers()
        return {"kty": "RSA", "kid": self.kid, "alg": "RS256", "use": "sig",
                "n": b64url(nums.n.to_bytes((nums.n.bit_length() + 7) // 8, "big")),
                "e": b64url(nums.e.to_bytes(3, "big"))}

    def sign(self, claims):
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding
        head = b64url(json.dumps({"alg": "RS256", "kid": self.kid, "typ": "JWT"}).encode())
        body = b64url(json.dumps(claims).encode())
        sig = self.key.sign(f"{head}.{body}".encode(), padding.PKCS1v15(), hashes.SHA256())
        return f"{head}.{body}.{b64url(sig)}"


@pytest.fixture
def user_pool():
    """A stand-in for a Cognito user pool: its JWKS served at
    http://127.0.0.1:<port>/<pool id>/.well-known/jwks.json, as Cognito publishes it."""
    pytest.importorskip("cryptography", reason="Cognito compat tests need the `cryptography` package")
    pool = f"{REGION}_{uuid.uuid4().hex[:9]}"
    key = KeyPair("k1")

    class Jwks(BaseHTTPRequestHandler):
        def do_GET(self):
            if self.path != f"/{pool}/.well-known/jwks.json":
                self.send_response(404)
                self.end_headers()
                return
            b = json.dumps({"keys": [key.jwk()]}).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(b)))
            self.end_headers()
            self.wfile.write(b)

        def log_message(self, *a):
            pass

    srv = ThreadingHTTPServer(("127.0.0.1", 0), Jwks)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    issuer = f"http://127.0.0.1:{srv.server_address[1]}/{pool}"
    yield {"pool": pool, "issuer": issuer, "key": key,
           "arn": f"arn:aws:cognito-idp:{REGION}:{ACCOUNT}:userpool/{pool}"}
    srv.shutdown()


def test_cognito_user_pools_authorizer(apigw, client, endpoint, user_pool):
    fn = make_function(client, ECHO)
    api = apigw.create_rest_api(name="cognito")["id"]
    with pytest.raises(ClientError) as e:
        apigw.create_authorizer(restApiId=api, name="c", type="COGNITO_USER_POOLS",
                                identitySource="method.request.header.Authorization")
    assert code(e)[0] == "BadRequestException"
    auth = apigw.create_authorizer(restApiId=api, name="pool", type="COGNITO_USER_POOLS",
                                   providerARNs=[user_pool["arn"]],
                                   identitySource="method.request.header.Authorization")
    assert auth["providerARNs"] == [user_pool["arn"]]
    root = root_id(apigw, api)
    orders = apigw.create_resource(restApiId=api, parentId=root, pathPart="orders")
    for rid, scopes in ((root, None), (orders["id"], ["orders/read"])):
        kw = {"authorizationScopes": scopes} if scopes else {}
        apigw.put_method(restApiId=api, resourceId=rid, httpMethod="GET",
                         authorizationType="COGNITO_USER_POOLS", authorizerId=auth["id"], **kw)
        apigw.put_integration(restApiId=api, resourceId=rid, httpMethod="GET", type="AWS_PROXY",
                              integrationHttpMethod="POST", uri=lambda_uri(fn))
    apigw.create_deployment(restApiId=api, stageName="prod")
    now = int(time.time())
    key, iss = user_pool["key"], user_pool["issuer"]
    id_claims = {"sub": "u-1", "iss": iss, "aud": "client1", "token_use": "id",
                 "cognito:username": "alice", "email_verified": True, "exp": now + 300,
                 "iat": now}

    def get(path, token=None):
        headers = {"Authorization": token} if token is not None else {}
        status, _, body = invoke(endpoint, api, "prod", "GET", path, headers=headers)
        return status, json.loads(body)

    unauthorized = (401, {"message": "Unauthorized"})
    assert get("/") == unauthorized
    assert get("/", "") == unauthorized
    assert get("/", "not-a-jwt") == unauthorized
    assert get("/", key.sign({**id_claims, "exp": now - 5})) == unauthorized
    assert get("/", KeyPair("k1").sign(id_claims)) == unauthorized
    other_pool = iss.rsplit("/", 1)[0] + f"/{REGION}_other"
    assert get("/", key.sign({**id_claims, "iss": other_pool})) == unauthorized
    tampered = key.sign(id_claims).split(".")
    tampered[1] = b64url(json.dumps({**id_claims, "sub": "mallory"}).encode())
    assert get("/", ".".join(tampered)) == unauthorized
    # A valid ID token: the claims reach the function as strings.
    status, ctx = get("/", key.sign(id_claims))
    assert status == 200, ctx
    claims = ctx["claims"]
    assert claims["sub"] == "u-1" and claims["cognito:username"] == "alice"
    assert claims["iss"] == iss and claims["email_verified"] == "true"
    assert get("/", "Bearer " + key.sign(id_claims))[0] == 200
    # A method with OAuth scopes needs an access token carrying one of them.
    assert get("/orders", key.sign(id_claims)) == unauthorized
    access = {"sub": "u-1", "iss": iss, "client_id": "client1", "token_use": "access",
              "scope": "orders/read orders/write", "exp": now + 300}
    status, ctx = get("/orders", key.sign(access))
    assert status == 200 and ctx["claims"]["scope"] == "orders/read orders/write"
    assert get("/orders", key.sign({**access, "scope": "orders/write"})) == unauthorized


# ---------------------------------------------------------------- AWS service integrations


def service_method(apigw, api, rid, verb, uri, templates, responses, method_params=None,
                   integration_params=None, http_method="POST"):
    apigw.put_method(restApiId=api, resourceId=rid, httpMethod=verb, authorizationType="NONE",
                     requestParameters=method_params or {})
    apigw.put_integration(restApiId=api, resourceId=rid, httpMethod=verb, type="AWS",
                          integrationHttpMethod=http_method, uri=uri,
                          credentials=f"arn:aws:iam::{ACCOUNT}:role/apigw-service",
                          requestParameters=integration_params or {},
                          requestTemplates=templates)
    for status, pattern, template in responses:
        apigw.put_method_response(restApiId=api, resourceId=rid, httpMethod=verb,
                                  statusCode=status)
        kw = {"selectionPattern": pattern} if pattern else {}
        apigw.put_integration_response(restApiId=api, resourceId=rid, httpMethod=verb,
                                       statusCode=status, **kw,
                                       responseTemplates={"application/json": template}
                                       if template is not None else {})


def test_dynamodb_integration_put_and_query(apigw, client, endpoint):
    ddb = client("dynamodb")
    table = f"apigw-items-{uuid.uuid4().hex[:6]}"
    ddb.create_table(TableName=table, BillingMode="PAY_PER_REQUEST",
                     AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"},
                                           {"AttributeName": "at", "AttributeType": "N"}],
                     KeySchema=[{"AttributeName": "id", "KeyType": "HASH"},
                                {"AttributeName": "at", "KeyType": "RANGE"}])
    api = apigw.create_rest_api(name="ddb")["id"]
    items = apigw.create_resource(restApiId=api, parentId=root_id(apigw, api), pathPart="items")
    item = apigw.create_resource(restApiId=api, parentId=items["id"], pathPart="{id}")
    put = ('{"TableName": "%s", "Item": {"id": {"S": "$input.path(\'$.id\')"}, '
           '"at": {"N": "$input.path(\'$.at\')"}, '
           '"name": {"S": "$util.escapeJavaScript($input.path(\'$.name\'))"}, '
           '"source": {"S": "$context.requestId"}}}' % table)
    service_method(apigw, api, items["id"], "POST",
                   f"arn:aws:apigateway:{REGION}:dynamodb:action/PutItem",
                   {"application/json": put},
                   [("200", None, '{"stored": "$input.path(\'$\')"}'),
                    ("400", "4\\d{2}", '{"error": "$input.path(\'$.message\')"}')])
    query = ('{"TableName": "%s", "KeyConditionExpression": "id = :id", '
             '"ExpressionAttributeValues": {":id": {"S": "$input.params(\'id\')"}}, '
             '"ScanIndexForward": false}' % table)
    listing = ('#set($root = $input.path(\'$\')){"count": $root.Count, "items": ['
               '#foreach($i in $root.Items){"at": $i.at.N, "name": "$util.escapeJavaScript($i.name.S)"}'
               '#if($foreach.hasNext),#end#end]}')
    service_method(apigw, api, item["id"], "GET",
                   f"arn:aws:apigateway:{REGION}:dynamodb:action/Query",
                   {"application/json": query}, [("200", None, listing)],
                   method_params={"method.request.path.id": True})
    apigw.create_deployment(restApiId=api, stageName="prod")

    for at, name in ((1, "first"), (2, 'second "quoted"')):
        status, _, body = invoke(endpoint, api, "prod", "POST", "/items",
                                 headers={"Content-Type": "application/json"},
                                 body=json.dumps({"id": "u1", "at": at, "name": name}))
        assert status == 200, body
        assert json.loads(body) == {"stored": "{}"}
    got = ddb.get_item(TableName=table, Key={"id": {"S": "u1"}, "at": {"N": "2"}})["Item"]
    assert got["name"] == {"S": 'second "quoted"'} and got["source"]["S"]
    status, _, body = invoke(endpoint, api, "prod", "GET", "/items/u1")
    assert status == 200, body
    assert json.loads(body) == {"count": 2, "items": [{"at": 2, "name": 'second "quoted"'},
                                                     {"at": 1, "name": "first"}]}
    status, _, body = invoke(endpoint, api, "prod", "GET", "/items/nobody")
    assert (status, json.loads(body)) == (200, {"count": 0, "items": []})
    # A DynamoDB error (an empty key) selects the 4xx integration response.
    status, _, body = invoke(endpoint, api, "prod", "POST", "/items",
                             headers={"Content-Type": "application/json"},
                             body=json.dumps({"id": "", "at": 1, "name": "x"}))
    assert status == 400, body
    assert "empty string" in json.loads(body)["error"]
    assert ddb.scan(TableName=table)["Count"] == 2


def test_sqs_integration_path_and_action_forms(apigw, client, endpoint):
    sqs = client("sqs")
    name = f"apigw-q-{uuid.uuid4().hex[:6]}"
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    api = apigw.create_rest_api(name="sqs")["id"]
    root = root_id(apigw, api)
    form = {"integration.request.header.Content-Type": "'application/x-www-form-urlencoded'"}
    send = {"application/json": "Action=SendMessage&MessageBody=$util.urlEncode($input.body)"}
    orders = apigw.create_resource(restApiId=api, parentId=root, pathPart="orders")
    service_method(apigw, api, orders["id"], "POST",
                   f"arn:aws:apigateway:{REGION}:sqs:path/{ACCOUNT}/{name}", send,
                   [("200", None, None)], integration_params=form)
    xml = apigw.create_resource(restApiId=api, parentId=root, pathPart="xml")
    service_method(apigw, api, xml["id"], "POST",
                   f"arn:aws:apigateway:{REGION}:sqs:path/{ACCOUNT}/{name}", send,
                   [("200", None, None)],
                   integration_params={**form, "integration.request.header.Accept": "'text/xml'"})
    missing = apigw.create_resource(restApiId=api, parentId=root, pathPart="missing")
    service_method(apigw, api, missing["id"], "POST",
                   f"arn:aws:apigateway:{REGION}:sqs:path/{ACCOUNT}/no-such-queue", send,
                   [("200", None, None),
                    ("502", "4\\d{2}", '{"code": "$input.path(\'$.Error.Code\')"}')],
                   integration_params=form)
    ping = apigw.create_resource(restApiId=api, parentId=root, pathPart="ping")
    service_method(apigw, api, ping["id"], "GET",
                   f"arn:aws:apigateway:{REGION}:sqs:action/SendMessage",
                   {}, [("200", None,
                         '{"id": "$input.path(\'$.SendMessageResponse.SendMessageResult.MessageId\')"}')],
                   method_params={"method.request.querystring.msg": True},
                   integration_params={"integration.request.querystring.QueueUrl": f"'{url}'",
                                       "integration.request.querystring.MessageBody":
                                           "method.request.querystring.msg"},
                   http_method="GET")
    apigw.create_deployment(restApiId=api, stageName="prod")

    order = {"order": 42, "note": "a&b=c"}
    status, _, body = invoke(endpoint, api, "prod", "POST", "/orders",
                             headers={"Content-Type": "application/json"},
                             body=json.dumps(order))
    assert status == 200, body
    doc = json.loads(body)["SendMessageResponse"]
    result = doc["SendMessageResult"]
    assert doc["ResponseMetadata"]["RequestId"]
    assert result["MD5OfMessageAttributes"] is None and len(result["MD5OfMessageBody"]) == 32
    json_id = result["MessageId"]
    status, _, body = invoke(endpoint, api, "prod", "POST", "/xml",
                             headers={"Content-Type": "application/json"}, body='"xml"')
    text = body.decode()
    assert status == 200 and "<SendMessageResponse" in text and "<MessageId>" in text, text
    xml_id = text.split("<MessageId>")[1].split("</MessageId>")[0]
    status, _, body = invoke(endpoint, api, "prod", "GET", "/ping?msg=hello%20there")
    assert status == 200, body
    ping_id = json.loads(body)["id"]
    status, _, body = invoke(endpoint, api, "prod", "POST", "/missing",
                             headers={"Content-Type": "application/json"}, body="{}")
    assert (status, json.loads(body)) == (
        502, {"code": "AWS.SimpleQueueService.NonExistentQueue"})
    got = []
    for _ in range(5):
        got += sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10,
                                   WaitTimeSeconds=1).get("Messages", [])
        if len(got) >= 3:
            break
    bodies = {m["MessageId"]: m["Body"] for m in got}
    assert json.loads(bodies[json_id]) == order
    assert bodies[xml_id] == '"xml"'
    assert bodies[ping_id] == "hello there"


GREETER = """
def handler(event, context):
    if event.get("name") == "nobody":
        raise Exception("NotFound: no such person")
    return {"greeting": "hi " + event["name"], "stage": event.get("stage")}
"""


def test_lambda_non_proxy_integration(apigw, client, endpoint):
    fn = make_function(client, GREETER)
    api = apigw.create_rest_api(name="lambda-aws")["id"]
    rid = apigw.create_resource(restApiId=api, parentId=root_id(apigw, api), pathPart="hello")["id"]
    service_method(apigw, api, rid, "GET", lambda_uri(fn),
                   {"application/json": '{"name": "$input.params(\'name\')", "stage": "$context.stage"}'},
                   [("200", None, '{"msg": "$input.path(\'$.greeting\')", "stage": "$input.path(\'$.stage\')"}'),
                    ("404", "NotFound:.*", '{"error": "$input.path(\'$.errorMessage\')"}')],
                   method_params={"method.request.querystring.name": False})
    apigw.create_deployment(restApiId=api, stageName="prod")
    status, _, body = invoke(endpoint, api, "prod", "GET", "/hello?name=ada")
    assert (status, json.loads(body)) == (200, {"msg": "hi ada", "stage": "prod"})
    status, _, body = invoke(endpoint, api, "prod", "GET", "/hello?name=nobody")
    assert (status, json.loads(body)) == (404, {"error": "NotFound: no such person"})


# ---------------------------------------------------------------- usage plans: GetUsage, UpdateUsage


def test_usage_counts_requests_and_update_usage(apigw, endpoint):
    api = apigw.create_rest_api(name="metered")["id"]
    root = root_id(apigw, api)
    apigw.put_method(restApiId=api, resourceId=root, httpMethod="GET", authorizationType="NONE",
                     apiKeyRequired=True)
    apigw.put_integration(restApiId=api, resourceId=root, httpMethod="GET", type="MOCK",
                          requestTemplates={"application/json": '{"statusCode": 200}'})
    apigw.put_method_response(restApiId=api, resourceId=root, httpMethod="GET", statusCode="200")
    apigw.put_integration_response(restApiId=api, resourceId=root, httpMethod="GET",
                                   statusCode="200",
                                   responseTemplates={"application/json": '{"ok": true}'})
    apigw.create_deployment(restApiId=api, stageName="prod")
    key = apigw.create_api_key(name=f"metered-{uuid.uuid4().hex[:6]}", enabled=True)
    idle = apigw.create_api_key(name=f"idle-{uuid.uuid4().hex[:6]}", enabled=True)
    plan = apigw.create_usage_plan(name="metered", apiStages=[{"apiId": api, "stage": "prod"}],
                                   quota={"limit": 3, "period": "DAY"})["id"]
    for k in (key, idle):
        apigw.create_usage_plan_key(usagePlanId=plan, keyId=k["id"], keyType="API_KEY")
    today = time.strftime("%Y-%m-%d", time.gmtime())
    yesterday = time.strftime("%Y-%m-%d", time.gmtime(time.time() - 86400))

    def call():
        status, _, body = invoke(endpoint, api, "prod", "GET", "/",
                                 headers={"x-api-key": key["value"]})
        return status, json.loads(body)

    assert call() == (200, {"ok": True})
    assert call() == (200, {"ok": True})
    usage = apigw.get_usage(usagePlanId=plan, startDate=yesterday, endDate=today)
    assert usage["usagePlanId"] == plan
    assert usage["startDate"] == yesterday and usage["endDate"] == today
    assert usage["items"] == {key["id"]: [[0, 3], [2, 1]], idle["id"]: [[0, 3], [0, 3]]}
    one = apigw.get_usage(usagePlanId=plan, keyId=key["id"], startDate=today, endDate=today)
    assert one["items"] == {key["id"]: [[2, 1]]}
    assert call() == (200, {"ok": True})
    assert call() == (429, {"message": "Limit Exceeded"})
    # UpdateUsage gives back quota for the current period.
    updated = apigw.update_usage(usagePlanId=plan, keyId=key["id"], patchOperations=[
        {"op": "replace", "path": "/remaining", "value": "2"}])
    assert updated["items"] == {key["id"]: [[3, 2]]}
    assert call() == (200, {"ok": True})
    assert call() == (200, {"ok": True})
    assert call() == (429, {"message": "Limit Exceeded"})
    usage = apigw.get_usage(usagePlanId=plan, startDate=today, endDate=today)
    assert usage["items"][key["id"]] == [[5, 0]]
    # Bad input changes nothing.
    for ops, want in (([{"op": "replace", "path": "/nope", "value": "1"}], "BadRequestException"),
                      ([{"op": "replace", "path": "/remaining", "value": "-1"}], "BadRequestException")):
        with pytest.raises(ClientError) as e:
            apigw.update_usage(usagePlanId=plan, keyId=key["id"], patchOperations=ops)
        assert code(e)[0] == want
    with pytest.raises(ClientError) as e:
        apigw.update_usage(usagePlanId=plan, keyId="nope", patchOperations=[
            {"op": "replace", "path": "/remaining", "value": "1"}])
    assert code(e)[0] == "NotFoundException"
    with pytest.raises(ClientError) as e:
        apigw.get_usage(usagePlanId=plan, startDate=today, endDate=yesterday)
    assert code(e)[0] == "BadRequestException"
    assert apigw.get_usage(usagePlanId=plan, startDate=today, endDate=today)["items"][key["id"]] == [[5, 0]]


# ---------------------------------------------------------------- OpenAPI YAML import

PETS_YAML = """\
openapi: "3.0.1"
info:
  title: pets-yaml
  version: "2024-01-01"
x-amazon-apigateway-binary-media-types:
  - image/png
paths:
  /pets/{{petId}}:
    get:
      parameters:
        - name: petId
          in: path
          required: true
          schema:
            type: string
      responses:
        200:
          description: a pet
      x-amazon-apigateway-integration:
        type: aws_proxy
        httpMethod: POST
        uri: {lambda_uri}
        passthroughBehavior: when_no_match
  /health:
    get:
      responses:
        '200':
          description: ok
      x-amazon-apigateway-integration:
        type: mock
        requestTemplates:
          application/json: '{{"statusCode": 200}}'
        responses:
          default:
            statusCode: "200"
            responseTemplates:
              application/json: |
                {{"healthy": true, "stage": "$context.stage"}}
"""

PET_FN = """
import json
def handler(event, context):
    return {"statusCode": 200, "body": json.dumps({"pet": event["pathParameters"]["petId"],
                                                   "resource": event["resource"]})}
"""


def test_openapi_yaml_import_serves(apigw, client, aws, endpoint, tmp_path):
    fn = make_function(client, PET_FN)
    spec = tmp_path / "pets.yaml"
    spec.write_text(PETS_YAML.format(lambda_uri=lambda_uri(fn)))
    api = aws("apigateway", "import-rest-api", "--body", f"fileb://{spec}")
    assert api["name"] == "pets-yaml" and api["version"] == "2024-01-01"
    assert api["binaryMediaTypes"] == ["image/png"]
    paths = {r["path"]: r for r in apigw.get_resources(restApiId=api["id"], embed=["methods"])["items"]}
    assert set(paths) >= {"/", "/pets", "/pets/{petId}", "/health"}
    integ = apigw.get_integration(restApiId=api["id"], resourceId=paths["/pets/{petId}"]["id"],
                                  httpMethod="GET")
    assert integ["type"] == "AWS_PROXY" and integ["uri"] == lambda_uri(fn)
    apigw.create_deployment(restApiId=api["id"], stageName="v1")
    status, _, body = invoke(endpoint, api["id"], "v1", "GET", "/pets/rex")
    assert (status, json.loads(body)) == (200, {"pet": "rex", "resource": "/pets/{petId}"})
    status, _, body = invoke(endpoint, api["id"], "v1", "GET", "/health")
    assert (status, json.loads(body)) == (200, {"healthy": True, "stage": "v1"})
    # PutRestApi with a YAML body (overwrite) replaces the definition.
    smaller = "openapi: 3.0.1\ninfo: {title: pets-yaml, version: '2'}\npaths:\n  /only:\n    get:\n" \
              "      x-amazon-apigateway-integration:\n        type: mock\n" \
              "        requestTemplates: {application/json: '{\"statusCode\": 200}'}\n" \
              "        responses: {default: {statusCode: '200'}}\n"
    apigw.put_rest_api(restApiId=api["id"], mode="overwrite", body=smaller.encode())
    paths = {r["path"] for r in apigw.get_resources(restApiId=api["id"])["items"]}
    assert paths == {"/", "/only"}
    # Neither JSON nor YAML, or YAML without a version field: BadRequest, nothing changed.
    for bad in (b"paths: [unclosed", b"info: {title: x}\npaths: {}\n"):
        with pytest.raises(ClientError) as e:
            apigw.import_rest_api(body=bad)
        assert code(e)[0] == "BadRequestException"
    with pytest.raises(ClientError) as e:
        apigw.put_rest_api(restApiId=api["id"], mode="overwrite", body=b"{not: [yaml")
    assert code(e)[0] == "BadRequestException"
    assert {r["path"] for r in apigw.get_resources(restApiId=api["id"])["items"]} == {"/", "/only"}


# ---------------------------------------------------------------- access logs

ACCESS_FORMAT = json.dumps({
    "requestId": "$context.requestId", "ip": "$context.identity.sourceIp",
    "method": "$context.httpMethod", "resourcePath": "$context.resourcePath",
    "path": "$context.path", "status": "$context.status", "protocol": "$context.protocol",
    "responseLength": "$context.responseLength", "stage": "$context.stage",
    "apiId": "$context.apiId", "requestTime": "$context.requestTime",
    "error": "$context.error.message", "errorType": "$context.error.responseType",
    "integrationStatus": "$context.integration.status",
    "integrationLatency": "$context.integrationLatency", "userAgent": "$context.identity.userAgent",
})


def test_access_logs_to_cloudwatch_logs(apigw, client, endpoint):
    logs = client("logs")
    group = f"/apigw/access-{uuid.uuid4().hex[:6]}"
    logs.create_log_group(logGroupName=group)
    api = apigw.create_rest_api(name="logged")["id"]
    root = root_id(apigw, api)
    apigw.put_method(restApiId=api, resourceId=root, httpMethod="GET", authorizationType="NONE")
    apigw.put_integration(restApiId=api, resourceId=root, httpMethod="GET", type="MOCK",
                          requestTemplates={"application/json": '{"statusCode": 200}'})
    apigw.put_method_response(restApiId=api, resourceId=root, httpMethod="GET", statusCode="200")
    apigw.put_integration_response(restApiId=api, resourceId=root, httpMethod="GET",
                                   statusCode="200",
                                   responseTemplates={"application/json": '{"ok": true}'})
    apigw.create_deployment(restApiId=api, stageName="prod")
    arn = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{group}"
    stage = apigw.update_stage(restApiId=api, stageName="prod", patchOperations=[
        {"op": "replace", "path": "/accessLogSettings/destinationArn", "value": arn},
        {"op": "replace", "path": "/accessLogSettings/format", "value": ACCESS_FORMAT}])
    assert stage["accessLogSettings"] == {"destinationArn": arn, "format": ACCESS_FORMAT}

    status, headers, _ = invoke(endpoint, api, "prod", "GET", "/",
                                headers={"User-Agent": "compat-test/1"})
    assert status == 200
    request_id = headers["x-amzn-requestid"]
    status, _, _ = invoke(endpoint, api, "prod", "GET", "/missing")
    assert status == 403
    status, _, _ = invoke(endpoint, api, "prod", "DELETE", "/")
    assert status == 403

    lines = []
    for _ in range(50):
        events = logs.filter_log_events(logGroupName=group)["events"]
        lines = [json.loads(e["message"]) for e in events]
        if len(lines) >= 3:
            break
        time.sleep(0.2)
    assert len(lines) == 3, lines
    ok = next(line for line in lines if line["requestId"] == request_id)
    # (the path form's trailing slash after _user_request_ is not kept by Lamina)
    assert ok["method"] == "GET" and ok["resourcePath"] == "/" and ok["path"] in ("/prod/", "/prod")
    assert ok["status"] == "200" and ok["protocol"] == "HTTP/1.1" and ok["stage"] == "prod"
    assert ok["apiId"] == api and ok["responseLength"] == str(len(b'{"ok": true}'))
    assert ok["ip"] and ok["userAgent"] == "compat-test/1" and ok["error"] == "-"
    assert ok["integrationStatus"] == "200" and ok["integrationLatency"].isdigit()
    assert time.strptime(ok["requestTime"], "%d/%b/%Y:%H:%M:%S +0000")
    missing = [line for line in lines if line["requestId"] != request_id]
    assert {(m["status"], m["error"], m["errorType"]) for m in missing} == {
        ("403", "Missing Authentication Token", "MISSING_AUTHENTICATION_TOKEN")}
    assert {m["method"] for m in missing} == {"GET", "DELETE"}
    assert all(m["integrationStatus"] == "-" for m in missing)
    # Removing the settings stops the lines.
    apigw.update_stage(restApiId=api, stageName="prod", patchOperations=[
        {"op": "remove", "path": "/accessLogSettings"}])
    assert invoke(endpoint, api, "prod", "GET", "/")[0] == 200
    time.sleep(1)
    assert len(logs.filter_log_events(logGroupName=group)["events"]) == 3


# ---------------------------------------------------------------- FlushStageAuthorizersCache

COUNTING_AUTHORIZER = """
n = 0
def handler(event, context):
    global n
    n += 1
    return {"principalId": "user", "context": {"n": n},
            "policyDocument": {"Version": "2012-10-17", "Statement": [
                {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": event["methodArn"]}]}}
"""


def test_flush_stage_authorizers_cache(apigw, client, endpoint):
    fn = make_function(client, COUNTING_AUTHORIZER)
    api = apigw.create_rest_api(name="authcache")["id"]
    auth = apigw.create_authorizer(restApiId=api, name="tok", type="TOKEN", authorizerUri=lambda_uri(fn),
                                   identitySource="method.request.header.Authorization",
                                   authorizerResultTtlInSeconds=300)
    root = root_id(apigw, api)
    apigw.put_method(restApiId=api, resourceId=root, httpMethod="GET", authorizationType="CUSTOM",
                     authorizerId=auth["id"])
    apigw.put_integration(restApiId=api, resourceId=root, httpMethod="GET", type="MOCK",
                          requestTemplates={"application/json": '{"statusCode": 200}'})
    apigw.put_method_response(restApiId=api, resourceId=root, httpMethod="GET", statusCode="200")
    apigw.put_integration_response(restApiId=api, resourceId=root, httpMethod="GET", statusCode="200",
                                   responseTemplates={"application/json": '{"n": $context.authorizer.n}'})
    apigw.create_deployment(restApiId=api, stageName="prod")

    def n():
        status, _, body = invoke(endpoint, api, "prod", "GET", "/", headers={"Authorization": "t"})
        assert status == 200, body
        return json.loads(body)["n"]

    first = n()
    assert n() == first  # cached for the TTL
    apigw.flush_stage_authorizers_cache(restApiId=api, stageName="prod")
    assert n() == first + 1
    assert n() == first + 1
    with pytest.raises(ClientError) as e:
        apigw.flush_stage_authorizers_cache(restApiId=api, stageName="nope")
    assert code(e) == ("NotFoundException", "Invalid Stage identifier specified")


def test_sns_publish_integration(apigw, client, endpoint):
    sns, sqs = client("sns"), client("sqs")
    topic = sns.create_topic(Name=f"apigw-t-{uuid.uuid4().hex[:6]}")["TopicArn"]
    url = sqs.create_queue(QueueName=f"apigw-tq-{uuid.uuid4().hex[:6]}")["QueueUrl"]
    qarn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=qarn,
                  Attributes={"RawMessageDelivery": "true"})
    api = apigw.create_rest_api(name="sns")["id"]
    rid = apigw.create_resource(restApiId=api, parentId=root_id(apigw, api), pathPart="events")["id"]
    service_method(apigw, api, rid, "POST", f"arn:aws:apigateway:{REGION}:sns:action/Publish",
                   {"application/json": "TopicArn=$util.urlEncode('%s')&Message=$util.urlEncode($input.body)"
                                        % topic},
                   [("200", None, '{"published": "$input.path(\'$.PublishResponse.PublishResult.MessageId\')"}'),
                    ("400", "4\\d{2}", '{"error": "$input.path(\'$.Error.Code\')"}')],
                   integration_params={"integration.request.header.Content-Type":
                                       "'application/x-www-form-urlencoded'"})
    apigw.create_deployment(restApiId=api, stageName="prod")
    status, _, body = invoke(endpoint, api, "prod", "POST", "/events",
                             headers={"Content-Type": "application/json"}, body='{"kind": "signup"}')
    assert status == 200, body
    message_id = json.loads(body)["published"]
    assert message_id
    msgs = []
    for _ in range(10):
        msgs = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1).get("Messages", [])
        if msgs:
            break
    assert [json.loads(m["Body"]) for m in msgs] == [{"kind": "signup"}]
    # An empty message is SNS's InvalidParameter, mapped by the 4xx response.
    status, _, body = invoke(endpoint, api, "prod", "POST", "/events",
                             headers={"Content-Type": "application/json"}, body="")
    assert (status, json.loads(body)) == (400, {"error": "InvalidParameter"})
