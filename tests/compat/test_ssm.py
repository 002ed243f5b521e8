"""SSM Parameter Store with real clients: boto3 and the AWS CLI against a running Lamina.

What a user does: put parameters of the three types, read them back (decrypted or not, by
version, by label, by path), page through listings, label and inspect history, describe with
filters, tag, delete; and what they see when they get it wrong.
"""
import uuid

import pytest
from botocore.exceptions import ClientError


@pytest.fixture
def ssm(client):
    return client("ssm")


@pytest.fixture
def prefix():
    """A unique path per test so tests never see each other's parameters."""
    return f"/compat/{uuid.uuid4().hex[:12]}"


def error_of(excinfo):
    err = excinfo.value.response["Error"]
    return err["Code"], err.get("Message", "")


def test_put_get_three_types(ssm, prefix):
    r = ssm.put_parameter(Name=f"{prefix}/s", Value="hello", Type="String", Description="greeting")
    assert (r["Version"], r["Tier"]) == (1, "Standard")
    ssm.put_parameter(Name=f"{prefix}/l", Value="a,b,c", Type="StringList")
    ssm.put_parameter(Name=f"{prefix}/x", Value="s3cret", Type="SecureString")

    p = ssm.get_parameter(Name=f"{prefix}/s")["Parameter"]
    assert p["Value"] == "hello" and p["Type"] == "String" and p["Version"] == 1
    assert p["ARN"].startswith("arn:aws:ssm:us-east-1:") and p["ARN"].endswith(f":parameter{prefix}/s")
    assert p["DataType"] == "text"
    assert p["LastModifiedDate"].year >= 2024
    assert ssm.get_parameter(Name=f"{prefix}/l")["Parameter"]["Value"] == "a,b,c"

    hidden = ssm.get_parameter(Name=f"{prefix}/x")["Parameter"]
    assert hidden["Type"] == "SecureString" and hidden["Value"] != "s3cret"
    shown = ssm.get_parameter(Name=f"{prefix}/x", WithDecryption=True)["Parameter"]
    assert shown["Value"] == "s3cret"

    by_arn = ssm.get_parameter(Name=p["ARN"])["Parameter"]
    assert by_arn["Value"] == "hello"


def test_overwrite_versions_and_selectors(ssm, prefix):
    name = f"{prefix}/v"
    ssm.put_parameter(Name=name, Value="one", Type="String")
    with pytest.raises(ClientError) as e:
        ssm.put_parameter(Name=name, Value="two", Type="String")
    assert error_of(e) == (
        "ParameterAlreadyExists",
        "The parameter already exists. To overwrite this value, set the overwrite option in the request to true.",
    )
    assert ssm.put_parameter(Name=name, Value="two", Overwrite=True)["Version"] == 2
    assert ssm.get_parameter(Name=f"{name}:1")["Parameter"]["Value"] == "one"
    assert ssm.get_parameter(Name=f"{name}:1")["Parameter"]["Selector"] == ":1"
    with pytest.raises(ClientError) as e:
        ssm.get_parameter(Name=f"{name}:9")
    assert error_of(e)[0] == "ParameterVersionNotFound"


def test_get_parameters_reports_invalid(ssm, prefix):
    ssm.put_parameter(Name=f"{prefix}/a", Value="1", Type="String")
    r = ssm.get_parameters(Names=[f"{prefix}/a", f"{prefix}/missing"])
    assert [p["Name"] for p in r["Parameters"]] == [f"{prefix}/a"]
    assert r["InvalidParameters"] == [f"{prefix}/missing"]


def test_by_path_recursive_and_paginator(ssm, prefix):
    for i in range(12):
        ssm.put_parameter(Name=f"{prefix}/app/k{i:02d}", Value=str(i), Type="String")
    ssm.put_parameter(Name=f"{prefix}/app/deep/x", Value="d", Type="SecureString")

    one_level = ssm.get_parameters_by_path(Path=f"{prefix}/app")
    assert len(one_level["Parameters"]) == 10 and "NextToken" in one_level

    pages = ssm.get_paginator("get_parameters_by_path").paginate(
        Path=f"{prefix}/app", Recursive=True, WithDecryption=True, PaginationConfig={"PageSize": 5}
    )
    names = [p["Name"] for page in pages for p in page["Parameters"]]
    assert len(names) == 13 and len(set(names)) == 13
    assert f"{prefix}/app/deep/x" in names
    all_params = [p for page in ssm.get_paginator("get_parameters_by_path").paginate(
        Path=f"{prefix}/app", Recursive=True, WithDecryption=True) for p in page["Parameters"]]
    assert {p["Name"]: p["Value"] for p in all_params}[f"{prefix}/app/deep/x"] == "d"

    with pytest.raises(ClientError) as e:
        ssm.get_parameters_by_path(Path="no-slash")
    assert error_of(e)[0] == "ValidationException"


def test_labels_and_history(ssm, prefix):
    name = f"{prefix}/lab"
    for v in ("a", "b", "c"):
        ssm.put_parameter(Name=name, Value=v, Type="String", Overwrite=True)
    r = ssm.label_parameter_version(Name=name, ParameterVersion=2, Labels=["prod", "9bad"])
    assert r["InvalidLabels"] == ["9bad"] and r["ParameterVersion"] == 2
    assert ssm.get_parameter(Name=f"{name}:prod")["Parameter"]["Value"] == "b"
    ssm.label_parameter_version(Name=name, Labels=["prod"])  # moves to the latest (3)
    assert ssm.get_parameter(Name=f"{name}:prod")["Parameter"]["Value"] == "c"

    history = ssm.get_parameter_history(Name=name)["Parameters"]
    assert [h["Version"] for h in history] == [1, 2, 3]
    assert [h["Labels"] for h in history] == [[], [], ["prod"]]
    assert history[0]["LastModifiedUser"].startswith("arn:aws:iam::")

    r = ssm.unlabel_parameter_version(Name=name, ParameterVersion=3, Labels=["prod", "nope"])
    assert r["RemovedLabels"] == ["prod"] and r["InvalidLabels"] == ["nope"]


def test_describe_with_filters(ssm, prefix):
    ssm.put_parameter(Name=f"{prefix}/d/a", Value="1", Type="String", Tags=[{"Key": "team", "Value": "blue"}])
    ssm.put_parameter(Name=f"{prefix}/d/b", Value="2", Type="SecureString", KeyId="alias/custom")
    ssm.put_parameter(Name=f"{prefix}/d/sub/c", Value="3", Type="StringList", Tier="Advanced")

    def names(**kw):
        pages = ssm.get_paginator("describe_parameters").paginate(**kw)
        return sorted(p["Name"] for page in pages for p in page["Parameters"])

    assert names(ParameterFilters=[{"Key": "Path", "Values": [f"{prefix}/d"]}]) == [f"{prefix}/d/a", f"{prefix}/d/b"]
    assert names(ParameterFilters=[{"Key": "Path", "Option": "Recursive", "Values": [f"{prefix}/d"]}]) == [
        f"{prefix}/d/a", f"{prefix}/d/b", f"{prefix}/d/sub/c"]
    assert names(ParameterFilters=[
        {"Key": "Name", "Option": "BeginsWith", "Values": [f"{prefix}/d"]},
        {"Key": "Type", "Values": ["SecureString"]},
    ]) == [f"{prefix}/d/b"]
    assert names(ParameterFilters=[{"Key": "tag:team", "Values": ["blue"]}]) == [f"{prefix}/d/a"]

    meta = ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": [f"{prefix}/d/b"]}])["Parameters"][0]
    assert meta["KeyId"] == "alias/custom" and meta["Version"] == 1 and "Value" not in meta
    adv = ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": [f"{prefix}/d/sub/c"]}])["Parameters"][0]
    assert adv["Tier"] == "Advanced"

    with pytest.raises(ClientError) as e:
        ssm.describe_parameters(ParameterFilters=[{"Key": "Type", "Option": "Contains", "Values": ["S"]}])
    assert error_of(e)[0] == "InvalidFilterOption"


def test_tags(ssm, prefix):
    name = f"{prefix}/t"
    ssm.put_parameter(Name=name, Value="v", Type="String")
    ssm.add_tags_to_resource(ResourceType="Parameter", ResourceId=name, Tags=[{"Key": "a", "Value": "1"}])
    assert ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId=name)["TagList"] == [
        {"Key": "a", "Value": "1"}]
    ssm.remove_tags_from_resource(ResourceType="Parameter", ResourceId=name, TagKeys=["a"])
    assert ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId=name)["TagList"] == []
    with pytest.raises(ClientError) as e:
        ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId=f"{prefix}/none")
    assert error_of(e)[0] == "InvalidResourceId"


def test_delete(ssm, prefix):
    ssm.put_parameter(Name=f"{prefix}/a", Value="1", Type="String")
    ssm.put_parameter(Name=f"{prefix}/b", Value="2", Type="String")
    ssm.delete_parameter(Name=f"{prefix}/a")
    with pytest.raises(ClientError) as e:
        ssm.get_parameter(Name=f"{prefix}/a")
    assert error_of(e)[0] == "ParameterNotFound"
    with pytest.raises(ClientError) as e:
        ssm.delete_parameter(Name=f"{prefix}/a")
    assert error_of(e)[0] == "ParameterNotFound"
    r = ssm.delete_parameters(Names=[f"{prefix}/b", f"{prefix}/zz"])
    assert r["DeletedParameters"] == [f"{prefix}/b"] and r["InvalidParameters"] == [f"{prefix}/zz"]


def test_errors_users_hit(ssm, prefix):
    with pytest.raises(ClientError) as e:
        ssm.put_parameter(Name=f"{prefix}/p", Value="abc", Type="String", AllowedPattern=r"^\d+$")
    assert error_of(e) == ("ParameterPatternMismatchException",
                           r"Parameter value, cannot be validated against allowedPattern: ^\d+$")
    with pytest.raises(ClientError) as e:
        ssm.put_parameter(Name="aws-reserved", Value="v", Type="String")
    assert error_of(e)[0] == "ValidationException"
    with pytest.raises(ClientError) as e:
        ssm.put_parameter(Name=prefix + "/l" * 15, Value="v", Type="String")
    assert error_of(e)[0] == "HierarchyLevelLimitExceededException"
    with pytest.raises(ClientError) as e:
        ssm.put_parameter(Name=f"{prefix}/big", Value="x" * 4097, Type="String")
    assert error_of(e)[0] == "ValidationException"
    # Validation from the model, done by the gateway: an enum value outside the set.
    with pytest.raises(ClientError) as e:
        ssm.put_parameter(Name=f"{prefix}/e", Value="v", Type="Number")
    assert error_of(e)[0] == "ValidationException"
    with pytest.raises(ClientError) as e:
        ssm.get_parameters_by_path(Path=f"{prefix}", MaxResults=11)
    assert error_of(e)[0] == "ValidationException"


# --- the AWS CLI -------------------------------------------------------------------------


def test_cli_put_get_path_history_delete(aws, prefix):
    out = aws("ssm", "put-parameter", "--name", f"{prefix}/cli/a", "--value", "plain", "--type", "String")
    assert out["Version"] == 1
    aws("ssm", "put-parameter", "--name", f"{prefix}/cli/b", "--value", "a,b", "--type", "StringList")
    aws("ssm", "put-parameter", "--name", f"{prefix}/cli/deep/c", "--value", "pw", "--type", "SecureString")
    aws("ssm", "put-parameter", "--name", f"{prefix}/cli/a", "--value", "plain2", "--overwrite")

    got = aws("ssm", "get-parameter", "--name", f"{prefix}/cli/deep/c", "--with-decryption")
    assert got["Parameter"]["Value"] == "pw"

    listed = aws("ssm", "get-parameters-by-path", "--path", f"{prefix}/cli", "--recursive")
    assert sorted(p["Name"] for p in listed["Parameters"]) == [
        f"{prefix}/cli/a", f"{prefix}/cli/b", f"{prefix}/cli/deep/c"]

    aws("ssm", "label-parameter-version", "--name", f"{prefix}/cli/a", "--parameter-version", "1",
        "--labels", "stable")
    hist = aws("ssm", "get-parameter-history", "--name", f"{prefix}/cli/a")
    assert [(h["Version"], h["Labels"]) for h in hist["Parameters"]] == [(1, ["stable"]), (2, [])]

    desc = aws("ssm", "describe-parameters", "--parameter-filters",
               f"Key=Path,Option=Recursive,Values={prefix}/cli", "Key=Type,Values=StringList")
    assert [p["Name"] for p in desc["Parameters"]] == [f"{prefix}/cli/b"]

    aws("ssm", "delete-parameter", "--name", f"{prefix}/cli/a")
    code, _, err = aws.run("ssm", "get-parameter", "--name", f"{prefix}/cli/a")
    assert code != 0 and "ParameterNotFound" in err


def test_cli_errors(aws, prefix):
    aws("ssm", "put-parameter", "--name", f"{prefix}/e", "--value", "v", "--type", "String")
    code, _, err = aws.run("ssm", "put-parameter", "--name", f"{prefix}/e", "--value", "v", "--type", "String")
    assert code != 0 and "ParameterAlreadyExists" in err
    assert "set the overwrite option in the request to true" in err
    code, _, err = aws.run("ssm", "get-parameter", "--name", f"{prefix}/missing")
    assert code != 0 and "ParameterNotFound" in err
