"""`--auth verify`: SigV4 signatures are checked against the root key and STS credentials."""
import pytest
from botocore.exceptions import ClientError

from conftest import make_client, run_aws

ROOT_KEY = {"aws_access_key_id": "test", "aws_secret_access_key": "test"}


@pytest.fixture
def verifying(lamina_server):
    return lamina_server(extra_args=["--auth", "verify"])


def test_root_key_is_accepted(verifying):
    sts = make_client("sts", verifying.url, **ROOT_KEY)
    assert sts.get_caller_identity()["Arn"] == "arn:aws:iam::000000000000:root"
    ssm = make_client("ssm", verifying.url, **ROOT_KEY)
    ssm.put_parameter(Name="/auth/ok", Value="v", Type="String")
    assert ssm.get_parameter(Name="/auth/ok")["Parameter"]["Value"] == "v"


def test_wrong_secret_is_rejected_and_changes_nothing(verifying):
    bad = make_client("ssm", verifying.url, aws_access_key_id="test", aws_secret_access_key="wrong")
    with pytest.raises(ClientError) as e:
        bad.put_parameter(Name="/auth/bad", Value="v", Type="String")
    err = e.value.response
    assert err["ResponseMetadata"]["HTTPStatusCode"] in (400, 403)
    assert err["Error"]["Code"] in ("InvalidSignatureException", "SignatureDoesNotMatch")
    good = make_client("ssm", verifying.url, **ROOT_KEY)
    with pytest.raises(good.exceptions.ParameterNotFound):
        good.get_parameter(Name="/auth/bad")


def test_unknown_key_is_rejected(verifying):
    sts = make_client("sts", verifying.url, aws_access_key_id="AKIANOBODY", aws_secret_access_key="x")
    with pytest.raises(ClientError) as e:
        sts.get_caller_identity()
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_assumed_role_credentials_verify(verifying):
    sts = make_client("sts", verifying.url, **ROOT_KEY)
    creds = sts.assume_role(RoleArn="arn:aws:iam::000000000000:role/app", RoleSessionName="s1")["Credentials"]
    as_role = make_client("sts", verifying.url, aws_access_key_id=creds["AccessKeyId"],
                          aws_secret_access_key=creds["SecretAccessKey"], aws_session_token=creds["SessionToken"])
    assert as_role.get_caller_identity()["Arn"] == "arn:aws:sts::000000000000:assumed-role/app/s1"


def test_cli_with_root_key(verifying):
    out = run_aws(verifying.url, "sts", "get-caller-identity",
                  env={"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"})[1]
    assert out["Account"] == "000000000000"


def test_accept_mode_takes_any_key(endpoint):
    sts = make_client("sts", endpoint, aws_access_key_id="ANYTHING", aws_secret_access_key="whatever")
    assert sts.get_caller_identity()["Account"] == "000000000000"
