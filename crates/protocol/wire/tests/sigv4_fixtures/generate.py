"""Generates requests.json: requests signed by real boto3 clients (the test oracle for
lamina_wire::sigv4::verify, see ../sigv4_clients.rs).

Each client call is captured at botocore's `before-send` event, after signing, and then
stopped, so nothing leaves the process. The clock is frozen so the fixtures
are reproducible.

    python3.11 -m venv /tmp/venv && /tmp/venv/bin/pip install boto3==1.44.8 botocore==1.44.8
    /tmp/venv/bin/python generate.py > requests.json
"""

import base64
import datetime
import json
import sys
from urllib.parse import urlsplit

import boto3
import botocore
import botocore.auth
from botocore.config import Config

FROZEN = datetime.datetime(2024, 1, 2, 3, 4, 5)
botocore.auth.get_current_datetime = lambda remove_tzinfo=True: FROZEN

AKID = "AKIDLAMINATEST000001"
SECRET = "lamina/secret+key/EXAMPLE0000000000000000"
TOKEN = "IQoJb3JpZ2luX2VjEPT//////////wEaCXVzLWVhc3QtMSJHMEUCIQD+token/with+plus=="

captured = []


class _Stop(Exception):
    """Ends a client call once its signed request has been captured."""


def _capture(request, **_):
    body = request.body
    if body is None:
        data = b""
    elif isinstance(body, (bytes, bytearray)):
        data = bytes(body)
    elif isinstance(body, str):
        data = body.encode()
    else:
        data = body.read()
    parts = urlsplit(request.url)
    captured.append(
        {
            "method": request.method,
            "path": parts.path,
            "query": parts.query,
            "headers": [[k, v if isinstance(v, str) else v.decode()] for k, v in request.headers.items()],
            "body_b64": base64.b64encode(data).decode(),
        }
    )
    raise _Stop()


def client(service, endpoint="http://localhost:4566", token=None, **config):
    c = boto3.client(
        service,
        region_name="us-east-1",
        endpoint_url=endpoint,
        aws_access_key_id=AKID,
        aws_secret_access_key=SECRET,
        aws_session_token=token,
        config=Config(retries={"max_attempts": 1}, **config),
    )
    c.meta.events.register("before-send", _capture)
    return c


def call(name, service, fn, **kwargs):
    before = len(captured)
    try:
        fn()
    except _Stop:
        pass
    assert len(captured) == before + 1, (name, len(captured) - before)
    fixture = captured[-1]
    fixture.update({"name": name, "service": service, "presigned": False}, **kwargs)
    return fixture


def presigned(name, service, url, method="GET"):
    parts = urlsplit(url)
    return {
        "name": name,
        "service": service,
        "presigned": True,
        "method": method,
        "path": parts.path,
        "query": parts.query,
        "headers": [["Host", parts.netloc]],
        "body_b64": "",
    }


def main():
    ssm = client("ssm")
    ddb = client("dynamodb")
    sts = client("sts")
    sns = client("sns")
    lam = client("lambda")
    apigw = client("apigateway")
    s3 = client("s3", s3={"addressing_style": "path"})
    s3_token = client("s3", token=TOKEN, s3={"addressing_style": "path"})
    s3_presign = client("s3", signature_version="s3v4", s3={"addressing_style": "path"})
    s3_presign_token = client("s3", token=TOKEN, signature_version="s3v4", s3={"addressing_style": "path"})
    s3_https = client("s3", endpoint="https://localhost:4566", s3={"addressing_style": "path"})
    fixtures = [
        call("ssm-get-parameter", "ssm", lambda: ssm.get_parameter(Name="/app/db password", WithDecryption=True)),
        call("dynamodb-put-item", "dynamodb", lambda: ddb.put_item(TableName="t", Item={"pk": {"S": "ünïcode  spaced"}})),
        call("sts-get-caller-identity", "sts", lambda: sts.get_caller_identity()),
        call("sns-publish-unicode", "sns", lambda: sns.publish(TopicArn="arn:aws:sns:us-east-1:123456789012:t", Message="héllo & good+bye = 100%")),
        call("lambda-invoke-arn-qualifier", "lambda", lambda: lam.invoke(FunctionName="arn:aws:lambda:us-east-1:123456789012:function:fn", Qualifier="$LATEST", Payload=b'{"k": "v"}')),
        call("lambda-list-functions-marker", "lambda", lambda: lam.list_functions(Marker="a b/c+d=e&f", MaxItems=5)),
        call("apigateway-get-resources", "apigateway", lambda: apigw.get_resources(restApiId="abc123", limit=10, embed=["methods"])),
        call("s3-put-object-odd-key", "s3", lambda: s3.put_object(Bucket="bkt", Key="dir//a b+c/ü~x.txt", Body=b"hello world")),
        call("s3-list-objects-prefix", "s3", lambda: s3.list_objects_v2(Bucket="bkt", Prefix="a b/ü&=", Delimiter="/")),
        call("s3-get-object-session-token", "s3", lambda: s3_token.get_object(Bucket="bkt", Key="k")),
        call("s3-put-object-https-streaming", "s3", lambda: s3_https.put_object(Bucket="bkt", Key="big", Body=b"x" * 1000)),
        presigned("s3-presigned-get", "s3", s3_presign.generate_presigned_url("get_object", Params={"Bucket": "bkt", "Key": "a b/ü.txt"}, ExpiresIn=900)),
        presigned("s3-presigned-put-token", "s3", s3_presign_token.generate_presigned_url("put_object", Params={"Bucket": "bkt", "Key": "k"}, ExpiresIn=3600), method="PUT"),
        # botocore signs a presigned query-protocol URL with the operation's method, POST.
        presigned("sts-presigned-get-caller-identity", "sts", sts.generate_presigned_url("get_caller_identity", ExpiresIn=60), method="POST"),
    ]
    out = {
        "generator": f"boto3 {boto3.__version__} / botocore {botocore.__version__}",
        "access_key_id": AKID,
        "secret_access_key": SECRET,
        "session_token": TOKEN,
        "signed_at": FROZEN.strftime("%Y%m%dT%H%M%SZ"),
        "requests": fixtures,
    }
    json.dump(out, sys.stdout, indent=1, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
