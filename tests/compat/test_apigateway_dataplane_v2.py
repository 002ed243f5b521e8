"""HTTP API (apigatewayv2) data plane, end to end over plain HTTP: what a client of AWS sees
(status, body, headers) for every behaviour of an invoke URL.

Both invoke-URL forms, stage selection ($default and named stages), route selection (exact,
{param}, greedy {proxy+}, ANY, the $default route, 404 Not Found), the payload format 2.0 and
1.0 events, response mapping (simple responses, cookies, base64 bodies, malformed answers →
500), integration timeouts, HTTP_PROXY to a loopback server, Lambda REQUEST authorizers (simple
and IAM-policy responses, missing identity, result cache), JWT authorizers (RS256 tokens signed
here with a pure-Python RSA key, so no `cryptography` package is needed), CORS and throttling.

Expectations come from the API Gateway developer guide for HTTP APIs (Lambda integration
payload formats, route selection, authorizers, CORS, throttling), not from Lamina's code.
"""
import base64
import hashlib
import http.client
import io
import json
import random
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
NOT_FOUND = {"message": "Not Found"}


class Resp:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    def header(self, name):
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)

    def all(self, name):
        return [v for k, v in self.headers if k.lower() == name.lower()]

    def json(self):
        return json.loads(self.body)

    def __repr__(self):
        return f"Resp({self.status}, {self.body[:400]!r})"


def send(endpoint, method, path, headers=(), body=None, host=None):
    """One request; `headers` is a dict or a list of pairs (to repeat a name)."""
    u = urllib.parse.urlparse(endpoint)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
    try:
        conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        conn.putheader("Host", f"{host}:{u.port}" if host else u.netloc)
        pairs = list(headers.items()) if isinstance(headers, dict) else list(headers)
        data = body.encode() if isinstance(body, str) else body
        for k, v in pairs:
            conn.putheader(k, v)
        if data is not None:
            conn.putheader("Content-Length", str(len(data)))
        conn.endheaders(data)
        r = conn.getresponse()
        return Resp(r.status, r.getheaders(), r.read())
    finally:
        conn.close()


class HttpApi:
    def __init__(self, apigw, endpoint, **kw):
        self.apigw, self.endpoint = apigw, endpoint
        self.api = apigw.create_api(Name=f"dp2-{uuid.uuid4().hex[:8]}", ProtocolType="HTTP", **kw)
        self.id = self.api["ApiId"]

    def lambda_integration(self, fn_arn, fmt="2.0", **kw):
        return self.apigw.create_integration(ApiId=self.id, IntegrationType="AWS_PROXY",
                                             IntegrationUri=fn_arn, PayloadFormatVersion=fmt,
                                             **kw)["IntegrationId"]

    def http_integration(self, uri, **kw):
        return self.apigw.create_integration(ApiId=self.id, IntegrationType="HTTP_PROXY",
                                             IntegrationMethod="ANY", IntegrationUri=uri,
                                             PayloadFormatVersion="1.0", **kw)["IntegrationId"]

    def route(self, key, integration, **kw):
        return self.apigw.create_route(ApiId=self.id, RouteKey=key,
                                       Target=f"integrations/{integration}", **kw)["RouteId"]

    def stage(self, name="$default", **kw):
        self.apigw.create_stage(ApiId=self.id, StageName=name, AutoDeploy=True, **kw)

    def call(self, method, path, **kw):
        """Host form: `path` includes the stage segment for named stages."""
        return send(self.endpoint, method, path, host=f"{self.id}.execute-api.localhost", **kw)

    def path_form(self, method, stage, path, **kw):
        return send(self.endpoint, method, f"/restapis/{self.id}/{stage}/_user_request_{path}", **kw)


@pytest.fixture
def apigw(client):
    return client("apigatewayv2")


@pytest.fixture
def new_api(apigw, endpoint):
    return lambda **kw: HttpApi(apigw, endpoint, **kw)


# ---------------------------------------------------------------- functions

FUNCTIONS = r'''
import base64, json, time


def v2(event, context):
    path = event.get("rawPath") or event.get("path") or ""
    last = path.rsplit("/", 1)[-1]
    if last == "string":
        return "hello"
    if last == "object":
        return {"hello": "world", "n": 1}
    if last == "cookies":
        return {"statusCode": 201, "headers": {"x-one": "1", "content-type": "text/plain"},
                "cookies": ["a=1; Path=/", "b=2; HttpOnly"], "body": "with cookies"}
    if last == "binary":
        return {"statusCode": 200, "headers": {"content-type": "application/octet-stream"},
                "body": base64.b64encode(b"\x00\xffbin").decode(), "isBase64Encoded": True}
    if last == "bad-status":
        return {"statusCode": "abc", "body": "x"}
    if last == "raise":
        raise RuntimeError("boom")
    if last == "slow":
        time.sleep(3)
        return {"statusCode": 200, "body": "late"}
    if last == "multi" and event.get("version") == "1.0":
        return {"statusCode": 200, "multiValueHeaders": {"x-multi": ["a", "b"]}, "body": "m"}
    if last == "plain" and event.get("version") == "1.0":
        return "not a structured response"
    return {"statusCode": 200, "headers": {"content-type": "application/json"},
            "body": json.dumps({"event": event, "fn_request": context.aws_request_id})}


def simple_auth(event, context):
    """Simple response: authorized when the Authorization header is 'let-me-in...'."""
    token = (event.get("headers") or {}).get("authorization", "")
    return {"isAuthorized": token.startswith("let-me-in"),
            "context": {"invocation": context.aws_request_id, "user": token[10:] or "anon",
                        "routeArn": event.get("routeArn"), "type": event.get("type"),
                        "identitySource": event.get("identitySource")}}


def policy_auth(event, context):
    """IAM-policy response (payload 2.0): allow 'good', deny anything else."""
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    token = headers.get("authorization", "")
    effect = "Allow" if token == "good" else "Deny"
    arn = event.get("routeArn") or event["methodArn"]  # payload 2.0 / 1.0
    return {"principalId": "p-" + token,
            "policyDocument": {"Version": "2012-10-17", "Statement": [
                {"Action": "execute-api:Invoke", "Effect": effect, "Resource": arn}]},
            "context": {"invocation": context.aws_request_id, "level": 3}}
'''


@pytest.fixture(scope="module")
def functions(endpoint):
    from conftest import make_client
    lam = make_client("lambda", endpoint)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("handler.py", FUNCTIONS)
    arns = {}
    for handler in ("v2", "simple_auth", "policy_auth"):
        name = f"dp2-{handler.replace('_', '-')}-{uuid.uuid4().hex[:6]}"
        try:
            fn = lam.create_function(FunctionName=name, Runtime=host_python_runtime(), Role=ROLE,
                                     Handler=f"handler.{handler}", Code={"ZipFile": buf.getvalue()},
                                     Timeout=10)
        except ClientError as e:
            pytest.skip(f"Lambda cannot create functions here: {e}")
        lam.get_waiter("function_active_v2").wait(FunctionName=name,
                                                   WaiterConfig={"Delay": 1, "MaxAttempts": 60})
        arns[handler] = fn["FunctionArn"]
    return arns


# ---------------------------------------------------------------- loopback backend


class Backend(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _answer(self):
        n = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(n) if n else b""
        parsed = urllib.parse.urlsplit(self.path)
        if parsed.path.startswith("/slow"):
            time.sleep(2)
        status = int(parsed.path.rsplit("/", 1)[1]) if "/status/" in parsed.path else 200
        body = json.dumps({"method": self.command, "path": parsed.path,
                           "query": urllib.parse.parse_qs(parsed.query),
                           "headers": {k.lower(): v for k, v in self.headers.items()},
                           "body": raw.decode("utf-8", "replace")}).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("X-Backend", "yes")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the gateway gave up waiting (timeout tests)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _answer

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


def test_route_selection_and_url_forms(new_api, backend):
    api = new_api()
    keys = ("GET /pets/dog", "GET /pets/{id}", "ANY /pets/{proxy+}", "$default", "POST /orders")
    for i, key in enumerate(keys):
        api.route(key, api.http_integration(f"{backend}/route/{i}"))
    api.stage("$default")

    def route_of(r):
        assert r.status == 200, r
        return keys[int(r.json()["path"].split("/")[2])]

    for form in (lambda m, p: api.call(m, p), lambda m, p: api.path_form(m, "$default", p)):
        assert route_of(form("GET", "/pets/dog")) == "GET /pets/dog"
        assert route_of(form("GET", "/pets/7")) == "GET /pets/{id}"
        assert route_of(form("DELETE", "/pets/7")) == "ANY /pets/{proxy+}"
        assert route_of(form("GET", "/pets/7/toys/1")) == "ANY /pets/{proxy+}"
        assert route_of(form("POST", "/orders")) == "POST /orders"
        assert route_of(form("GET", "/orders")) == "$default"
        assert route_of(form("PUT", "/anything/at/all")) == "$default"


def test_not_found_and_named_stages(new_api, backend):
    api = new_api()
    integ = api.http_integration(f"{backend}/echo")
    api.route("GET /items/{id}", integ)
    api.stage("dev", StageVariables={"v": "1"})
    r = api.call("GET", "/dev/items/3")
    assert r.status == 200 and r.json()["path"] == "/echo"
    assert api.path_form("GET", "dev", "/items/3").status == 200
    for method, path in (("POST", "/dev/items/3"), ("GET", "/dev/items"), ("GET", "/dev/nothing"),
                         ("GET", "/prod/items/3"), ("GET", "/items/3")):
        r = api.call(method, path)
        assert (r.status, r.json()) == (404, NOT_FOUND), (method, path, r)
        assert r.header("apigw-requestid")
    r = api.path_form("GET", "prod", "/items/3")
    assert (r.status, r.json()) == (404, NOT_FOUND)


def test_http_proxy_integration(new_api, backend):
    api = new_api()
    integ = api.http_integration(backend + "/up/{proxy}")
    api.route("ANY /svc/{proxy+}", integ)
    api.stage("$default")
    r = api.call("PATCH", "/svc/a/b?x=1&x=2", headers={"X-Client": "c", "Content-Type": "text/plain"},
                 body="hello")
    assert r.status == 200, r
    got = r.json()
    assert (got["method"], got["path"], got["body"]) == ("PATCH", "/up/a/b", "hello")
    assert got["query"] == {"x": ["1", "2"]}
    assert got["headers"]["x-client"] == "c"
    assert got["headers"]["x-forwarded-for"]
    assert r.header("X-Backend") == "yes"
    r = api.call("GET", "/svc/status/404")
    assert r.status == 404 and r.json()["path"] == "/up/status/404"


def test_http_proxy_timeout(new_api, backend):
    api = new_api()
    integ = api.http_integration(backend + "/slow", TimeoutInMillis=500)
    api.route("GET /slow", integ)
    api.stage("$default")
    t = time.monotonic()
    r = api.call("GET", "/slow")
    assert (r.status, r.json()) == (503, {"message": "Service Unavailable"}), r
    assert time.monotonic() - t < 1.9


# ---------------------------------------------------------------- Lambda payload 2.0


def test_payload_2_0_event_shape(new_api, functions):
    api = new_api()
    integ = api.lambda_integration(functions["v2"])
    api.route("POST /orders/{id}/lines", integ)
    api.route("GET /bare", integ)
    api.stage("$default", StageVariables={"color": "red"})
    headers = [("Content-Type", "application/json"), ("X-Multi", "1"), ("X-Multi", "2"),
               ("Cookie", "c1=v1; c2=v2"), ("User-Agent", "ua/2")]
    r = api.call("POST", "/orders/42/lines?a=1&a=2&b=x%20y", headers=headers, body='{"k": 1}')
    assert r.status == 200, r
    ev = r.json()["event"]
    assert set(ev) == {"version", "routeKey", "rawPath", "rawQueryString", "cookies", "headers",
                       "queryStringParameters", "requestContext", "body", "pathParameters",
                       "isBase64Encoded", "stageVariables"}
    assert ev["version"] == "2.0"
    assert ev["routeKey"] == "POST /orders/{id}/lines"
    assert ev["rawPath"] == "/orders/42/lines"
    assert ev["rawQueryString"] == "a=1&a=2&b=x%20y"
    assert ev["queryStringParameters"] == {"a": "1,2", "b": "x y"}
    assert ev["cookies"] == ["c1=v1", "c2=v2"]
    assert ev["headers"]["x-multi"] == "1,2"
    assert ev["headers"]["content-type"] == "application/json"
    assert "cookie" not in ev["headers"]
    assert all(k == k.lower() for k in ev["headers"])
    port = str(urllib.parse.urlparse(api.endpoint).port)
    assert (ev["headers"]["x-forwarded-for"], ev["headers"]["x-forwarded-proto"],
            ev["headers"]["x-forwarded-port"]) == ("127.0.0.1", "http", port)
    assert ev["headers"]["x-amzn-trace-id"].startswith("Root=1-")
    assert ev["pathParameters"] == {"id": "42"}
    assert ev["stageVariables"] == {"color": "red"}
    assert ev["body"] == '{"k": 1}' and ev["isBase64Encoded"] is False
    rc = ev["requestContext"]
    assert rc["accountId"] == ACCOUNT and rc["apiId"] == api.id
    assert rc["domainName"] == f"{api.id}.execute-api.localhost" and rc["domainPrefix"] == api.id
    assert rc["http"] == {"method": "POST", "path": "/orders/42/lines", "protocol": "HTTP/1.1",
                          "sourceIp": "127.0.0.1", "userAgent": "ua/2"}
    assert rc["routeKey"] == "POST /orders/{id}/lines" and rc["stage"] == "$default"
    assert rc["requestId"] and r.header("apigw-requestid") == rc["requestId"]
    assert isinstance(rc["timeEpoch"], int) and abs(rc["timeEpoch"] / 1000 - time.time()) < 60
    assert time.strptime(rc["time"], "%d/%b/%Y:%H:%M:%S +0000")
    assert "authorizer" not in rc

    # nothing optional when the request has none of it
    ev = api.call("GET", "/bare").json()["event"]
    for absent in ("cookies", "queryStringParameters", "body", "pathParameters"):
        assert absent not in ev, absent
    assert ev["rawQueryString"] == "" and ev["isBase64Encoded"] is False

    # a binary body arrives base64-encoded
    r = api.call("POST", "/orders/1/lines", headers={"Content-Type": "application/octet-stream"},
                 body=b"\x00\x01\xff")
    ev = r.json()["event"]
    assert ev["isBase64Encoded"] is True and base64.b64decode(ev["body"]) == b"\x00\x01\xff"


def test_payload_2_0_named_stage_paths(new_api, functions):
    api = new_api()
    api.route("ANY /{proxy+}", api.lambda_integration(functions["v2"]))
    api.stage("beta")
    r = api.call("GET", "/beta/x/y")
    ev = r.json()["event"]
    # HTTP APIs keep the stage segment in rawPath and requestContext.http.path
    assert ev["rawPath"] == "/beta/x/y" and ev["requestContext"]["http"]["path"] == "/beta/x/y"
    assert ev["requestContext"]["stage"] == "beta"
    assert ev["pathParameters"] == {"proxy": "x/y"}
    assert ev["routeKey"] == "ANY /{proxy+}"


def test_payload_2_0_response_mapping(new_api, functions):
    api = new_api()
    api.route("$default", api.lambda_integration(functions["v2"]))
    api.stage("$default")
    # a function answer without statusCode: 200, application/json, the answer as the body
    r = api.call("GET", "/object")
    assert (r.status, r.header("content-type"), r.json()) == (200, "application/json",
                                                              {"hello": "world", "n": 1})
    # a JSON string answer: its text is the body (the guide's "Hello from Lambda!" example)
    r = api.call("GET", "/string")
    assert (r.status, r.header("content-type"), r.body) == (200, "application/json", b"hello")
    r = api.call("GET", "/cookies")
    assert (r.status, r.body, r.header("content-type")) == (201, b"with cookies", "text/plain")
    assert r.header("x-one") == "1"
    assert r.all("set-cookie") == ["a=1; Path=/", "b=2; HttpOnly"]
    r = api.call("GET", "/binary")
    assert (r.status, r.body) == (200, b"\x00\xffbin")
    for last in ("bad-status", "raise"):
        r = api.call("GET", f"/{last}")
        assert (r.status, r.json()) == (500, {"message": "Internal Server Error"}), (last, r)


def test_lambda_integration_timeout(new_api, functions):
    api = new_api()
    api.route("$default", api.lambda_integration(functions["v2"], TimeoutInMillis=1000))
    api.stage("$default")
    t = time.monotonic()
    r = api.call("GET", "/slow")
    assert (r.status, r.json()) == (503, {"message": "Service Unavailable"}), r
    assert time.monotonic() - t < 2.9


def test_payload_1_0_event_and_response(new_api, functions):
    api = new_api()
    integ = api.lambda_integration(functions["v2"], fmt="1.0")
    api.route("GET /items/{id}", integ)
    api.route("GET /multi", integ)
    api.route("GET /plain", integ)
    api.stage("v1", StageVariables={"s": "t"})
    r = api.call("GET", "/v1/items/42?q=1&q=2", headers=[("X-Rep", "a"), ("X-Rep", "b")])
    assert r.status == 200, r
    ev = r.json()["event"]
    assert ev["version"] == "1.0"
    assert {"resource", "path", "httpMethod", "headers", "multiValueHeaders",
            "queryStringParameters", "multiValueQueryStringParameters", "requestContext",
            "pathParameters", "stageVariables", "body", "isBase64Encoded"} <= set(ev)
    assert ev["resource"] == "/items/{id}" and ev["httpMethod"] == "GET"
    assert ev["pathParameters"] == {"id": "42"} and ev["stageVariables"] == {"s": "t"}
    assert ev["queryStringParameters"] == {"q": "2"}
    assert ev["multiValueQueryStringParameters"] == {"q": ["1", "2"]}
    mv = {k.lower(): v for k, v in ev["multiValueHeaders"].items()}
    assert mv["x-rep"] == ["a", "b"]
    assert ev["body"] is None and ev["isBase64Encoded"] is False
    rc = ev["requestContext"]
    assert rc["stage"] == "v1" and rc["apiId"] == api.id and rc["httpMethod"] == "GET"
    assert rc["identity"]["sourceIp"] == "127.0.0.1"
    r = api.call("GET", "/v1/multi")
    assert (r.status, r.body, r.all("x-multi")) == (200, b"m", ["a", "b"])
    # format 1.0 needs a structured answer
    r = api.call("GET", "/v1/plain")
    assert (r.status, r.json()) == (500, {"message": "Internal Server Error"})


# ---------------------------------------------------------------- Lambda authorizers


def lambda_authorizer(api, fn_arn, simple, ttl, identity=("$request.header.Authorization",), fmt="2.0"):
    kw = {"EnableSimpleResponses": True} if simple else {}
    return api.apigw.create_authorizer(
        ApiId=api.id, Name=f"a-{uuid.uuid4().hex[:6]}", AuthorizerType="REQUEST",
        AuthorizerUri=f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{fn_arn}/invocations",
        AuthorizerPayloadFormatVersion=fmt, IdentitySource=list(identity),
        AuthorizerResultTtlInSeconds=ttl, **kw)["AuthorizerId"]


def test_lambda_authorizer_simple_responses_and_cache(new_api, functions):
    api = new_api()
    integ = api.lambda_integration(functions["v2"])
    cached = lambda_authorizer(api, functions["simple_auth"], simple=True, ttl=300)
    uncached = lambda_authorizer(api, functions["simple_auth"], simple=True, ttl=0)
    api.route("GET /cached/{id}", integ, AuthorizationType="CUSTOM", AuthorizerId=cached)
    api.route("GET /uncached", integ, AuthorizationType="CUSTOM", AuthorizerId=uncached)
    api.stage("$default")
    r = api.call("GET", "/cached/1")
    assert (r.status, r.json()) == (401, {"message": "Unauthorized"})
    r = api.call("GET", "/cached/1", headers={"Authorization": "nope"})
    assert (r.status, r.json()) == (403, {"message": "Forbidden"})
    token = f"let-me-in-{uuid.uuid4().hex[:6]}"
    first = api.call("GET", "/cached/1", headers={"Authorization": token})
    assert first.status == 200, first
    authz = first.json()["event"]["requestContext"]["authorizer"]
    lam = authz["lambda"]
    assert lam["user"] == token[10:] and lam["type"] == "REQUEST"
    assert lam["routeArn"] == f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{api.id}/$default/GET/cached/1"
    assert lam["identitySource"] == [token]
    second = api.call("GET", "/cached/1", headers={"Authorization": token})
    # one authorizer invocation for both requests: the cached context is the first one's
    assert second.json()["event"]["requestContext"]["authorizer"]["lambda"]["invocation"] == lam["invocation"]
    # a short TTL expires
    short_auth = lambda_authorizer(api, functions["simple_auth"], simple=True, ttl=1)
    api.route("GET /short", integ, AuthorizationType="CUSTOM", AuthorizerId=short_auth)
    inv = lambda: api.call("GET", "/short", headers={"Authorization": token}).json()[
        "event"]["requestContext"]["authorizer"]["lambda"]["invocation"]
    one = inv()
    assert inv() == one
    time.sleep(1.3)
    assert inv() != one
    a = api.call("GET", "/uncached", headers={"Authorization": token})
    b = api.call("GET", "/uncached", headers={"Authorization": token})
    assert a.status == b.status == 200
    assert a.json()["event"]["requestContext"]["authorizer"]["lambda"]["invocation"] != \
        b.json()["event"]["requestContext"]["authorizer"]["lambda"]["invocation"]


def test_lambda_authorizer_policy_responses(new_api, functions):
    api = new_api()
    integ = api.lambda_integration(functions["v2"])
    auth = lambda_authorizer(api, functions["policy_auth"], simple=False, ttl=0)
    api.route("GET /p", integ, AuthorizationType="CUSTOM", AuthorizerId=auth)
    api.stage("$default")
    r = api.call("GET", "/p", headers={"Authorization": "bad"})
    assert (r.status, r.json()) == (403, {"message": "Forbidden"})
    r = api.call("GET", "/p")
    assert (r.status, r.json()) == (401, {"message": "Unauthorized"})
    r = api.call("GET", "/p", headers={"Authorization": "good"})
    assert r.status == 200, r
    lam = r.json()["event"]["requestContext"]["authorizer"]["lambda"]
    assert lam["level"] == 3 and lam["principalId"] == "p-good"
    # authorizer payload format 1.0 (methodArn, IAM policy) in front of a 1.0 integration:
    # requestContext.authorizer is the context itself with principalId
    v1_auth = lambda_authorizer(api, functions["policy_auth"], simple=False, ttl=0, fmt="1.0")
    api.route("GET /p1", api.lambda_integration(functions["v2"], fmt="1.0"),
              AuthorizationType="CUSTOM", AuthorizerId=v1_auth)
    r = api.call("GET", "/p1", headers={"Authorization": "bad"})
    assert (r.status, r.json()) == (403, {"message": "Forbidden"})
    r = api.call("GET", "/p1", headers={"Authorization": "good"})
    assert r.status == 200, r
    authz = r.json()["event"]["requestContext"]["authorizer"]
    assert authz["principalId"] == "p-good" and authz["level"] == 3


# ---------------------------------------------------------------- JWT authorizers (pure-Python RS256)


def _probable_prime(bits, rng):
    small = [p for p in range(3, 2000, 2) if all(p % q for q in range(3, int(p ** 0.5) + 1, 2))]
    while True:
        n = rng.getrandbits(bits) | (1 << (bits - 1)) | 1
        if any(n % p == 0 for p in small):
            continue
        d, s = n - 1, 0
        while d % 2 == 0:
            d, s = d // 2, s + 1
        for _ in range(24):
            x = pow(rng.randrange(2, n - 2), d, n)
            if x in (1, n - 1):
                continue
            for _ in range(s - 1):
                x = pow(x, 2, n)
                if x == n - 1:
                    break
            else:
                break
        else:
            return n


class RsaKey:
    """A 2048-bit RSA key and RS256 (PKCS#1 v1.5, SHA-256) signing, in plain Python."""
    DIGEST_INFO = bytes.fromhex("3031300d060960864801650304020105000420")

    def __init__(self, seed):
        rng = random.Random(seed)
        self.e = 65537
        while True:
            p, q = _probable_prime(1024, rng), _probable_prime(1024, rng)
            phi = (p - 1) * (q - 1)
            if p != q and phi % self.e:
                break
        self.n = p * q
        self.d = pow(self.e, -1, phi)

    def sign(self, msg):
        k = (self.n.bit_length() + 7) // 8
        t = self.DIGEST_INFO + hashlib.sha256(msg).digest()
        em = b"\x00\x01" + b"\xff" * (k - len(t) - 3) + b"\x00" + t
        return pow(int.from_bytes(em, "big"), self.d, self.n).to_bytes(k, "big")

    def jwk(self, kid):
        n = self.n.to_bytes((self.n.bit_length() + 7) // 8, "big")
        return {"kty": "RSA", "kid": kid, "alg": "RS256", "use": "sig",
                "n": b64url(n), "e": b64url(self.e.to_bytes(3, "big"))}


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def make_token(key, claims, kid="k1", alg="RS256"):
    head = b64url(json.dumps({"alg": alg, "kid": kid, "typ": "JWT"}).encode())
    body = b64url(json.dumps(claims).encode())
    signing_input = f"{head}.{body}".encode()
    if alg == "RS256":
        sig = key.sign(signing_input)
    else:  # HS256 with a shared secret: API Gateway only accepts RSA signatures
        import hmac
        sig = hmac.new(b"secret", signing_input, hashlib.sha256).digest()
    return f"{head}.{body}.{b64url(sig)}"


@pytest.fixture(scope="module")
def issuer():
    key, other = RsaKey(1), RsaKey(2)
    jwks = {"keys": [key.jwk("k1")]}

    class Issuer(BaseHTTPRequestHandler):
        def do_GET(self):
            base = f"http://127.0.0.1:{self.server.server_address[1]}"
            doc = {"issuer": base, "jwks_uri": base + "/jwks.json"} if "openid" in self.path else jwks
            b = json.dumps(doc).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(b)))
            self.end_headers()
            self.wfile.write(b)

        def log_message(self, *a):
            pass

    srv = ThreadingHTTPServer(("127.0.0.1", 0), Issuer)
    srv.daemon_threads = True
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield {"url": f"http://127.0.0.1:{srv.server_address[1]}", "key": key, "other": other}
    srv.shutdown()
    srv.server_close()


def test_jwt_authorizer(new_api, functions, issuer):
    iss, key = issuer["url"], issuer["key"]
    api = new_api()
    integ = api.lambda_integration(functions["v2"])
    auth = api.apigw.create_authorizer(ApiId=api.id, Name="jwt", AuthorizerType="JWT",
                                       IdentitySource=["$request.header.Authorization"],
                                       JwtConfiguration={"Issuer": iss, "Audience": ["app"]})["AuthorizerId"]
    api.route("GET /secure", integ, AuthorizationType="JWT", AuthorizerId=auth,
              AuthorizationScopes=["orders/read"])
    api.route("GET /any-scope", integ, AuthorizationType="JWT", AuthorizerId=auth)
    api.stage("$default")
    now = int(time.time())
    claims = {"iss": iss, "aud": "app", "sub": "user-1", "exp": now + 300, "iat": now,
              "scope": "orders/read profile"}

    def get(path, token=None, raw=None):
        headers = {"Authorization": raw if raw is not None else f"Bearer {token}"} if (token or raw) else {}
        return api.call("GET", path, headers=headers)

    unauthorized = (401, {"message": "Unauthorized"})
    r = get("/secure")
    assert (r.status, r.json()) == unauthorized
    for bad in (make_token(key, {**claims, "exp": now - 60}),            # expired
                make_token(key, {**claims, "aud": "someone-else"}),       # wrong audience
                make_token(key, {**claims, "iss": iss + "/other"}),       # wrong issuer
                make_token(issuer["other"], claims),                      # signed by another key
                make_token(key, claims, alg="HS256"),                     # not an RSA signature
                make_token(key, {**claims, "nbf": now + 600}),            # not yet valid
                make_token(key, {**claims, "iat": now + 600}),            # issued in the future
                make_token(key, claims, kid="k9"),                        # kid not in the JWKS
                "not.a.jwt", "garbage"):
        r = get("/secure", bad)
        assert (r.status, r.json()) == unauthorized, bad
    tampered = make_token(key, claims).rsplit(".", 1)[0] + "." + b64url(b"\x00" * 256)
    assert (get("/secure", tampered).status) == 401
    # valid token without the route's scope
    r = get("/secure", make_token(key, {**claims, "scope": "profile"}))
    assert (r.status, r.json()) == (403, {"message": "Forbidden"})
    r = get("/secure", make_token(key, claims))
    assert r.status == 200, r
    jwt = r.json()["event"]["requestContext"]["authorizer"]["jwt"]
    assert jwt["claims"]["sub"] == "user-1" and jwt["claims"]["aud"] == "app"
    # every claim reaches the integration as a string
    assert (jwt["claims"]["exp"], jwt["claims"]["iat"]) == (str(claims["exp"]), str(claims["iat"]))
    assert jwt["scopes"] == ["orders/read", "profile"]
    # the bare token works too (no Bearer prefix), and a route without scopes needs none
    assert get("/any-scope", raw=make_token(key, {**claims, "scope": "x"})).status == 200
    # client_id is accepted in place of aud (Cognito access tokens)
    access = {k: v for k, v in claims.items() if k != "aud"} | {"client_id": "app"}
    assert get("/secure", make_token(key, access)).status == 200


# ---------------------------------------------------------------- CORS and throttling


def test_cors(new_api, backend):
    api = new_api(CorsConfiguration={
        "AllowOrigins": ["https://app.example"], "AllowMethods": ["GET", "POST"],
        "AllowHeaders": ["authorization", "content-type"], "ExposeHeaders": ["x-request-id"],
        "MaxAge": 300, "AllowCredentials": True})
    api.route("ANY /{proxy+}", api.http_integration(backend + "/echo"))
    api.stage("$default")
    r = api.call("OPTIONS", "/things", headers={"Origin": "https://app.example",
                                                "Access-Control-Request-Method": "POST",
                                                "Access-Control-Request-Headers": "content-type"})
    assert r.status == 204, r
    assert r.header("access-control-allow-origin") == "https://app.example"
    assert r.header("access-control-allow-methods") == "GET,POST"
    assert r.header("access-control-allow-headers") == "authorization,content-type"
    assert r.header("access-control-max-age") == "300"
    assert r.header("access-control-allow-credentials") == "true"
    assert r.body == b""
    # a simple request gets the CORS headers on the integration's answer
    r = api.call("GET", "/things", headers={"Origin": "https://app.example"})
    assert r.status == 200 and r.header("X-Backend") == "yes"
    assert r.header("access-control-allow-origin") == "https://app.example"
    assert r.header("access-control-expose-headers") == "x-request-id"
    assert r.header("access-control-allow-credentials") == "true"
    # another origin gets no CORS headers
    r = api.call("GET", "/things", headers={"Origin": "https://evil.example"})
    assert r.status == 200 and r.header("access-control-allow-origin") is None
    r = api.call("OPTIONS", "/things", headers={"Origin": "https://evil.example",
                                                "Access-Control-Request-Method": "POST"})
    assert r.header("access-control-allow-origin") is None


def test_route_throttling(new_api, backend):
    api = new_api()
    integ = api.http_integration(backend + "/echo")
    api.route("GET /limited", integ)
    api.route("GET /free", integ)
    api.apigw.create_stage(ApiId=api.id, StageName="$default", AutoDeploy=True,
                           RouteSettings={"GET /limited": {"ThrottlingBurstLimit": 1,
                                                           "ThrottlingRateLimit": 0.01}})
    assert api.call("GET", "/limited").status == 200
    r = api.call("GET", "/limited")
    assert (r.status, r.json()) == (429, {"message": "Too Many Requests"})
    assert [api.call("GET", "/free").status for _ in range(3)] == [200, 200, 200]


def test_greedy_route_needs_a_segment_and_manual_deployments(new_api, backend):
    api = new_api()
    integ = api.http_integration(backend + "/echo")
    api.route("ANY /{proxy+}", integ)
    api.apigw.create_stage(ApiId=api.id, StageName="$default")  # no AutoDeploy
    # a stage without a deployment serves nothing
    r = api.call("GET", "/x")
    assert (r.status, r.json()) == (404, NOT_FOUND)
    api.apigw.create_deployment(ApiId=api.id, StageName="$default")
    assert api.call("GET", "/x").status == 200
    # {proxy+} needs at least one segment: the root is not matched
    r = api.call("GET", "/")
    assert (r.status, r.json()) == (404, NOT_FOUND)
    # a new route is served only after the next deployment
    api.route("GET /", integ)
    assert api.call("GET", "/").status == 404
    api.apigw.create_deployment(ApiId=api.id, StageName="$default")
    assert api.call("GET", "/").status == 200


def test_stage_variables_in_integration_uris(new_api, functions, backend):
    api = new_api()
    fn_base, name = functions["v2"].rsplit(":", 1)
    api.route("GET /fn", api.lambda_integration(fn_base + ":${stageVariables.fn}"))
    api.route("GET /be", api.http_integration(backend + "/${stageVariables.prefix}/be"))
    api.stage("$default", StageVariables={"fn": name, "prefix": "live"})
    r = api.call("GET", "/fn")
    assert r.status == 200, r
    assert r.json()["event"]["stageVariables"] == {"fn": name, "prefix": "live"}
    r = api.call("GET", "/be")
    assert r.status == 200 and r.json()["path"] == "/live/be"


def test_route_selection_guide_example(new_api, backend):
    """The routing example of the HTTP API developer guide ("Routing API requests")."""
    api = new_api()
    keys = ("GET /pets/dog/1", "GET /pets/dog/{id}", "GET /pets/{proxy+}", "ANY /{proxy+}", "$default")
    for i, key in enumerate(keys):
        api.route(key, api.http_integration(f"{backend}/route/{i}"))
    api.stage("$default")
    for method, path, want in (("GET", "/pets/dog/1", "GET /pets/dog/1"),
                               ("GET", "/pets/dog/2", "GET /pets/dog/{id}"),
                               ("GET", "/pets/cat/1", "GET /pets/{proxy+}"),
                               ("POST", "/test/5", "ANY /{proxy+}"),
                               ("GET", "/", "$default")):
        r = api.call(method, path)
        assert r.status == 200, (method, path, r)
        assert keys[int(r.json()["path"].split("/")[2])] == want, (method, path)
