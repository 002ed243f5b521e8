"""REST API (apigateway v1) data plane, end to end over plain HTTP: what a client of AWS sees
(status, body, headers) for every behaviour of an invoke URL.

Both invoke-URL forms (`<api-id>.execute-api.localhost` by Host and
`/restapis/<id>/<stage>/_user_request_/`), resource and method matching ({param}, greedy
{proxy+}, ANY, 403 Missing Authentication Token), the Lambda proxy event and response mapping
(binary, multiValueHeaders, 502 on a malformed answer, 504 on a timeout), HTTP and HTTP_PROXY
integrations to a loopback server started here, MOCK and VTL mapping templates, request
validation, TOKEN and REQUEST Lambda authorizers with their result cache, API keys, usage-plan
throttling and quotas, stage method throttling and a MOCK CORS preflight.

Expectations come from the API Gateway developer guide (Lambda proxy input/output formats,
gateway responses and their default bodies, mapping template reference, authorizer output),
not from Lamina's code. The Lambda functions are real Python functions (zip built here).
"""
import base64
import http.client
import io
import json
import threading
import time
import urllib.parse
import uuid
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from botocore.exceptions import ClientError

from lambda_helpers import ROLE, host_python_runtime

ACCOUNT = "000000000000"
REGION = "us-east-1"
MISSING_TOKEN = {"message": "Missing Authentication Token"}
PNG = b"\x89PNG\r\n\x1a\n\x00\x01binary\xff"


# ---------------------------------------------------------------- clients


class Resp:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers  # list of (name, value) as sent
        self.body = body

    def header(self, name):
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)

    def all(self, name):
        return [v for k, v in self.headers if k.lower() == name.lower()]

    def json(self):
        return json.loads(self.body)

    def __repr__(self):
        return f"Resp({self.status}, {self.body[:400]!r})"


def send(endpoint, method, path, headers=None, body=None, host=None):
    u = urllib.parse.urlparse(endpoint)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
    hdrs = dict(headers or {})
    if host:
        hdrs["Host"] = f"{host}:{u.port}"
    data = body.encode() if isinstance(body, str) else body
    try:
        conn.request(method, path, body=data, headers=hdrs)
        r = conn.getresponse()
        return Resp(r.status, r.getheaders(), r.read())
    finally:
        conn.close()


class Api:
    """One REST API under test: builds resources/methods with boto3, deploys, calls."""

    def __init__(self, apigw, endpoint, **create_kw):
        self.apigw = apigw
        self.endpoint = endpoint
        self.id = apigw.create_rest_api(name=f"dp-{uuid.uuid4().hex[:8]}", **create_kw)["id"]
        self.ids = {r["path"]: r["id"] for r in apigw.get_resources(restApiId=self.id)["items"]}

    def resource(self, path):
        """Creates every missing segment of `path`; returns the resource id."""
        if path in self.ids:
            return self.ids[path]
        parent, _, part = path.rpartition("/")
        pid = self.resource(parent or "/")
        rid = self.apigw.create_resource(restApiId=self.id, parentId=pid, pathPart=part)["id"]
        self.ids[path] = rid
        return rid

    def method(self, path, verb, integration, auth="NONE", **method_kw):
        rid = self.resource(path)
        self.apigw.put_method(restApiId=self.id, resourceId=rid, httpMethod=verb,
                              authorizationType=auth, **method_kw)
        self.apigw.put_integration(restApiId=self.id, resourceId=rid, httpMethod=verb, **integration)
        return rid

    def mock(self, path, verb, body, status=200, request_template=None, headers=None, **method_kw):
        rid = self.method(path, verb, {
            "type": "MOCK",
            "requestTemplates": {"application/json": request_template or json.dumps({"statusCode": status})},
        }, **method_kw)
        self.apigw.put_method_response(restApiId=self.id, resourceId=rid, httpMethod=verb,
                                       statusCode=str(status),
                                       responseParameters={f"method.response.header.{h}": False
                                                           for h in (headers or {})})
        self.apigw.put_integration_response(
            restApiId=self.id, resourceId=rid, httpMethod=verb, statusCode=str(status),
            responseTemplates={"application/json": body},
            responseParameters={f"method.response.header.{h}": v for h, v in (headers or {}).items()})
        return rid

    def lambda_proxy(self, path, verb, fn_arn, **integration_kw):
        return self.method(path, verb, {"type": "AWS_PROXY", "integrationHttpMethod": "POST",
                                        "uri": lambda_uri(fn_arn), **integration_kw})

    def deploy(self, stage="prod", **kw):
        self.apigw.create_deployment(restApiId=self.id, stageName=stage, **kw)

    def path_form(self, method, path, stage="prod", **kw):
        return send(self.endpoint, method, f"/restapis/{self.id}/{stage}/_user_request_{path}", **kw)

    def host_form(self, method, path, stage="prod", **kw):
        return send(self.endpoint, method, f"/{stage}{path}", host=f"{self.id}.execute-api.localhost", **kw)

    call = host_form


@pytest.fixture
def apigw(client):
    return client("apigateway")


@pytest.fixture
def new_api(apigw, endpoint):
    return lambda **kw: Api(apigw, endpoint, **kw)


def lambda_uri(arn):
    return f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{arn}/invocations"


# ---------------------------------------------------------------- Lambda functions

FUNCTIONS = r'''
import base64, json, time

PNG = b"\x89PNG\r\n\x1a\n\x00\x01binary\xff"


def proxy(event, context):
    path = event.get("path") or ""
    last = path.rsplit("/", 1)[-1]
    if last == "malformed":
        return {"statusCode": 200, "body": {"not": "a string"}}
    if last == "extra-key":
        return {"statusCode": 200, "body": "x", "unexpected": True}
    if last == "plain-string":
        return "just a string"
    if last == "raise":
        raise RuntimeError("boom")
    if last == "slow":
        time.sleep(3)
        return {"statusCode": 200, "body": "late"}
    if last == "binary":
        return {"statusCode": 200, "headers": {"Content-Type": "image/png"},
                "body": base64.b64encode(PNG).decode(), "isBase64Encoded": True}
    if last == "multi":
        return {"statusCode": 207, "headers": {"X-Single": "one", "Content-Type": "text/plain"},
                "multiValueHeaders": {"X-Multi": ["a", "b"], "Set-Cookie": ["c1=1", "c2=2"]},
                "body": "multi"}
    if last == "no-body":
        return {"statusCode": 204}
    if last == "no-headers":
        return {"statusCode": 200, "body": "{\"plain\": true}"}
    return {"statusCode": 200, "headers": {"Content-Type": "application/json"},
            "body": json.dumps({"event": event, "fn_request": context.aws_request_id})}


def _policy(effect, resource):
    return {"Version": "2012-10-17", "Statement": [
        {"Action": "execute-api:Invoke", "Effect": effect, "Resource": resource}]}


def token_auth(event, context):
    """TOKEN authorizer: 'allow...' allows, 'deny' denies, 'unauthorized' -> 401, else error."""
    token = event["authorizationToken"]
    if token == "unauthorized":
        raise Exception("Unauthorized")
    if token == "deny":
        effect = "Deny"
    elif token.startswith("allow"):
        effect = "Allow"
    else:
        raise Exception("something else went wrong")
    arn = event["methodArn"]
    # 'allow-exact...' allows only the method called; otherwise every method of the API
    # (the AWS blueprint's wildcard)
    resource = arn if token.startswith("allow-exact") else arn.split("/", 1)[0] + "/*"
    ctx = {"invocation": context.aws_request_id, "tier": "gold", "n": 7, "ok": True}
    if token.startswith("allow-nested"):
        ctx["nested"] = {"not": "allowed"}  # AWS: context values are strings, numbers, booleans
    return {"principalId": "user-" + token, "policyDocument": _policy(effect, resource),
            "context": ctx,
            # 'allow-x|<api key>' hands the key to apiKeySource AUTHORIZER
            "usageIdentifierKey": token.split("|", 1)[1] if "|" in token else None}


def request_auth(event, context):
    """REQUEST authorizer on header X-User and query 'tenant'; echoes what it saw."""
    user = (event.get("headers") or {}).get("X-User") or (event.get("headers") or {}).get("x-user")
    tenant = (event.get("queryStringParameters") or {}).get("tenant")
    effect = "Allow" if user == "alice" else "Deny"
    return {"principalId": user, "policyDocument": _policy(effect, event["methodArn"]),
            "context": {"invocation": context.aws_request_id, "tenant": tenant,
                        "type": event.get("type"), "methodArn": event["methodArn"],
                        "resource": event.get("resource"), "sawPath": event.get("path")}}
'''


def build_zip(source):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("handler.py", source)
    return buf.getvalue()


@pytest.fixture(scope="module")
def functions(endpoint):
    """{handler name: function ARN} for the handlers above, created once per module."""
    from conftest import make_client
    lam = make_client("lambda", endpoint)
    code = build_zip(FUNCTIONS)
    arns = {}
    for handler, timeout in (("proxy", 10), ("token_auth", 10), ("request_auth", 10)):
        name = f"dp1-{handler.replace('_', '-')}-{uuid.uuid4().hex[:6]}"
        try:
            fn = lam.create_function(FunctionName=name, Runtime=host_python_runtime(), Role=ROLE,
                                     Handler=f"handler.{handler}", Code={"ZipFile": code},
                                     Timeout=timeout)
        except ClientError as e:
            pytest.skip(f"Lambda cannot create functions here: {e}")
        lam.get_waiter("function_active_v2").wait(FunctionName=name,
                                                   WaiterConfig={"Delay": 1, "MaxAttempts": 60})
        arns[handler] = fn["FunctionArn"]
    return arns


# ---------------------------------------------------------------- loopback HTTP backend


class Backend(BaseHTTPRequestHandler):
    """/slow sleeps 2 s; .../status/<n> answers n; every answer echoes the request as JSON."""
    protocol_version = "HTTP/1.1"

    def _answer(self):
        n = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(n) if n else b""
        parsed = urllib.parse.urlsplit(self.path)
        if parsed.path.startswith("/slow"):
            time.sleep(2)
        status = int(parsed.path.rsplit("/", 1)[1]) if "/status/" in parsed.path else 200
        body = json.dumps({
            "method": self.command,
            "path": parsed.path,
            "query": urllib.parse.parse_qs(parsed.query),
            "headers": {k.lower(): v for k, v in self.headers.items()},
            "body": raw.decode("utf-8", "replace"),
        }).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("X-Backend", "yes")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the gateway gave up waiting (timeout tests)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _answer

    def log_message(self, *a):
        pass


@pytest.fixture(scope="module")
def backend():
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Backend)
    srv.daemon_threads = True
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()
    srv.server_close()


# ---------------------------------------------------------------- routing

ROUTE_TEMPLATE = ('{"resource": "$context.resourcePath", "method": "$context.httpMethod", '
                  '"id": "$input.params(\'id\')", "proxy": "$input.params(\'proxy\')", '
                  '"stage": "$context.stage"}')


def test_both_invoke_url_forms_and_resource_matching(new_api):
    api = new_api()
    api.mock("/pets", "GET", ROUTE_TEMPLATE)
    api.mock("/pets/mine", "GET", ROUTE_TEMPLATE)
    api.mock("/pets/{id}", "GET", ROUTE_TEMPLATE)
    api.mock("/pets/{id}", "ANY", ROUTE_TEMPLATE)
    api.mock("/files/{proxy+}", "ANY", ROUTE_TEMPLATE)
    api.deploy("prod")
    for form in (api.path_form, api.host_form):
        r = form("GET", "/pets")
        assert r.status == 200, r
        assert r.json() == {"resource": "/pets", "method": "GET", "id": "", "proxy": "", "stage": "prod"}
        # a literal sibling wins over {id}
        assert form("GET", "/pets/mine").json()["resource"] == "/pets/mine"
        r = form("GET", "/pets/42")
        assert r.json() == {"resource": "/pets/{id}", "method": "GET", "id": "42", "proxy": "",
                            "stage": "prod"}
        # ANY catches the verbs without their own method; GET keeps its own
        r = form("DELETE", "/pets/42")
        assert (r.status, r.json()["method"], r.json()["resource"]) == (200, "DELETE", "/pets/{id}")
        # greedy {proxy+}: the whole rest of the path
        r = form("PATCH", "/files/a/b/c.txt")
        assert r.status == 200, r
        assert r.json() == {"resource": "/files/{proxy+}", "method": "PATCH", "id": "",
                            "proxy": "a/b/c.txt", "stage": "prod"}
        # {proxy+} needs at least one segment; /files itself has no method
        for verb, path in (("GET", "/files"), ("GET", "/nothing"), ("POST", "/pets"),
                           ("GET", "/pets/42/toys"), ("GET", "/")):
            r = form(verb, path)
            assert (r.status, r.json()) == (403, MISSING_TOKEN), (verb, path, r)
            assert r.header("x-amzn-ErrorType") == "MissingAuthenticationTokenException"
    # an unknown stage of an existing API
    r = api.path_form("GET", "/pets", stage="nope")
    assert (r.status, r.json()) == (403, {"message": "Forbidden"})
    r = api.host_form("GET", "/pets", stage="nope")
    assert (r.status, r.json()) == (403, {"message": "Forbidden"})


def test_root_proxy_and_stage_variables_in_templates(new_api):
    api = new_api()
    api.mock("/", "ANY", '{"root": "$context.resourcePath", "color": "$stageVariables.color"}')
    api.mock("/{proxy+}", "ANY", '{"proxy": "$input.params(\'proxy\')", "color": "$stageVariables.color"}')
    api.deploy("blue", variables={"color": "blue"})
    api.deploy("green", variables={"color": "green"})
    assert api.call("GET", "/", stage="blue").json() == {"root": "/", "color": "blue"}
    assert api.path_form("POST", "", stage="green").json() == {"root": "/", "color": "green"}
    assert api.call("PUT", "/x/y", stage="green").json() == {"proxy": "x/y", "color": "green"}


# ---------------------------------------------------------------- Lambda proxy


def test_lambda_proxy_event_shape(new_api, functions):
    api = new_api(binaryMediaTypes=["application/octet-stream", "image/*"])
    api.lambda_proxy("/{proxy+}", "ANY", functions["proxy"])
    api.lambda_proxy("/items/{id}", "GET", functions["proxy"])
    api.deploy("prod", variables={"env": "test", "color": "red"})

    r = api.call("POST", "/orders/7/lines?x=1&x=2&y=three%20four",
                 headers={"Content-Type": "application/json", "X-Custom": "c", "User-Agent": "ua/1.0"},
                 body='{"hello": "world"}')
    assert r.status == 200, r
    ev = r.json()["event"]
    assert set(ev) == {"resource", "path", "httpMethod", "headers", "multiValueHeaders",
                       "queryStringParameters", "multiValueQueryStringParameters", "pathParameters",
                       "stageVariables", "requestContext", "body", "isBase64Encoded"}
    assert ev["resource"] == "/{proxy+}"
    assert ev["path"] == "/orders/7/lines"
    assert ev["httpMethod"] == "POST"
    assert ev["pathParameters"] == {"proxy": "orders/7/lines"}
    assert ev["queryStringParameters"] == {"x": "2", "y": "three four"}
    assert ev["multiValueQueryStringParameters"] == {"x": ["1", "2"], "y": ["three four"]}
    assert ev["stageVariables"] == {"env": "test", "color": "red"}
    assert ev["headers"]["X-Custom"] == "c"
    assert ev["headers"]["Content-Type"] == "application/json"
    assert ev["multiValueHeaders"]["X-Custom"] == ["c"]
    assert ev["body"] == '{"hello": "world"}'
    assert ev["isBase64Encoded"] is False
    rc = ev["requestContext"]
    assert rc["apiId"] == api.id and rc["stage"] == "prod" and rc["accountId"] == ACCOUNT
    assert rc["resourcePath"] == "/{proxy+}" and rc["httpMethod"] == "POST"
    assert rc["path"] == "/prod/orders/7/lines"
    assert rc["protocol"] == "HTTP/1.1"
    assert rc["resourceId"] == api.ids["/{proxy+}"]
    assert rc["requestId"] and rc["extendedRequestId"]
    assert r.header("x-amzn-RequestId") == rc["requestId"]
    assert isinstance(rc["requestTimeEpoch"], int)
    assert abs(rc["requestTimeEpoch"] / 1000 - time.time()) < 60
    # dd/MMM/yyyy:HH:mm:ss +0000
    assert time.strptime(rc["requestTime"], "%d/%b/%Y:%H:%M:%S +0000")
    assert rc["domainName"] == f"{api.id}.execute-api.localhost"
    assert rc["domainPrefix"] == api.id
    # the headers API Gateway adds
    port = str(urllib.parse.urlparse(api.endpoint).port)
    assert ev["headers"]["X-Forwarded-For"] == "127.0.0.1"
    assert ev["headers"]["X-Forwarded-Proto"] == "http"
    assert ev["headers"]["X-Forwarded-Port"] == port
    assert ev["multiValueHeaders"]["X-Forwarded-Port"] == [port]
    assert ev["headers"]["X-Amzn-Trace-Id"].startswith("Root=1-")
    ident = rc["identity"]
    assert ident["sourceIp"] == "127.0.0.1"
    assert ident["userAgent"] == "ua/1.0"
    assert "authorizer" not in rc or not rc["authorizer"]

    # no query, no body, a {param} resource: the absent parts are null
    r = api.call("GET", "/items/abc")
    ev = r.json()["event"]
    assert ev["resource"] == "/items/{id}" and ev["pathParameters"] == {"id": "abc"}
    assert ev["queryStringParameters"] is None and ev["multiValueQueryStringParameters"] is None
    assert ev["body"] is None and ev["isBase64Encoded"] is False

    # repeated headers arrive as a list in multiValueHeaders, the last one in headers
    u = urllib.parse.urlparse(api.endpoint)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    conn.putrequest("GET", "/prod/items/m", skip_host=True)
    conn.putheader("Host", f"{api.id}.execute-api.localhost:{u.port}")
    conn.putheader("X-Rep", "one")
    conn.putheader("X-Rep", "two")
    conn.endheaders()
    resp = conn.getresponse()
    ev = json.loads(resp.read())["event"]
    conn.close()
    assert ev["multiValueHeaders"]["X-Rep"] == ["one", "two"]
    assert ev["headers"]["X-Rep"] == "two"

    # a body of a binary media type reaches the function base64-encoded
    r = api.call("PUT", "/upload", body=b"\x00\x01\xfe\xff",
                 headers={"Content-Type": "application/octet-stream"})
    ev = r.json()["event"]
    assert ev["isBase64Encoded"] is True and base64.b64decode(ev["body"]) == b"\x00\x01\xfe\xff"
    r = api.call("PUT", "/upload", body=PNG, headers={"Content-Type": "image/png"})
    ev = r.json()["event"]
    assert ev["isBase64Encoded"] is True and base64.b64decode(ev["body"]) == PNG
    # a text type stays text
    r = api.call("PUT", "/upload", body="plain", headers={"Content-Type": "text/plain"})
    ev = r.json()["event"]
    assert (ev["body"], ev["isBase64Encoded"]) == ("plain", False)

    # the path form gives the function the same path and resource
    r = api.path_form("DELETE", "/orders/9")
    ev = r.json()["event"]
    assert (ev["path"], ev["resource"], ev["httpMethod"]) == ("/orders/9", "/{proxy+}", "DELETE")
    assert ev["requestContext"]["path"] == "/prod/orders/9"


def test_lambda_proxy_response_mapping(new_api, functions):
    api = new_api(binaryMediaTypes=["image/png"])
    api.lambda_proxy("/{proxy+}", "ANY", functions["proxy"])
    api.deploy("prod")
    r = api.call("GET", "/multi")
    assert r.status == 207, r
    assert r.body == b"multi"
    assert r.header("Content-Type") == "text/plain"
    assert r.header("X-Single") == "one"
    assert r.all("X-Multi") == ["a", "b"]
    assert r.all("Set-Cookie") == ["c1=1", "c2=2"]
    r = api.call("GET", "/no-body")
    assert (r.status, r.body) == (204, b"")
    # no headers from the function: API Gateway answers application/json
    r = api.call("GET", "/no-headers")
    assert (r.status, r.header("Content-Type"), r.json()) == (200, "application/json", {"plain": True})
    # a base64 body with isBase64Encoded is decoded for a client that accepts the binary type
    r = api.call("GET", "/binary", headers={"Accept": "image/png"})
    assert (r.status, r.body, r.header("Content-Type")) == (200, PNG, "image/png")
    # only the first Accept media type counts
    r = api.call("GET", "/binary", headers={"Accept": "image/png,text/html;q=0.9"})
    assert r.body == PNG
    # a client whose first Accept type is not binary gets the base64 text
    for accept in ("application/json", "*/*", "text/html,image/png"):
        r = api.call("GET", "/binary", headers={"Accept": accept})
        assert (r.status, r.body) == (200, base64.b64encode(PNG)), accept
    # malformed answers: 502 Internal server error
    for last in ("malformed", "extra-key", "plain-string", "raise"):
        r = api.call("GET", f"/{last}")
        assert (r.status, r.json()) == (502, {"message": "Internal server error"}), (last, r)
        assert r.header("Content-Type") == "application/json"


def test_lambda_proxy_timeout_504(new_api, functions):
    api = new_api()
    api.lambda_proxy("/{proxy+}", "ANY", functions["proxy"], timeoutInMillis=1000)
    api.deploy("prod")
    t = time.monotonic()
    r = api.call("GET", "/slow")
    elapsed = time.monotonic() - t
    assert (r.status, r.json()) == (504, {"message": "Endpoint request timed out"}), r
    assert elapsed < 2.9, f"the gateway waited {elapsed:.1f} s, past the 1 s integration timeout"


# ---------------------------------------------------------------- HTTP integrations


def test_http_proxy_integration(new_api, backend):
    api = new_api()
    rid = api.resource("/svc/{proxy+}")
    api.apigw.put_method(restApiId=api.id, resourceId=rid, httpMethod="ANY", authorizationType="NONE",
                         requestParameters={"method.request.path.proxy": True})
    api.apigw.put_integration(restApiId=api.id, resourceId=rid, httpMethod="ANY", type="HTTP_PROXY",
                              integrationHttpMethod="ANY", uri=backend + "/backend/{proxy}",
                              requestParameters={"integration.request.path.proxy": "method.request.path.proxy"})
    api.deploy("prod")
    r = api.call("PUT", "/svc/a/b?q=1&q=2&z=x", headers={"X-Client": "c1", "Content-Type": "text/plain"},
                 body="payload")
    assert r.status == 200, r
    assert r.header("X-Backend") == "yes"
    got = r.json()
    assert got["method"] == "PUT" and got["path"] == "/backend/a/b"
    assert got["query"] == {"q": ["1", "2"], "z": ["x"]}
    assert got["headers"]["x-client"] == "c1" and got["body"] == "payload"
    # the backend's status passes through untouched
    api2 = new_api()
    api2.method("/{proxy+}", "ANY", {"type": "HTTP_PROXY", "integrationHttpMethod": "ANY",
                                     "uri": backend + "/{proxy}",
                                     "requestParameters": {"integration.request.path.proxy": "method.request.path.proxy"}},
                requestParameters={"method.request.path.proxy": True})
    api2.deploy("prod")
    r = api2.call("GET", "/status/418")
    assert r.status == 418 and r.json()["path"] == "/status/418"


def test_http_integration_timeout_504(new_api, backend):
    api = new_api()
    api.method("/slow", "GET", {"type": "HTTP_PROXY", "integrationHttpMethod": "GET",
                                "uri": backend + "/slow", "timeoutInMillis": 500})
    api.deploy("prod")
    r = api.call("GET", "/slow")
    assert (r.status, r.json()) == (504, {"message": "Endpoint request timed out"}), r


REQUEST_TEMPLATE = r'''#set($items = $input.path('$.items'))
{
  "name": "$input.path('$.name')",
  "whole": $input.json('$'),
  "first": $input.json('$.items[0]'),
  "count": $input.path('$.items').size(),
  "q": "$input.params('q')",
  "hdr": "$input.params('X-Hdr')",
  "id": "$input.params('id')",
  "explicitQuery": "$input.params().querystring.get('q')",
  "esc": "$util.escapeJavaScript($input.path('$.quote'))",
  "b64": "$util.base64Encode($input.path('$.name'))",
  "url": "$util.urlEncode($input.path('$.query'))",
  "requestId": "$context.requestId",
  "stage": "$context.stage",
  "method": "$context.httpMethod",
  "resourcePath": "$context.resourcePath",
  "color": "$stageVariables.color",
  "ip": "$context.identity.sourceIp",
  "b64dec": "$util.base64Decode('Ym9i')",
  "urldec": "$util.urlDecode('a%20b%26c')",
  "body": "$util.escapeJavaScript($input.body)",
  "allParams": "#foreach($type in $input.params().keySet())$type:#foreach($n in $input.params().get($type).keySet())$n,#end;#end",
  "upper": [#foreach($i in $items)"$i.toUpperCase()"#if($foreach.hasNext),#end#end],
  #if($input.path('$.n') > 2)"size": "big"#else"size": "small"#end,
  #set($greeting = "hello " + $input.path('$.name'))
  "greeting": "$greeting"
}'''

RESPONSE_TEMPLATE = r'''#set($root = $input.path('$'))
#set($sent = $util.parseJson($root.body))
{"backendMethod": "$root.method", "backendPath": "$root.path",
 "keys": [#foreach($k in $root.keySet())"$k"#if($foreach.hasNext),#end#end],
 "sent": $root.body, "name": "$sent.name", "status": "mapped"}'''


def test_http_integration_with_vtl_templates(new_api, backend):
    api = new_api()
    rid = api.resource("/things/{id}")
    api.apigw.put_method(restApiId=api.id, resourceId=rid, httpMethod="POST", authorizationType="NONE")
    api.apigw.put_integration(restApiId=api.id, resourceId=rid, httpMethod="POST", type="HTTP",
                              integrationHttpMethod="POST", uri=backend + "/things",
                              requestTemplates={"application/json": REQUEST_TEMPLATE},
                              passthroughBehavior="WHEN_NO_TEMPLATES")
    api.apigw.put_method_response(restApiId=api.id, resourceId=rid, httpMethod="POST", statusCode="200",
                                  responseParameters={"method.response.header.X-From-Backend": False})
    api.apigw.put_integration_response(restApiId=api.id, resourceId=rid, httpMethod="POST",
                                       statusCode="200", selectionPattern="",
                                       responseTemplates={"application/json": RESPONSE_TEMPLATE},
                                       responseParameters={"method.response.header.X-From-Backend":
                                                           "integration.response.header.X-Backend"})
    api.deploy("prod", variables={"color": "teal"})
    payload = {"name": "bob", "items": ["a", "b", "c"], "n": 5,
               "quote": 'He said "hi"\nand left \\ now', "query": "a b&c=d/é"}
    r = api.call("POST", "/things/t-1?q=search", body=json.dumps(payload),
                 headers={"Content-Type": "application/json", "X-Hdr": "h-val"})
    assert r.status == 200, r
    assert r.header("X-From-Backend") == "yes"
    out = r.json()
    assert (out["backendMethod"], out["backendPath"], out["name"], out["status"]) == \
        ("POST", "/things", "bob", "mapped")
    assert out["keys"] == ["method", "path", "query", "headers", "body"]
    sent = out["sent"]  # what the request template rendered, as the backend received it
    assert sent["name"] == "bob"
    assert sent["whole"] == payload
    assert sent["first"] == "a"
    assert sent["count"] == 3
    assert (sent["q"], sent["hdr"], sent["id"], sent["explicitQuery"]) == ("search", "h-val", "t-1", "search")
    assert sent["esc"] == payload["quote"]  # escaped in the template, valid JSON again here
    assert sent["b64"] == base64.b64encode(b"bob").decode()
    assert sent["url"] == urllib.parse.quote_plus("a b&c=d/é")
    assert sent["requestId"] and sent["requestId"] != "$context.requestId"
    assert (sent["stage"], sent["method"], sent["resourcePath"]) == ("prod", "POST", "/things/{id}")
    assert sent["color"] == "teal"
    assert sent["ip"] == "127.0.0.1"
    assert (sent["b64dec"], sent["urldec"]) == ("bob", "a b&c")
    assert json.loads(sent["body"]) == payload
    parts = dict(p.split(":", 1) for p in sent["allParams"].strip(";").split(";"))
    assert set(parts) == {"path", "querystring", "header"}
    assert "id," in parts["path"] and "q," in parts["querystring"] and "X-Hdr," in parts["header"]
    assert sent["upper"] == ["A", "B", "C"]
    assert sent["size"] == "big"
    assert sent["greeting"] == "hello bob"
    payload["n"] = 1
    r = api.call("POST", "/things/t-2", body=json.dumps(payload), headers={"Content-Type": "application/json"})
    assert r.json()["sent"]["size"] == "small"
    assert r.json()["sent"]["q"] == ""
    # two requests, two request ids
    ids = {api.call("POST", "/things/x", body=json.dumps(payload), headers={"Content-Type": "application/json"})
           .json()["sent"]["requestId"] for _ in range(2)}
    assert len(ids) == 2


def test_http_integration_status_selection(new_api, backend):
    api = new_api()
    rid = api.resource("/{proxy+}")
    api.apigw.put_method(restApiId=api.id, resourceId=rid, httpMethod="GET", authorizationType="NONE",
                         requestParameters={"method.request.path.proxy": True})
    api.apigw.put_integration(restApiId=api.id, resourceId=rid, httpMethod="GET", type="HTTP",
                              integrationHttpMethod="GET", uri=backend + "/{proxy}",
                              requestParameters={"integration.request.path.proxy": "method.request.path.proxy"})
    for status, pattern, template in (
            ("200", "", '{"ok": true, "path": "$input.path(\'$.path\')"}'),
            ("404", "404", '{"error": "not found", "path": "$input.path(\'$.path\')"}'),
            ("500", "5\\d{2}", '{"error": "backend failed"}')):
        api.apigw.put_method_response(restApiId=api.id, resourceId=rid, httpMethod="GET", statusCode=status)
        api.apigw.put_integration_response(restApiId=api.id, resourceId=rid, httpMethod="GET",
                                           statusCode=status, selectionPattern=pattern,
                                           responseTemplates={"application/json": template})
    api.deploy("prod")
    r = api.call("GET", "/status/200")
    assert (r.status, r.json()) == (200, {"ok": True, "path": "/status/200"})
    r = api.call("GET", "/status/404")
    assert (r.status, r.json()) == (404, {"error": "not found", "path": "/status/404"})
    r = api.call("GET", "/status/503")
    assert (r.status, r.json()) == (500, {"error": "backend failed"})
    # an unmatched status falls to the default response (selection pattern "")
    r = api.call("GET", "/status/418")
    assert r.status == 200 and r.json()["ok"] is True


# ---------------------------------------------------------------- MOCK


def test_mock_with_templates(new_api):
    api = new_api()
    rid = api.resource("/mock")
    api.apigw.put_method(restApiId=api.id, resourceId=rid, httpMethod="GET", authorizationType="NONE")
    api.apigw.put_integration(
        restApiId=api.id, resourceId=rid, httpMethod="GET", type="MOCK",
        requestTemplates={"application/json":
                          '#if($input.params(\'fail\') == "yes"){"statusCode": 500}#else{"statusCode": 200}#end'})
    api.apigw.put_method_response(restApiId=api.id, resourceId=rid, httpMethod="GET", statusCode="200",
                                  responseParameters={"method.response.header.X-Mode": False})
    api.apigw.put_method_response(restApiId=api.id, resourceId=rid, httpMethod="GET", statusCode="500")
    api.apigw.put_integration_response(
        restApiId=api.id, resourceId=rid, httpMethod="GET", statusCode="200",
        responseParameters={"method.response.header.X-Mode": "'mock'"},
        responseTemplates={"application/json":
                           '{"who": "$input.params(\'who\')", "stage": "$context.stage", '
                           '"list": [#foreach($n in [1..3])$n#if($foreach.hasNext),#end#end]}'})
    api.apigw.put_integration_response(
        restApiId=api.id, resourceId=rid, httpMethod="GET", statusCode="500", selectionPattern="500",
        responseTemplates={"application/json": '{"failed": true}'})
    api.deploy("dev")
    r = api.call("GET", "/mock?who=ann", stage="dev")
    assert (r.status, r.json()) == (200, {"who": "ann", "stage": "dev", "list": [1, 2, 3]})
    assert r.header("X-Mode") == "mock"
    r = api.call("GET", "/mock?fail=yes", stage="dev")
    assert (r.status, r.json()) == (500, {"failed": True})


def test_cors_preflight_with_mock_options(new_api, functions):
    api = new_api()
    api.lambda_proxy("/items", "GET", functions["proxy"])
    cors = {"Access-Control-Allow-Origin": "'https://app.example'",
            "Access-Control-Allow-Methods": "'GET,OPTIONS'",
            "Access-Control-Allow-Headers": "'Content-Type,X-Api-Key,Authorization'"}
    api.mock("/items", "OPTIONS", "", headers=cors)
    api.deploy("prod")
    r = api.call("OPTIONS", "/items", headers={"Origin": "https://app.example",
                                               "Access-Control-Request-Method": "GET"})
    assert r.status == 200, r
    assert r.header("Access-Control-Allow-Origin") == "https://app.example"
    assert r.header("Access-Control-Allow-Methods") == "GET,OPTIONS"
    assert r.header("Access-Control-Allow-Headers") == "Content-Type,X-Api-Key,Authorization"
    assert r.body == b""
    # without an OPTIONS method AWS does not answer preflights
    r = api.call("OPTIONS", "/nothing-here")
    assert (r.status, r.json()) == (403, MISSING_TOKEN)


# ---------------------------------------------------------------- request validation


def test_request_validation(new_api):
    api = new_api()
    schema = {"$schema": "http://json-schema.org/draft-04/schema#", "type": "object",
              "required": ["name", "age"],
              "properties": {"name": {"type": "string", "minLength": 1},
                             "age": {"type": "integer", "minimum": 0}}}
    api.apigw.create_model(restApiId=api.id, name="Person", contentType="application/json",
                           schema=json.dumps(schema))
    both = api.apigw.create_request_validator(restApiId=api.id, name="all", validateRequestBody=True,
                                              validateRequestParameters=True)["id"]
    params_only = api.apigw.create_request_validator(restApiId=api.id, name="params",
                                                     validateRequestParameters=True)["id"]
    api.mock("/people", "POST", '{"created": true}', requestValidatorId=both,
             requestModels={"application/json": "Person"},
             requestParameters={"method.request.header.X-Tenant": True})
    api.mock("/search", "GET", '{"q": "$input.params(\'q\')"}', requestValidatorId=params_only,
             requestParameters={"method.request.querystring.q": True,
                                "method.request.querystring.page": False})
    api.deploy("prod")
    ok = {"Content-Type": "application/json", "X-Tenant": "t1"}
    r = api.call("POST", "/people", headers=ok, body='{"name": "ann", "age": 3}')
    assert (r.status, r.json()) == (200, {"created": True})
    for bad in ('{"name": "ann"}', '{"name": "", "age": 3}', '{"name": "ann", "age": -1}',
                '{"name": "ann", "age": "3"}', "[1, 2]", "not json"):
        r = api.call("POST", "/people", headers=ok, body=bad)
        assert (r.status, r.json()) == (400, {"message": "Invalid request body"}), (bad, r)
        assert r.header("x-amzn-ErrorType") == "BadRequestException"
    r = api.call("POST", "/people", headers={"Content-Type": "application/json"},
                 body='{"name": "ann", "age": 3}')
    assert (r.status, r.json()) == (400, {"message": "Missing required request parameters: [X-Tenant]"})
    r = api.call("GET", "/search")
    assert (r.status, r.json()) == (400, {"message": "Missing required request parameters: [q]"})
    r = api.call("GET", "/search?q=cats")
    assert (r.status, r.json()) == (200, {"q": "cats"})


# ---------------------------------------------------------------- authorizers


def test_token_authorizer_allow_deny_unauthorized_and_context(new_api, functions):
    api = new_api()
    auth = api.apigw.create_authorizer(restApiId=api.id, name="tok", type="TOKEN",
                                       authorizerUri=lambda_uri(functions["token_auth"]),
                                       identitySource="method.request.header.Authorization",
                                       authorizerResultTtlInSeconds=0)["id"]
    api.lambda_proxy("/me", "GET", functions["proxy"])
    api.apigw.update_method(restApiId=api.id, resourceId=api.ids["/me"], httpMethod="GET", patchOperations=[
        {"op": "replace", "path": "/authorizationType", "value": "CUSTOM"},
        {"op": "replace", "path": "/authorizerId", "value": auth}])
    api.mock("/mock", "GET", '{"principal": "$context.authorizer.principalId", '
                             '"tier": "$context.authorizer.tier"}',
             auth="CUSTOM", authorizerId=auth)
    api.deploy("prod")
    r = api.call("GET", "/me")
    assert (r.status, r.json()) == (401, {"message": "Unauthorized"})
    r = api.call("GET", "/me", headers={"Authorization": "unauthorized"})
    assert (r.status, r.json()) == (401, {"message": "Unauthorized"})
    r = api.call("GET", "/me", headers={"Authorization": "deny"})
    assert (r.status, r.json()) == (
        403, {"Message": "User is not authorized to access this resource with an explicit deny"})
    r = api.call("GET", "/me", headers={"Authorization": "broken"})
    assert r.status == 500, r  # an authorizer that fails otherwise: AUTHORIZER_FAILURE
    # an object in the authorizer's context is a configuration error, not a value
    r = api.call("GET", "/me", headers={"Authorization": "allow-nested"})
    assert (r.status, r.json()) == (500, {"message": None})
    r = api.call("GET", "/me", headers={"Authorization": "allow-1"})
    assert r.status == 200, r
    authz = r.json()["event"]["requestContext"]["authorizer"]
    assert authz["principalId"] == "user-allow-1"
    assert (authz["tier"], authz["n"], authz["ok"]) == ("gold", 7, True) or \
        (authz["tier"], str(authz["n"]), str(authz["ok"]).lower()) == ("gold", "7", "true")
    r = api.call("GET", "/mock", headers={"Authorization": "allow-2"})
    assert (r.status, r.json()) == (200, {"principal": "user-allow-2", "tier": "gold"})


def test_token_authorizer_result_cache(new_api, functions):
    api = new_api()
    cached = api.apigw.create_authorizer(restApiId=api.id, name="cached", type="TOKEN",
                                         authorizerUri=lambda_uri(functions["token_auth"]),
                                         identitySource="method.request.header.Authorization",
                                         authorizerResultTtlInSeconds=300)["id"]
    uncached = api.apigw.create_authorizer(restApiId=api.id, name="uncached", type="TOKEN",
                                           authorizerUri=lambda_uri(functions["token_auth"]),
                                           identitySource="method.request.header.Authorization",
                                           authorizerResultTtlInSeconds=0)["id"]
    template = '{"invocation": "$context.authorizer.invocation"}'
    api.mock("/cached", "GET", template, auth="CUSTOM", authorizerId=cached)
    api.mock("/uncached", "GET", template, auth="CUSTOM", authorizerId=uncached)
    api.deploy("prod")
    token = f"allow-{uuid.uuid4().hex[:6]}"
    first = api.call("GET", "/cached", headers={"Authorization": token})
    second = api.call("GET", "/cached", headers={"Authorization": token})
    assert first.status == second.status == 200, (first, second)
    # one authorizer invocation served both requests (the context carries its request id)
    assert first.json()["invocation"] == second.json()["invocation"] != ""
    # a different token is a different cache entry
    other = api.call("GET", "/cached", headers={"Authorization": token + "-b"})
    assert other.json()["invocation"] != first.json()["invocation"]
    # the entry lives for the TTL only
    api.apigw.update_authorizer(restApiId=api.id, authorizerId=cached, patchOperations=[
        {"op": "replace", "path": "/authorizerResultTtlInSeconds", "value": "1"}])
    api.deploy("prod")
    short = f"allow-{uuid.uuid4().hex[:6]}"
    one = api.call("GET", "/cached", headers={"Authorization": short}).json()["invocation"]
    assert api.call("GET", "/cached", headers={"Authorization": short}).json()["invocation"] == one
    time.sleep(1.3)
    assert api.call("GET", "/cached", headers={"Authorization": short}).json()["invocation"] != one
    # TTL 0: every request runs the authorizer
    a = api.call("GET", "/uncached", headers={"Authorization": token})
    b = api.call("GET", "/uncached", headers={"Authorization": token})
    assert a.json()["invocation"] != b.json()["invocation"]


def test_request_authorizer(new_api, functions):
    api = new_api()
    auth = api.apigw.create_authorizer(
        restApiId=api.id, name="req", type="REQUEST",
        authorizerUri=lambda_uri(functions["request_auth"]),
        identitySource="method.request.header.X-User,method.request.querystring.tenant",
        authorizerResultTtlInSeconds=0)["id"]
    rid = api.lambda_proxy("/orders/{id}", "GET", functions["proxy"])
    api.apigw.update_method(restApiId=api.id, resourceId=rid, httpMethod="GET", patchOperations=[
        {"op": "replace", "path": "/authorizationType", "value": "CUSTOM"},
        {"op": "replace", "path": "/authorizerId", "value": auth}])
    api.deploy("prod")
    # a missing identity source: 401 without running the function
    r = api.call("GET", "/orders/1", headers={"X-User": "alice"})
    assert (r.status, r.json()) == (401, {"message": "Unauthorized"})
    r = api.call("GET", "/orders/1?tenant=acme")
    assert (r.status, r.json()) == (401, {"message": "Unauthorized"})
    r = api.call("GET", "/orders/1?tenant=acme", headers={"X-User": "mallory"})
    assert (r.status, r.json()) == (
        403, {"Message": "User is not authorized to access this resource with an explicit deny"})
    r = api.call("GET", "/orders/1?tenant=acme", headers={"X-User": "alice"})
    assert r.status == 200, r
    ev = r.json()["event"]
    authz = ev["requestContext"]["authorizer"]
    assert authz["principalId"] == "alice" and authz["tenant"] == "acme"
    assert authz["type"] == "REQUEST"
    assert authz["methodArn"] == f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{api.id}/prod/GET/orders/1"
    assert authz["resource"] == "/orders/{id}" and authz["sawPath"] == "/orders/1"


# ---------------------------------------------------------------- API keys, usage plans, throttling


def test_api_key_required(new_api):
    api = new_api()
    api.mock("/secret", "GET", '{"key": "$context.identity.apiKey"}', apiKeyRequired=True)
    api.mock("/open", "GET", '{"open": true}')
    api.deploy("prod")
    key = api.apigw.create_api_key(name=f"k-{uuid.uuid4().hex[:6]}", enabled=True)
    plan = api.apigw.create_usage_plan(name=f"p-{uuid.uuid4().hex[:6]}",
                                       apiStages=[{"apiId": api.id, "stage": "prod"}])
    api.apigw.create_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"], keyType="API_KEY")
    disabled = api.apigw.create_api_key(name=f"d-{uuid.uuid4().hex[:6]}", enabled=False)
    api.apigw.create_usage_plan_key(usagePlanId=plan["id"], keyId=disabled["id"], keyType="API_KEY")
    assert api.call("GET", "/open").status == 200
    for headers in ({}, {"x-api-key": "not-a-key-of-this-account-123456"},
                    {"x-api-key": disabled["value"]}):
        r = api.call("GET", "/secret", headers=headers)
        assert (r.status, r.json()) == (403, {"message": "Forbidden"}), (headers, r)
    r = api.call("GET", "/secret", headers={"x-api-key": key["value"]})
    assert (r.status, r.json()) == (200, {"key": key["value"]})
    # header names are case-insensitive
    assert api.call("GET", "/secret", headers={"X-API-Key": key["value"]}).status == 200
    # a key disabled later is refused
    api.apigw.update_api_key(apiKey=key["id"], patchOperations=[
        {"op": "replace", "path": "/enabled", "value": "false"}])
    r = api.call("GET", "/secret", headers={"x-api-key": key["value"]})
    assert (r.status, r.json()) == (403, {"message": "Forbidden"})


def test_usage_plan_throttle_and_quota(new_api):
    api = new_api()
    api.mock("/t", "GET", '{"ok": true}', apiKeyRequired=True)
    api.mock("/q", "GET", '{"ok": true}', apiKeyRequired=True)
    api.deploy("prod")
    api2 = new_api()
    api2.mock("/q", "GET", '{"ok": true}', apiKeyRequired=True)
    api2.deploy("prod")
    throttled = api.apigw.create_api_key(name=f"t-{uuid.uuid4().hex[:6]}", enabled=True)
    plan = api.apigw.create_usage_plan(name=f"tp-{uuid.uuid4().hex[:6]}",
                                       apiStages=[{"apiId": api.id, "stage": "prod"}],
                                       throttle={"rateLimit": 0.01, "burstLimit": 2})
    api.apigw.create_usage_plan_key(usagePlanId=plan["id"], keyId=throttled["id"], keyType="API_KEY")
    statuses = [api.call("GET", "/t", headers={"x-api-key": throttled["value"]}).status for _ in range(2)]
    assert statuses == [200, 200]
    r = api.call("GET", "/t", headers={"x-api-key": throttled["value"]})
    assert (r.status, r.json()) == (429, {"message": "Too Many Requests"})

    quota = api.apigw.create_api_key(name=f"q-{uuid.uuid4().hex[:6]}", enabled=True)
    qplan = api.apigw.create_usage_plan(name=f"qp-{uuid.uuid4().hex[:6]}",
                                        apiStages=[{"apiId": api2.id, "stage": "prod"}],
                                        quota={"limit": 3, "period": "DAY"})
    api.apigw.create_usage_plan_key(usagePlanId=qplan["id"], keyId=quota["id"], keyType="API_KEY")
    got = [api2.call("GET", "/q", headers={"x-api-key": quota["value"]}).status for _ in range(3)]
    assert got == [200, 200, 200]
    r = api2.call("GET", "/q", headers={"x-api-key": quota["value"]})
    assert (r.status, r.json()) == (429, {"message": "Limit Exceeded"})


def test_stage_method_throttling(new_api):
    api = new_api()
    api.mock("/limited", "GET", '{"ok": true}')
    api.mock("/free", "GET", '{"ok": true}')
    api.deploy("prod")
    api.apigw.update_stage(restApiId=api.id, stageName="prod", patchOperations=[
        {"op": "replace", "path": "/~1limited/GET/throttling/rateLimit", "value": "0.01"},
        {"op": "replace", "path": "/~1limited/GET/throttling/burstLimit", "value": "1"},
    ])
    assert api.call("GET", "/limited").status == 200
    r = api.call("GET", "/limited")
    assert (r.status, r.json()) == (429, {"message": "Too Many Requests"})
    # the other method of the stage keeps its own (default) bucket
    assert [api.call("GET", "/free").status for _ in range(3)] == [200, 200, 200]
    # a stage-wide setting applies to every method
    api.apigw.update_stage(restApiId=api.id, stageName="prod", patchOperations=[
        {"op": "replace", "path": "/*/*/throttling/rateLimit", "value": "0.01"},
        {"op": "replace", "path": "/*/*/throttling/burstLimit", "value": "1"},
    ])
    api2_status = [api.call("GET", "/free").status for _ in range(3)]
    assert 429 in api2_status


def test_token_authorizer_validation_expression_and_event(new_api, functions):
    api = new_api()
    auth = api.apigw.create_authorizer(restApiId=api.id, name="tok", type="TOKEN",
                                       authorizerUri=lambda_uri(functions["token_auth"]),
                                       identitySource="method.request.header.X-Token",
                                       identityValidationExpression="allow-[0-9]+",
                                       authorizerResultTtlInSeconds=0)["id"]
    api.mock("/v", "GET", '{"principal": "$context.authorizer.principalId"}',
             auth="CUSTOM", authorizerId=auth)
    api.deploy("prod")
    # a token that fails the expression is refused before the function runs
    r = api.call("GET", "/v", headers={"X-Token": "allow-abc"})
    assert (r.status, r.json()) == (401, {"message": "Unauthorized"})
    r = api.call("GET", "/v", headers={"X-Token": "deny"})
    assert (r.status, r.json()) == (401, {"message": "Unauthorized"})
    r = api.call("GET", "/v", headers={"X-Token": "allow-42"})
    assert (r.status, r.json()) == (200, {"principal": "user-allow-42"})


def test_api_key_from_authorizer(new_api, functions):
    """apiKeySource AUTHORIZER: the key is the authorizer's usageIdentifierKey."""
    api = new_api(apiKeySource="AUTHORIZER")
    auth = api.apigw.create_authorizer(restApiId=api.id, name="tok", type="TOKEN",
                                       authorizerUri=lambda_uri(functions["token_auth"]),
                                       identitySource="method.request.header.Authorization",
                                       authorizerResultTtlInSeconds=0)["id"]
    api.mock("/k", "GET", '{"key": "$context.identity.apiKey"}', auth="CUSTOM", authorizerId=auth,
             apiKeyRequired=True)
    api.deploy("prod")
    key = api.apigw.create_api_key(name=f"k-{uuid.uuid4().hex[:6]}", enabled=True)
    plan = api.apigw.create_usage_plan(name=f"p-{uuid.uuid4().hex[:6]}",
                                       apiStages=[{"apiId": api.id, "stage": "prod"}])
    api.apigw.create_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"], keyType="API_KEY")
    # no usageIdentifierKey from the authorizer: an x-api-key header does not count here
    r = api.call("GET", "/k", headers={"Authorization": "allow-1", "x-api-key": key["value"]})
    assert (r.status, r.json()) == (403, {"message": "Forbidden"})
    r = api.call("GET", "/k", headers={"Authorization": "allow-2|not-a-key-value-000000000"})
    assert (r.status, r.json()) == (403, {"message": "Forbidden"})
    r = api.call("GET", "/k", headers={"Authorization": f"allow-3|{key['value']}"})
    assert (r.status, r.json()) == (200, {"key": key["value"]})


def test_http_integration_parameter_mapping_and_passthrough(new_api, backend):
    api = new_api()
    rid = api.resource("/map/{id}")
    api.apigw.put_method(restApiId=api.id, resourceId=rid, httpMethod="POST", authorizationType="NONE",
                         requestParameters={"method.request.path.id": True,
                                            "method.request.querystring.q": False,
                                            "method.request.header.X-In": False})
    api.apigw.put_integration(
        restApiId=api.id, resourceId=rid, httpMethod="POST", type="HTTP", integrationHttpMethod="PUT",
        uri=backend + "/items/{item}",
        passthroughBehavior="NEVER",
        requestTemplates={"application/json": '{"id": "$input.params(\'id\')"}'},
        requestParameters={"integration.request.path.item": "method.request.path.id",
                           "integration.request.querystring.search": "method.request.querystring.q",
                           "integration.request.header.X-Out": "method.request.header.X-In",
                           "integration.request.header.X-Static": "'fixed'"})
    api.apigw.put_method_response(restApiId=api.id, resourceId=rid, httpMethod="POST", statusCode="200")
    api.apigw.put_integration_response(restApiId=api.id, resourceId=rid, httpMethod="POST",
                                       statusCode="200", selectionPattern="")
    api.deploy("prod")
    r = api.call("POST", "/map/77?q=cats", headers={"Content-Type": "application/json", "X-In": "hdr"},
                 body='{"ignored": true}')
    assert r.status == 200, r
    got = r.json()  # no response template: the backend's body passes through
    assert (got["method"], got["path"]) == ("PUT", "/items/77")
    assert got["query"] == {"search": ["cats"]}
    assert got["headers"]["x-out"] == "hdr" and got["headers"]["x-static"] == "fixed"
    assert json.loads(got["body"]) == {"id": "77"}
    # passthroughBehavior NEVER and no template for the content type: 415
    r = api.call("POST", "/map/77", headers={"Content-Type": "text/plain"}, body="x")
    assert (r.status, r.json()) == (415, {"message": "Unsupported Media Type"})


def test_cached_policy_applies_to_other_methods(new_api, functions):
    """A cached authorizer policy is evaluated against each method: a policy that allowed only
    the first method called denies the next one (AWS's well-known caching behaviour)."""
    api = new_api()
    auth = api.apigw.create_authorizer(restApiId=api.id, name="tok", type="TOKEN",
                                       authorizerUri=lambda_uri(functions["token_auth"]),
                                       identitySource="method.request.header.Authorization",
                                       authorizerResultTtlInSeconds=300)["id"]
    api.mock("/a", "GET", '{"a": true}', auth="CUSTOM", authorizerId=auth)
    api.mock("/b", "GET", '{"b": true}', auth="CUSTOM", authorizerId=auth)
    api.deploy("prod")
    token = f"allow-exact-{uuid.uuid4().hex[:6]}"
    assert api.call("GET", "/a", headers={"Authorization": token}).status == 200
    r = api.call("GET", "/b", headers={"Authorization": token})
    assert (r.status, r.json()) == (403, {"Message": "User is not authorized to access this resource"})
    # a token whose policy covers the API works on both
    wide = f"allow-{uuid.uuid4().hex[:6]}"
    assert [api.call("GET", p, headers={"Authorization": wide}).status for p in ("/a", "/b")] == [200, 200]


def test_usage_plan_per_method_throttle(new_api):
    api = new_api()
    api.mock("/slow", "GET", '{"ok": true}', apiKeyRequired=True)
    api.mock("/fast", "GET", '{"ok": true}', apiKeyRequired=True)
    api.deploy("prod")
    key = api.apigw.create_api_key(name=f"k-{uuid.uuid4().hex[:6]}", enabled=True)
    plan = api.apigw.create_usage_plan(
        name=f"p-{uuid.uuid4().hex[:6]}",
        apiStages=[{"apiId": api.id, "stage": "prod",
                    "throttle": {"/slow/GET": {"rateLimit": 0.01, "burstLimit": 1}}}],
        throttle={"rateLimit": 100, "burstLimit": 50})
    api.apigw.create_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"], keyType="API_KEY")
    h = {"x-api-key": key["value"]}
    assert api.call("GET", "/slow", headers=h).status == 200
    r = api.call("GET", "/slow", headers=h)
    assert (r.status, r.json()) == (429, {"message": "Too Many Requests"})
    assert [api.call("GET", "/fast", headers=h).status for _ in range(3)] == [200, 200, 200]


def test_mock_without_matching_integration_response_is_500(new_api):
    api = new_api()
    rid = api.resource("/cfg")
    api.apigw.put_method(restApiId=api.id, resourceId=rid, httpMethod="GET", authorizationType="NONE")
    api.apigw.put_integration(restApiId=api.id, resourceId=rid, httpMethod="GET", type="MOCK",
                              requestTemplates={"application/json": '{"statusCode": 404}'})
    api.apigw.put_method_response(restApiId=api.id, resourceId=rid, httpMethod="GET", statusCode="200")
    api.apigw.put_integration_response(restApiId=api.id, resourceId=rid, httpMethod="GET",
                                       statusCode="200", selectionPattern="200")
    api.deploy("prod")
    # no integration response matches 404 and there is no default one: a configuration error
    r = api.call("GET", "/cfg")
    assert (r.status, r.json()) == (500, {"message": "Internal server error"})


def test_stage_variables_in_integration_uris(new_api, functions, backend):
    """`${stageVariables.x}` in an integration URI is filled per stage (a common way to point
    stages at different functions or backends)."""
    api = new_api()
    fn_base = functions["proxy"].rsplit(":", 1)[0]  # arn:...:function
    api.method("/fn", "GET", {"type": "AWS_PROXY", "integrationHttpMethod": "POST",
                              "uri": lambda_uri(fn_base + ":${stageVariables.fn}")})
    api.method("/be/{p}", "GET", {"type": "HTTP_PROXY", "integrationHttpMethod": "GET",
                                  "uri": backend + "/${stageVariables.prefix}/{p}",
                                  "requestParameters": {"integration.request.path.p": "method.request.path.p"}},
               requestParameters={"method.request.path.p": True})
    name = functions["proxy"].rsplit(":", 1)[1]
    api.deploy("prod", variables={"fn": name, "prefix": "live"})
    r = api.call("GET", "/fn")
    assert r.status == 200, r
    assert r.json()["event"]["stageVariables"] == {"fn": name, "prefix": "live"}
    r = api.call("GET", "/be/x")
    assert r.status == 200 and r.json()["path"] == "/live/x"


@pytest.mark.parametrize("behavior", ["WHEN_NO_MATCH", "WHEN_NO_TEMPLATES", "NEVER"])
def test_passthrough_behaviors(new_api, backend, behavior):
    """The developer guide's passthrough tables: one template for application/json
    (example 1) and one for application/xml (example 2)."""
    api = new_api()
    for path, ctype in (("/json", "application/json"), ("/xml", "application/xml")):
        rid = api.method(path, "POST", {"type": "HTTP", "integrationHttpMethod": "POST",
                                        "uri": backend + path, "passthroughBehavior": behavior,
                                        "requestTemplates": {ctype: '{"templated": true}'}})
        api.apigw.put_method_response(restApiId=api.id, resourceId=rid, httpMethod="POST", statusCode="200")
        api.apigw.put_integration_response(restApiId=api.id, resourceId=rid, httpMethod="POST",
                                           statusCode="200", selectionPattern="")
    api.deploy("prod")
    unsupported = (415, {"message": "Unsupported Media Type"})

    def sent(path, ctype):
        headers = {"Content-Type": ctype} if ctype else {}
        r = api.call("POST", path, headers=headers, body="<raw/>")
        if r.status != 200:
            return r.status, r.json()
        return r.json()["body"]

    templated, raw = '{"templated": true}', "<raw/>"
    # example 1: a template for application/json (no Content-Type means application/json)
    assert sent("/json", None) == templated
    assert sent("/json", "application/json") == templated
    assert sent("/json", "application/xml") == (raw if behavior == "WHEN_NO_MATCH" else unsupported)
    # example 2: a template for application/xml
    for ctype in (None, "application/json"):
        assert sent("/xml", ctype) == (raw if behavior == "WHEN_NO_MATCH" else unsupported), ctype
    assert sent("/xml", "application/xml") == templated
