"""Fixtures for the compatibility suite: real clients (boto3, the AWS CLI) against a real
`lamina` binary. Nothing here mocks a service.

The server comes from, in order:
  * LAMINA_ENDPOINT: an already running Lamina (the test script starts one);
  * otherwise the binary at LAMINA_BIN (default target/release/lamina, then target/debug/lamina),
    started once per session on a free port with a temporary data dir.
Tests that restart or kill a server use the `lamina_server` factory, which needs the binary.
"""
import json
import os
import shutil
import signal
import subprocess
import tempfile

import boto3
import pytest
from botocore.config import Config

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
REGION = "us-east-1"
CREDS = {"AWS_ACCESS_KEY_ID": "AKIDLAMINATEST", "AWS_SECRET_ACCESS_KEY": "lamina-test-secret"}


def lamina_bin():
    explicit = os.environ.get("LAMINA_BIN")
    if explicit:
        return explicit
    for profile in ("release", "debug"):
        p = os.path.join(ROOT, "target", profile, "lamina")
        if os.path.exists(p):
            return p
    return None


class Server:
    """A `lamina serve` child process."""

    def __init__(self, data_dir=None, extra_args=()):
        binary = lamina_bin()
        if not binary:
            pytest.skip("no lamina binary: run `cargo build --release` or set LAMINA_BIN")
        self.data_dir = data_dir
        args = [binary, "serve", "--port", "0", "--log", "warn"]
        args += ["--data-dir", data_dir] if data_dir else ["--in-memory"]
        args += list(extra_args)
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if "ready on " not in line:
            err = self.proc.stderr.read() if self.proc.poll() is not None else ""
            raise RuntimeError(f"lamina did not start: {line!r} {err}")
        self.url = line.strip().split("ready on ", 1)[1]

    def stop(self, sig=signal.SIGTERM, timeout=15):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout=timeout)
        return self.proc.returncode

    def kill(self):
        return self.stop(signal.SIGKILL)


@pytest.fixture(scope="session")
def endpoint():
    url = os.environ.get("LAMINA_ENDPOINT")
    if url:
        yield url.rstrip("/")
        return
    tmp = tempfile.mkdtemp(prefix="lamina-compat-")
    server = Server(data_dir=tmp)
    yield server.url
    server.stop()
    shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture
def lamina_server(tmp_path):
    """Factory: lamina_server(data_dir=None) starts a fresh server; all are stopped after the test."""
    started = []

    def start(data_dir=None, extra_args=()):
        s = Server(data_dir=str(data_dir) if data_dir else None, extra_args=extra_args)
        started.append(s)
        return s

    yield start
    for s in started:
        s.kill()


def make_client(service, url, **kw):
    return boto3.client(
        service,
        endpoint_url=url,
        region_name=REGION,
        aws_access_key_id=kw.pop("aws_access_key_id", CREDS["AWS_ACCESS_KEY_ID"]),
        aws_secret_access_key=kw.pop("aws_secret_access_key", CREDS["AWS_SECRET_ACCESS_KEY"]),
        config=Config(retries={"max_attempts": 1}),
        **kw,
    )


@pytest.fixture
def client(endpoint):
    """client("ssm") → a boto3 client pointed at Lamina."""
    return lambda service, **kw: make_client(service, endpoint, **kw)


def aws_env(url, extra=None):
    env = dict(os.environ)
    env.update(CREDS)
    env["AWS_DEFAULT_REGION"] = REGION
    env["AWS_ENDPOINT_URL"] = url
    env.pop("AWS_PROFILE", None)
    env["AWS_CONFIG_FILE"] = os.devnull
    env["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
    if extra:
        env.update(extra)
    return env


def run_aws(url, *args, env=None, check=True):
    """Runs the AWS CLI against `url`; returns (returncode, parsed JSON or None, stderr)."""
    exe = shutil.which("aws", path=os.path.dirname(os.path.realpath(os.sys.executable)) + os.pathsep + os.environ.get("PATH", ""))
    if not exe:
        pytest.skip("the AWS CLI is not installed (pip install -r tests/compat/requirements.txt)")
    proc = subprocess.run([exe, *args, "--output", "json"], capture_output=True, text=True,
                          env=aws_env(url, env), timeout=60)
    if check and proc.returncode != 0:
        raise AssertionError(f"aws {' '.join(args)} failed ({proc.returncode}): {proc.stderr}")
    out = json.loads(proc.stdout) if proc.stdout.strip() else None
    return proc.returncode, out, proc.stderr


@pytest.fixture
def aws(endpoint):
    """aws("ssm", "get-parameter", "--name", "x") → parsed JSON output (raises on failure).
    aws.run(...) → (returncode, json, stderr) without raising."""

    def call(*args, env=None):
        return run_aws(endpoint, *args, env=env)[1]

    call.run = lambda *args, env=None: run_aws(endpoint, *args, env=env, check=False)
    call.endpoint = endpoint
    return call
