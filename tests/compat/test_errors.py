"""Bad requests as raw HTTP: what a user of AWS would see for malformed input, missing
members, unknown operations, unimplemented operations and unknown services.

Requests are signed with botocore's SigV4Auth so the gateway finds the service the same
way it does for SDK traffic (credential scope, X-Amz-Target, query Action).
"""
import json
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from conftest import CREDS, REGION

JSON_11 = "application/x-amz-json-1.1"
FORM = "application/x-www-form-urlencoded; charset=utf-8"


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def header(self, name):
        return self.headers.get(name)

    def json(self):
        return json.loads(self.body)

    def xml(self):
        return ET.fromstring(self.body)


def send(endpoint, service, body, headers, method="POST", path="/"):
    body = body.encode() if isinstance(body, str) else body
    req = AWSRequest(method=method, url=endpoint + path, data=body, headers=headers)
    creds = Credentials(CREDS["AWS_ACCESS_KEY_ID"], CREDS["AWS_SECRET_ACCESS_KEY"])
    SigV4Auth(creds, service, REGION).add_auth(req)
    prepared = req.prepare()
    raw = urllib.request.Request(prepared.url, data=body, headers=dict(prepared.headers.items()), method=method)
    try:
        with urllib.request.urlopen(raw, timeout=30) as r:
            return Response(r.status, r.headers, r.read())
    except urllib.error.HTTPError as e:
        return Response(e.code, e.headers, e.read())


def ssm(endpoint, target, body):
    return send(endpoint, "ssm", body, {"Content-Type": JSON_11, "X-Amz-Target": f"AmazonSSM.{target}"})


def sts(endpoint, form):
    return send(endpoint, "sts", form, {"Content-Type": FORM})


def json_error(resp):
    """(code, message) of a JSON-protocol error the way botocore reads it."""
    doc = resp.json()
    code = doc.get("__type") or resp.header("x-amzn-ErrorType") or ""
    code = code.split("#")[-1].split(":")[0]
    return code, doc.get("message", doc.get("Message"))


def query_error(resp):
    """(code, message, request id) of a query-protocol <ErrorResponse>."""
    root = resp.xml()
    ns = root.tag[: root.tag.index("}") + 1] if root.tag.startswith("{") else ""
    assert root.tag == f"{ns}ErrorResponse", resp.body
    err = root.find(f"{ns}Error")
    assert err is not None, resp.body
    return err.findtext(f"{ns}Code"), err.findtext(f"{ns}Message"), root.findtext(f"{ns}RequestId")


def assert_request_id(resp):
    rid = resp.header("x-amzn-RequestId")
    assert rid, f"no x-amzn-RequestId header in {dict(resp.headers)}"
    return rid


def test_json_malformed_body_is_serialization_exception(endpoint):
    resp = ssm(endpoint, "GetParameter", "{not json")
    assert resp.status == 400, resp.body
    assert json_error(resp)[0] == "SerializationException", resp.body
    assert_request_id(resp)


def test_json_missing_required_member_is_validation_exception(endpoint):
    resp = ssm(endpoint, "GetParameter", "{}")
    assert resp.status == 400, resp.body
    code, message = json_error(resp)
    assert code == "ValidationException", resp.body
    assert message == ("1 validation error detected: Value null at 'name' failed to satisfy constraint: "
                       "Member must not be null")
    assert_request_id(resp)


def test_json_unknown_target_is_unknown_operation(endpoint):
    resp = ssm(endpoint, "NoSuchOperation", "{}")
    assert resp.status == 400, resp.body
    assert json_error(resp)[0] == "UnknownOperationException", resp.body
    assert_request_id(resp)


def test_json_operation_lamina_does_not_implement_is_501_naming_it(endpoint):
    body = json.dumps({"Name": "compat-doc", "Content": json.dumps({"schemaVersion": "2.2", "mainSteps": []})})
    resp = ssm(endpoint, "CreateDocument", body)
    assert resp.status == 501, resp.body
    code, message = json_error(resp)
    assert code, resp.body
    assert "CreateDocument" in (message or ""), resp.body
    assert_request_id(resp)


def test_query_unknown_action_is_invalid_action(endpoint):
    resp = sts(endpoint, "Action=NoSuchAction&Version=2011-06-15")
    assert resp.status == 400, resp.body
    code, _, body_rid = query_error(resp)
    assert code == "InvalidAction"
    assert body_rid == assert_request_id(resp)


def test_query_missing_role_arn_is_validation_error(endpoint):
    resp = sts(endpoint, "Action=AssumeRole&Version=2011-06-15&RoleSessionName=s1")
    assert resp.status == 400, resp.body
    code, message, body_rid = query_error(resp)
    assert code == "ValidationError"
    assert message == ("1 validation error detected: Value null at 'roleArn' failed to satisfy constraint: "
                       "Member must not be null")
    assert body_rid == assert_request_id(resp)


def test_query_success_carries_request_id(endpoint):
    resp = sts(endpoint, "Action=GetCallerIdentity&Version=2011-06-15")
    assert resp.status == 200, resp.body
    root = resp.xml()
    assert root.tag.endswith("GetCallerIdentityResponse"), resp.body
    ns = root.tag[: root.tag.index("}") + 1] if root.tag.startswith("{") else ""
    assert root.findtext(f"{ns}ResponseMetadata/{ns}RequestId") == assert_request_id(resp)


@pytest.mark.parametrize("content_type", [JSON_11, FORM])
def test_unknown_service_is_a_well_formed_error_naming_it(endpoint, content_type):
    body = "{}" if content_type == JSON_11 else "Action=DoThing&Version=2020-01-01"
    resp = send(endpoint, "nosuchsvc", body, {"Content-Type": content_type})
    assert 400 <= resp.status < 500, (resp.status, resp.body)
    assert_request_id(resp)
    text = resp.body.decode()
    assert "nosuchsvc" in text, text
    # Well formed: a JSON error document or an XML error document, not free text.
    try:
        doc = resp.json()
        assert doc.get("__type") or resp.header("x-amzn-ErrorType"), text
    except ValueError:
        root = resp.xml()
        assert root.tag.split("}")[-1] in ("ErrorResponse", "Error"), text
