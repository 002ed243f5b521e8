"""The binary's contract: ready line, health, request ids, persistence, shutdown."""
import json
import os
import signal
import subprocess
import time
import urllib.error
import urllib.request

import pytest

from conftest import lamina_bin, make_client, run_aws


def test_health(endpoint):
    resp = urllib.request.urlopen(endpoint + "/_lamina/health")
    assert resp.status == 200
    body = json.load(resp)
    assert body["status"] == "running"
    assert body["version"]
    assert body["services"]["ssm"]["state"] == "running"
    assert body["services"]["sts"]["state"] == "running"
    assert body["services"]["dynamodb"]["state"] == "running"
    assert body["services"]["lambda"]["state"] == "running"
    assert body["services"]["events"]["state"] == "running"
    assert body["services"]["s3"]["state"] == "not_implemented"
    assert resp.headers["x-amzn-RequestId"]


def test_unknown_admin_route_is_404(endpoint):
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(endpoint + "/_lamina/nope")
    assert e.value.code == 404


def test_every_response_has_a_request_id(client):
    ssm = client("ssm")
    r = ssm.describe_parameters(MaxResults=1)
    assert r["ResponseMetadata"]["RequestId"]
    with pytest.raises(ssm.exceptions.ParameterNotFound) as e:
        ssm.get_parameter(Name="/does/not/exist")
    assert e.value.response["ResponseMetadata"]["RequestId"]


def test_parameters_survive_restart(lamina_server, tmp_path):
    data = tmp_path / "data"
    s = lamina_server(data)
    run_aws(s.url, "ssm", "put-parameter", "--name", "/persist/a", "--value", "one", "--type", "String")
    run_aws(s.url, "ssm", "put-parameter", "--name", "/persist/secret", "--value", "hush", "--type", "SecureString")
    assert s.stop() == 0
    s2 = lamina_server(data)
    out = run_aws(s2.url, "ssm", "get-parameters-by-path", "--path", "/persist", "--recursive", "--with-decryption")[1]
    values = {p["Name"]: p["Value"] for p in out["Parameters"]}
    assert values == {"/persist/a": "one", "/persist/secret": "hush"}


def test_acknowledged_writes_survive_kill_9(lamina_server, tmp_path):
    data = tmp_path / "data"
    s = lamina_server(data)
    ssm = make_client("ssm", s.url)
    for i in range(50):
        ssm.put_parameter(Name=f"/crash/p{i}", Value=str(i), Type="String")
    s.kill()
    s2 = lamina_server(data)
    ssm2 = make_client("ssm", s2.url)
    got = {}
    for page in ssm2.get_paginator("get_parameters_by_path").paginate(Path="/crash"):
        got.update({p["Name"]: p["Value"] for p in page["Parameters"]})
    assert got == {f"/crash/p{i}": str(i) for i in range(50)}


def test_sigterm_stops_cleanly(lamina_server, tmp_path):
    s = lamina_server(tmp_path / "d")
    assert s.stop(signal.SIGTERM) == 0
    # the store was closed cleanly: a new server opens it at once
    s2 = lamina_server(tmp_path / "d")
    assert json.load(urllib.request.urlopen(s2.url + "/_lamina/health"))["status"] == "running"


def test_cli_rejects_bad_options():
    binary = lamina_bin()
    if not binary:
        pytest.skip("no binary")
    p = subprocess.run([binary, "serve", "--port", "notaport"], capture_output=True, text=True, timeout=10)
    assert p.returncode == 2
    assert "--port" in p.stderr


def test_env_vars_configure_the_server(tmp_path):
    binary = lamina_bin()
    if not binary:
        pytest.skip("no binary")
    env = dict(os.environ, LAMINA_PORT="0", LAMINA_IN_MEMORY="1", LAMINA_REGION="eu-west-1",
               LAMINA_ACCOUNT_ID="123456789012", LAMINA_LOG="warn")
    p = subprocess.Popen([binary, "serve"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    try:
        url = p.stdout.readline().strip().split("ready on ", 1)[1]
        health = json.load(urllib.request.urlopen(url + "/_lamina/health"))
        assert health["region"] == "eu-west-1"
        assert health["account_id"] == "123456789012"
        assert health["storage"] == "memory"
        sts = make_client("sts", url)
        assert sts.get_caller_identity()["Account"] == "123456789012"
    finally:
        p.terminate()
        p.wait(timeout=10)
