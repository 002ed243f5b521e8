"""HTTP APIs (apigatewayv2): the control plane with boto3 and the data plane with plain HTTP
(urllib with a Host header `<api-id>.execute-api.localhost`), asserting what a client of AWS
would see. Written from the API Gateway developer guide (HTTP APIs), independent of Lamina's
code.

Integrations: HTTP_PROXY to a small http.server on loopback started by the test (routing,
$default, CORS, throttling, 404), and a real Python Lambda function (zip built here) for the
payload format 2.0 / 1.0 events. JWT authorizers use a JWKS served on loopback and tokens
signed with an RSA key generated here (needs the `cryptography` package; skipped without it).
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


@pytest.fixture
def apigw(client):
    return client("apigatewayv2")


def call(endpoint, api_id, method, path, headers=None, body=None):
    """One invoke-URL request; returns (status, headers dict lowercased, body bytes)."""
    port = urllib.parse.urlparse(endpoint).port or 80
    req = urllib.request.Request(endpoint + path, data=body.encode() if isinstance(body, str) else body,
                                 method=method)
    req.add_header("Host", f"{api_id}.execute-api.localhost:{port}")
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, {k.lower(): v for k, v in r.headers.items()}, r.read()
    except urllib.error.HTTPError as e:
        return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read()


class Echo(BaseHTTPRequestHandler):
    """Answers every request with its method, path and body as JSON."""

    def _answer(self):
        n = int(self.headers.get("content-length") or 0)
        body = json.dumps({"method": self.command, "path": self.path,
                           "body": self.rfile.read(n).decode()}).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _answer

    def log_message(self, *a):
        pass


@pytest.fixture(scope="module")
def backend():
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()


def http_api(apigw, backend, route_keys=("ANY /{proxy+}",), **api_kw):
    api = apigw.create_api(Name=f"t-{uuid.uuid4().hex[:6]}", ProtocolType="HTTP", **api_kw)
    integ = apigw.create_integration(ApiId=api["ApiId"], IntegrationType="HTTP_PROXY",
                                     IntegrationMethod="ANY", IntegrationUri=backend + "/echo",
                                     PayloadFormatVersion="1.0")
    for key in route_keys:
        apigw.create_route(ApiId=api["ApiId"], RouteKey=key,
                           Target=f"integrations/{integ['IntegrationId']}")
    return api


def test_api_lifecycle(apigw, endpoint):
    api = apigw.create_api(Name="lifecycle", ProtocolType="HTTP", Description="d",
                           CorsConfiguration={"AllowOrigins": ["*"]}, Tags={"team": "a"})
    api_id = api["ApiId"]
    assert len(api_id) == 10
    assert api["ApiEndpoint"].startswith(f"http://{api_id}.execute-api.localhost:")
    assert api["RouteSelectionExpression"] == "$request.method $request.path"
    assert api["ProtocolType"] == "HTTP"
    got = apigw.get_api(ApiId=api_id)
    assert got["Name"] == "lifecycle" and got["Tags"] == {"team": "a"}
    assert got["CorsConfiguration"]["AllowOrigins"] == ["*"]
    assert apigw.update_api(ApiId=api_id, Name="renamed")["Name"] == "renamed"
    apigw.delete_api(ApiId=api_id)
    with pytest.raises(ClientError) as e:
        apigw.get_api(ApiId=api_id)
    assert e.value.response["Error"]["Code"] == "NotFoundException"
    assert e.value.response["Error"]["Message"] == f"Invalid API identifier specified {api_id}"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_get_apis_pages(apigw):
    ids = {apigw.create_api(Name=f"page-{i}", ProtocolType="HTTP")["ApiId"] for i in range(5)}
    seen, token = set(), None
    while True:
        kw = {"MaxResults": "2"} | ({"NextToken": token} if token else {})
        page = apigw.get_apis(**kw)
        assert len(page["Items"]) <= 2
        seen |= {a["ApiId"] for a in page["Items"]}
        token = page.get("NextToken")
        if not token:
            break
    assert ids <= seen


def test_routes_integrations_stages_errors(apigw, backend):
    api = http_api(apigw, backend, route_keys=("GET /items/{id}",))
    api_id = api["ApiId"]
    with pytest.raises(ClientError) as e:
        apigw.create_route(ApiId=api_id, RouteKey="GET /items/{id}")
    assert e.value.response["Error"]["Code"] == "ConflictException"
    with pytest.raises(ClientError) as e:
        apigw.create_route(ApiId=api_id, RouteKey="FETCH /items")
    assert e.value.response["Error"]["Code"] == "BadRequestException"
    with pytest.raises(ClientError) as e:
        apigw.create_api(Name="ws", ProtocolType="WEBSOCKET", RouteSelectionExpression="$request.body.action")
    assert e.value.response["Error"]["Code"] == "BadRequestException"
    integ = apigw.create_integration(ApiId=api_id, IntegrationType="AWS_PROXY",
                                     IntegrationUri="arn:aws:lambda:us-east-1:000000000000:function:f")
    assert integ["PayloadFormatVersion"] == "2.0"
    stage = apigw.create_stage(ApiId=api_id, StageName="prod", StageVariables={"color": "blue"})
    assert stage["StageName"] == "prod" and stage["StageVariables"] == {"color": "blue"}
    with pytest.raises(ClientError) as e:
        apigw.create_stage(ApiId=api_id, StageName="prod")
    assert e.value.response["Error"]["Code"] == "ConflictException"
    dep = apigw.create_deployment(ApiId=api_id, StageName="prod")
    assert dep["DeploymentStatus"] == "DEPLOYED"
    assert apigw.get_stage(ApiId=api_id, StageName="prod")["DeploymentId"] == dep["DeploymentId"]
    assert len(apigw.get_routes(ApiId=api_id)["Items"]) == 1
    arn = f"arn:aws:apigateway:us-east-1::/apis/{api_id}"
    apigw.tag_resource(ResourceArn=arn, Tags={"k": "v"})
    assert apigw.get_tags(ResourceArn=arn)["Tags"] == {"k": "v"}


def test_routing_stages_and_404(apigw, endpoint, backend):
    api = http_api(apigw, backend, route_keys=("GET /pets", "GET /pets/{id}", "ANY /{proxy+}"))
    api_id = api["ApiId"]
    apigw.create_stage(ApiId=api_id, StageName="dev", AutoDeploy=True)
    status, _, body = call(endpoint, api_id, "GET", "/dev/pets/7?x=1")
    assert status == 200
    assert json.loads(body)["path"] == "/echo?x=1"
    assert call(endpoint, api_id, "DELETE", "/dev/anything/else")[0] == 200
    # no $default stage: an unknown first segment is not found
    status, headers, body = call(endpoint, api_id, "GET", "/nostage/pets")
    assert (status, json.loads(body)) == (404, {"message": "Not Found"})
    assert headers.get("apigw-requestid")

    only = http_api(apigw, backend, route_keys=("GET /only",))
    apigw.create_stage(ApiId=only["ApiId"], StageName="$default", AutoDeploy=True)
    assert call(endpoint, only["ApiId"], "GET", "/only")[0] == 200
    status, _, body = call(endpoint, only["ApiId"], "POST", "/only")
    assert (status, json.loads(body)) == (404, {"message": "Not Found"})


def test_cors_preflight_and_headers(apigw, endpoint, backend):
    api = http_api(apigw, backend, CorsConfiguration={
        "AllowOrigins": ["https://app.example"], "AllowMethods": ["GET", "POST"],
        "AllowHeaders": ["authorization"], "MaxAge": 600})
    apigw.create_stage(ApiId=api["ApiId"], StageName="$default", AutoDeploy=True)
    status, h, _ = call(endpoint, api["ApiId"], "OPTIONS", "/x", {
        "Origin": "https://app.example", "Access-Control-Request-Method": "POST"})
    assert status == 204
    assert h["access-control-allow-origin"] == "https://app.example"
    assert h["access-control-allow-methods"] == "GET,POST"
    assert h["access-control-max-age"] == "600"
    status, h, _ = call(endpoint, api["ApiId"], "GET", "/x", {"Origin": "https://app.example"})
    assert status == 200 and h["access-control-allow-origin"] == "https://app.example"
    _, h, _ = call(endpoint, api["ApiId"], "GET", "/x", {"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in h


def test_throttling_429(apigw, endpoint, backend):
    api = http_api(apigw, backend)
    apigw.create_stage(ApiId=api["ApiId"], StageName="$default", AutoDeploy=True,
                       DefaultRouteSettings={"ThrottlingBurstLimit": 2, "ThrottlingRateLimit": 0.01})
    codes = [call(endpoint, api["ApiId"], "GET", "/t")[0] for _ in range(4)]
    assert codes[:2] == [200, 200]
    status, _, body = call(endpoint, api["ApiId"], "GET", "/t")
    assert (status, json.loads(body)) == (429, {"message": "Too Many Requests"})


FUNCTION = '''
import json
def handler(event, context):
    if event.get("version") == "1.0":
        return {"statusCode": 200, "headers": {"x-format": "1.0"}, "body": json.dumps(event)}
    return event
'''


@pytest.fixture(scope="module")
def echo_function(endpoint):
    from conftest import make_client
    lam = make_client("lambda", endpoint)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("handler.py", FUNCTION)
    name = f"apigw-echo-{uuid.uuid4().hex[:6]}"
    try:
        fn = lam.create_function(FunctionName=name, Runtime=host_python_runtime(), Role=ROLE,
                                 Handler="handler.handler", Code={"ZipFile": buf.getvalue()})
    except ClientError as e:
        pytest.skip(f"Lambda cannot create functions here: {e}")
    for _ in range(100):
        if lam.get_function(FunctionName=name)["Configuration"].get("State", "Active") == "Active":
            break
        time.sleep(0.1)
    return fn["FunctionArn"]


def test_lambda_payload_2_0(apigw, endpoint, echo_function):
    api = apigw.create_api(Name="quick", ProtocolType="HTTP", Target=echo_function)
    status, h, body = call(endpoint, api["ApiId"], "POST", "/hello/world?a=1&a=2",
                           {"Content-Type": "application/json", "Cookie": "c1=v1; c2=v2"}, '{"k":1}')
    assert status == 200, body
    assert h["content-type"] == "application/json"
    ev = json.loads(body)
    assert ev["version"] == "2.0" and ev["routeKey"] == "$default"
    assert ev["rawPath"] == "/hello/world" and ev["rawQueryString"] == "a=1&a=2"
    assert ev["queryStringParameters"] == {"a": "1,2"}
    assert ev["cookies"] == ["c1=v1", "c2=v2"]
    assert ev["body"] == '{"k":1}' and ev["isBase64Encoded"] is False
    rc = ev["requestContext"]
    assert rc["apiId"] == api["ApiId"] and rc["stage"] == "$default"
    assert rc["http"]["method"] == "POST" and rc["http"]["path"] == "/hello/world"
    assert isinstance(rc["timeEpoch"], int)


def test_lambda_payload_1_0(apigw, endpoint, echo_function):
    api = apigw.create_api(Name="v1fmt", ProtocolType="HTTP")
    integ = apigw.create_integration(ApiId=api["ApiId"], IntegrationType="AWS_PROXY",
                                     IntegrationUri=echo_function, PayloadFormatVersion="1.0")
    apigw.create_route(ApiId=api["ApiId"], RouteKey="GET /items/{id}",
                       Target=f"integrations/{integ['IntegrationId']}")
    apigw.create_stage(ApiId=api["ApiId"], StageName="v1", AutoDeploy=True)
    status, h, body = call(endpoint, api["ApiId"], "GET", "/v1/items/42")
    assert status == 200 and h["x-format"] == "1.0"
    ev = json.loads(body)
    assert ev["version"] == "1.0" and ev["httpMethod"] == "GET"
    assert ev["resource"] == "/items/{id}" and ev["pathParameters"] == {"id": "42"}
    assert ev["requestContext"]["stage"] == "v1"


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def test_jwt_authorizer(apigw, endpoint, backend):
    rsa = pytest.importorskip("cryptography.hazmat.primitives.asymmetric.rsa",
                              reason="JWT compat test needs the `cryptography` package")
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    nums = key.public_key().public_numbers()
    jwks = {"keys": [{"kty": "RSA", "kid": "k1", "alg": "RS256", "use": "sig",
                      "n": b64url(nums.n.to_bytes((nums.n.bit_length() + 7) // 8, "big")),
                      "e": b64url(nums.e.to_bytes(3, "big"))}]}

    class Issuer(BaseHTTPRequestHandler):
        def do_GET(self):
            base = f"http://127.0.0.1:{self.server.server_address[1]}"
            doc = {"issuer": base, "jwks_uri": base + "/jwks"} if "openid" in self.path else jwks
            b = json.dumps(doc).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(b)))
            self.end_headers()
            self.wfile.write(b)

        def log_message(self, *a):
            pass

    srv = ThreadingHTTPServer(("127.0.0.1", 0), Issuer)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    iss = f"http://127.0.0.1:{srv.server_address[1]}"

    def token(claims):
        head = b64url(json.dumps({"alg": "RS256", "kid": "k1", "typ": "JWT"}).encode())
        body = b64url(json.dumps(claims).encode())
        sig = key.sign(f"{head}.{body}".encode(), padding.PKCS1v15(), hashes.SHA256())
        return f"{head}.{body}.{b64url(sig)}"

    try:
        api = http_api(apigw, backend, route_keys=())
        integ = apigw.get_integrations(ApiId=api["ApiId"])["Items"][0]
        auth = apigw.create_authorizer(ApiId=api["ApiId"], Name="jwt", AuthorizerType="JWT",
                                       IdentitySource=["$request.header.Authorization"],
                                       JwtConfiguration={"Issuer": iss, "Audience": ["app"]})
        apigw.create_route(ApiId=api["ApiId"], RouteKey="GET /secure", AuthorizationType="JWT",
                           AuthorizerId=auth["AuthorizerId"], AuthorizationScopes=["read"],
                           Target=f"integrations/{integ['IntegrationId']}")
        apigw.create_stage(ApiId=api["ApiId"], StageName="$default", AutoDeploy=True)
        now = int(time.time())
        good = token({"iss": iss, "aud": "app", "sub": "u1", "exp": now + 300, "scope": "read"})
        status, _, body = call(endpoint, api["ApiId"], "GET", "/secure")
        assert (status, json.loads(body)) == (401, {"message": "Unauthorized"})
        expired = token({"iss": iss, "aud": "app", "exp": now - 10, "scope": "read"})
        assert call(endpoint, api["ApiId"], "GET", "/secure", {"Authorization": f"Bearer {expired}"})[0] == 401
        noscope = token({"iss": iss, "aud": "app", "exp": now + 300})
        status, _, body = call(endpoint, api["ApiId"], "GET", "/secure", {"Authorization": f"Bearer {noscope}"})
        assert (status, json.loads(body)) == (403, {"message": "Forbidden"})
        status, _, _ = call(endpoint, api["ApiId"], "GET", "/secure", {"Authorization": f"Bearer {good}"})
        assert status == 200
    finally:
        srv.shutdown()
