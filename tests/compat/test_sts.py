"""STS with real clients: boto3 and the AWS CLI against a running Lamina.

What a user sees: who they are (root for any key Lamina did not issue), AssumeRole
credentials that work for later calls and name the role session, and AWS's validation
errors for a bad RoleArn or DurationSeconds.
"""
import datetime
import json
import os
import re
import shutil
import subprocess

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import CREDS, REGION, aws_env, make_client

ROLE_ARN = "arn:aws:iam::123456789012:role/compat/deployer"
ASSUMED_ARN = "arn:aws:sts::123456789012:assumed-role/deployer/compat-session"


@pytest.fixture
def sts(client):
    return client("sts")


def assume(sts, **kw):
    args = {"RoleArn": ROLE_ARN, "RoleSessionName": "compat-session"}
    args.update(kw)
    return sts.assume_role(**args)


def session_client(endpoint, creds):
    return make_client(
        "sts",
        endpoint,
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )


def aws_cli(*args, env):
    """Runs the AWS CLI with exactly `env`; returns (returncode, parsed stdout, stderr)."""
    exe = shutil.which("aws", path=os.path.dirname(os.path.realpath(os.sys.executable)) + os.pathsep + os.environ.get("PATH", ""))
    if not exe:
        pytest.skip("the AWS CLI is not installed (pip install -r tests/compat/requirements.txt)")
    proc = subprocess.run([exe, *args, "--output", "json"], capture_output=True, text=True, env=env, timeout=60)
    out = json.loads(proc.stdout) if proc.stdout.strip() else None
    return proc.returncode, out, proc.stderr


def cli_env(endpoint, use_env_endpoint, extra=None):
    env = aws_env(endpoint, extra)
    if not use_env_endpoint:
        env.pop("AWS_ENDPOINT_URL", None)
    return env


def test_get_caller_identity_as_root(sts):
    me = sts.get_caller_identity()
    account = me["Account"]
    assert re.fullmatch(r"\d{12}", account), me
    assert me["Arn"] == f"arn:aws:iam::{account}:root"
    assert me["UserId"] == account
    assert me["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert me["ResponseMetadata"]["RequestId"]


def test_assume_role_then_caller_identity_is_the_role_session(sts, endpoint):
    before = datetime.datetime.now(datetime.timezone.utc)
    out = assume(sts, DurationSeconds=900)
    creds = out["Credentials"]
    assert re.fullmatch(r"ASIA[A-Z0-9]{16}", creds["AccessKeyId"]), creds["AccessKeyId"]
    assert len(creds["SecretAccessKey"]) == 40
    assert len(creds["SessionToken"]) > 100
    # botocore parses Expiration into an aware datetime: about 15 minutes from now.
    lifetime = (creds["Expiration"] - before).total_seconds()
    assert 880 <= lifetime <= 960, lifetime
    user = out["AssumedRoleUser"]
    assert user["Arn"] == ASSUMED_ARN
    assert re.fullmatch(r"AROA[A-Z0-9]{17}:compat-session", user["AssumedRoleId"]), user

    me = session_client(endpoint, creds).get_caller_identity()
    assert me["Arn"] == ASSUMED_ARN
    assert me["Account"] == "123456789012"
    assert me["UserId"] == user["AssumedRoleId"]

    # The same role reports the same role id in a new session.
    again = assume(sts, RoleSessionName="second")
    assert again["AssumedRoleUser"]["AssumedRoleId"].split(":")[0] == user["AssumedRoleId"].split(":")[0]
    assert again["Credentials"]["AccessKeyId"] != creds["AccessKeyId"]


def test_assume_role_echoes_source_identity_and_sizes_policies(sts):
    policy = json.dumps({"Version": "2012-10-17",
                         "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]})
    out = assume(sts, Policy=policy, SourceIdentity="alice",
                 Tags=[{"Key": "team", "Value": "blue"}], TransitiveTagKeys=["team"])
    assert out["SourceIdentity"] == "alice"
    assert 1 <= out["PackedPolicySize"] <= 100


@pytest.mark.parametrize("arn", [
    "arn:aws:iam::123456789012:user/alice",
    "arn:aws:s3:::not-a-role-bucket",
    "this-is-not-an-arn-at-all",
])
def test_bad_role_arn_is_a_validation_error(sts, arn):
    with pytest.raises(ClientError) as e:
        assume(sts, RoleArn=arn)
    err = e.value.response
    assert err["Error"]["Code"] == "ValidationError"
    assert err["Error"]["Message"] == f"{arn} is invalid"
    assert err["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_duration_above_range_is_a_validation_error(sts):
    with pytest.raises(ClientError) as e:
        assume(sts, DurationSeconds=43201)
    err = e.value.response["Error"]
    assert err["Code"] == "ValidationError"
    assert err["Message"] == ("1 validation error detected: Value '43201' at 'durationSeconds' failed to satisfy "
                              "constraint: Member must have value less than or equal to 43200")


def test_duration_below_range_is_a_validation_error(endpoint):
    # botocore refuses values below the model minimum before sending; switch that off to see
    # what the service says.
    sts = boto3.client("sts", endpoint_url=endpoint, region_name=REGION,
                       aws_access_key_id=CREDS["AWS_ACCESS_KEY_ID"],
                       aws_secret_access_key=CREDS["AWS_SECRET_ACCESS_KEY"],
                       config=Config(parameter_validation=False, retries={"max_attempts": 1}))
    with pytest.raises(ClientError) as e:
        assume(sts, DurationSeconds=899)
    err = e.value.response["Error"]
    assert err["Code"] == "ValidationError"
    assert err["Message"] == ("1 validation error detected: Value '899' at 'durationSeconds' failed to satisfy "
                              "constraint: Member must have value greater than or equal to 900")


def test_get_session_token_and_access_key_info(sts, endpoint):
    account = sts.get_caller_identity()["Account"]
    out = sts.get_session_token(DurationSeconds=900)
    creds = out["Credentials"]
    assert creds["AccessKeyId"].startswith("ASIA")
    me = session_client(endpoint, creds).get_caller_identity()
    assert me["Arn"] == f"arn:aws:iam::{account}:root"

    assert sts.get_access_key_info(AccessKeyId=CREDS["AWS_ACCESS_KEY_ID"] + "XXXXXX")["Account"] == account
    role_creds = assume(sts)["Credentials"]
    assert sts.get_access_key_info(AccessKeyId=role_creds["AccessKeyId"])["Account"] == "123456789012"


@pytest.mark.parametrize("use_env_endpoint", [False, True], ids=["--endpoint-url", "AWS_ENDPOINT_URL"])
def test_cli_get_caller_identity(endpoint, use_env_endpoint):
    env = cli_env(endpoint, use_env_endpoint)
    args = ["sts", "get-caller-identity"] + ([] if use_env_endpoint else ["--endpoint-url", endpoint])
    code, out, err = aws_cli(*args, env=env)
    assert code == 0, err
    assert out["Arn"] == f"arn:aws:iam::{out['Account']}:root"
    assert out["UserId"] == out["Account"]


def test_cli_assume_role_then_get_caller_identity(endpoint):
    code, out, err = aws_cli("sts", "assume-role", "--endpoint-url", endpoint, "--role-arn", ROLE_ARN,
                             "--role-session-name", "compat-session", "--duration-seconds", "900",
                             env=cli_env(endpoint, False))
    assert code == 0, err
    assert out["AssumedRoleUser"]["Arn"] == ASSUMED_ARN
    creds = out["Credentials"]
    # The CLI prints Expiration as ISO 8601.
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|\+00:00)", creds["Expiration"]), creds

    env = cli_env(endpoint, True, {
        "AWS_ACCESS_KEY_ID": creds["AccessKeyId"],
        "AWS_SECRET_ACCESS_KEY": creds["SecretAccessKey"],
        "AWS_SESSION_TOKEN": creds["SessionToken"],
    })
    code, me, err = aws_cli("sts", "get-caller-identity", env=env)
    assert code == 0, err
    assert me["Arn"] == ASSUMED_ARN
    assert me["Account"] == "123456789012"


def test_cli_errors_name_the_problem(endpoint):
    env = cli_env(endpoint, True)
    code, _, err = aws_cli("sts", "assume-role", "--role-arn", "arn:aws:iam::123456789012:user/alice",
                           "--role-session-name", "s1", env=env)
    assert code != 0
    assert "(ValidationError)" in err and "arn:aws:iam::123456789012:user/alice is invalid" in err, err

    code, _, err = aws_cli("sts", "assume-role", "--role-arn", ROLE_ARN, "--role-session-name", "s1",
                           "--duration-seconds", "50000", env=env)
    assert code != 0
    assert "(ValidationError)" in err and "less than or equal to 43200" in err, err


def test_assumed_credentials_survive_a_restart(lamina_server, tmp_path):
    server = lamina_server(data_dir=tmp_path / "data")
    creds = assume(make_client("sts", server.url))["Credentials"]
    server.stop()
    restarted = lamina_server(data_dir=tmp_path / "data")
    assert session_client(restarted.url, creds).get_caller_identity()["Arn"] == ASSUMED_ARN

