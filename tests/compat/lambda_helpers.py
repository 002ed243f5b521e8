"""Shared pieces of the Lambda invocation compatibility suite (test_lambda_invoke.py).

Written from the AWS Lambda developer guide and API reference, independent of Lamina's code.
The functions under test live in tests/functions/ and are packaged by
scripts/build-test-functions into target/test-functions/*.zip:

  python.zip      handler.py — many handlers, picked by the Handler setting (runtime python3.x)
  node.zip        index.js   — echo, throws, asyncHandler, callbackHandler (nodejs20.x)
  rust-noop.zip   bootstrap  — a Rust lambda_runtime binary that echoes (provided.al2023)
  python-ric.zip  bootstrap + awslambdaric + handler.py (provided.al2023, AWS's own client)
"""
import base64
import json
import os
import re
import subprocess
import time
import uuid

import pytest
from botocore.exceptions import ClientError

from conftest import ROOT

ZIP_DIR = os.environ.get("TEST_FUNCTIONS_DIR") or os.path.join(ROOT, "target", "test-functions")
ZIPS = ("python", "node", "rust-noop", "python-ric")
# Any role ARN is accepted by Lamina's CreateFunction; AWS only checks its shape here.
ROLE = "arn:aws:iam::000000000000:role/lamina-compat-lambda"

# AWS's documented wording (users search for these).
TIMEOUT_SUFFIX = "Task timed out after {:.2f} seconds"
RESPONSE_TOO_LARGE = "Response payload size exceeded maximum allowed payload size (6291556 bytes)."
REQUEST_TOO_LARGE = "Request must be smaller than 6291456 bytes for the InvokeFunction operation"
THROTTLE_REASON = "ReservedFunctionConcurrentInvocationLimitExceeded"
REPORT_RE = re.compile(
    r"REPORT RequestId: (?P<id>[0-9a-f-]{36})\s+Duration: (?P<duration>[\d.]+) ms\s+"
    r"Billed Duration: (?P<billed>\d+) ms\s+Memory Size: (?P<memory>\d+) MB\s+"
    r"Max Memory Used: (?P<used>\d+) MB"
)


def require_zips():
    """Skips the calling test module (clearly) when the packages have not been built."""
    missing = [z for z in ZIPS if not os.path.exists(os.path.join(ZIP_DIR, f"{z}.zip"))]
    if missing:
        pytest.skip(
            f"Lambda test functions not built ({', '.join(m + '.zip' for m in missing)} missing in "
            f"{ZIP_DIR}): run scripts/build-test-functions",
            allow_module_level=True,
        )


def zip_bytes(name):
    with open(os.path.join(ZIP_DIR, f"{name}.zip"), "rb") as f:
        return f.read()


def host_python_runtime():
    """The managed runtime name for the host's python3 (the interpreter Lamina runs), e.g.
    python3.11."""
    out = subprocess.run(["python3", "--version"], capture_output=True, text=True, check=True)
    m = re.search(r"Python (\d+)\.(\d+)", out.stdout + out.stderr)
    assert m, f"cannot parse `python3 --version`: {out.stdout!r}"
    return f"python{m.group(1)}.{m.group(2)}"


# What each runtime under test needs: (Runtime, package, handler of the echo function).
def runtimes():
    return {
        "python": (host_python_runtime(), "python", "handler.echo"),
        "node": ("nodejs20.x", "node", "index.echo"),
        "rust": ("provided.al2023", "rust-noop", "bootstrap"),
        "ric": ("provided.al2023", "python-ric", "handler.echo"),
    }


def unique(prefix="fn"):
    return f"compat-{prefix}-{uuid.uuid4().hex[:10]}"


class Functions:
    """Creates functions (waiting until Active) and deletes them at the end of the test."""

    def __init__(self, lam):
        self.lam = lam
        self.created = []
        self._zips = {}

    def create(self, runtime="python", handler=None, name=None, memory=128, timeout=10, env=None,
               package=None, **extra):
        rt, pkg, default_handler = runtimes()[runtime]
        name = name or unique(runtime)
        pkg = package or pkg
        if pkg not in self._zips:
            self._zips[pkg] = zip_bytes(pkg)
        kw = dict(
            FunctionName=name,
            Runtime=rt,
            Role=ROLE,
            Handler=handler or default_handler,
            Code={"ZipFile": self._zips[pkg]},
            MemorySize=memory,
            Timeout=timeout,
            **extra,
        )
        if env:
            kw["Environment"] = {"Variables": env}
        created = self.lam.create_function(**kw)
        self.created.append(name)
        wait_active(self.lam, name)
        return created

    def cleanup(self):
        for name in self.created:
            try:
                self.lam.delete_function(FunctionName=name)
            except ClientError:
                pass


def wait_active(lam, name):
    lam.get_waiter("function_active_v2").wait(FunctionName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 60})


def wait_updated(lam, name):
    lam.get_waiter("function_updated_v2").wait(FunctionName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 60})


class Result:
    """An Invoke response as a user reads it."""

    def __init__(self, resp, elapsed):
        self.raw = resp
        self.elapsed = elapsed
        self.status = resp["StatusCode"]
        self.function_error = resp.get("FunctionError")
        self.executed_version = resp.get("ExecutedVersion")
        self.log_result = resp.get("LogResult")
        self.request_id = resp["ResponseMetadata"]["RequestId"]
        self.headers = resp["ResponseMetadata"].get("HTTPHeaders", {})
        self.body = resp["Payload"].read() if "Payload" in resp else b""

    @property
    def json(self):
        return json.loads(self.body)

    @property
    def log(self):
        """The decoded LogResult (the last 4 KB of the invocation's log)."""
        assert self.log_result, "no LogResult in the response (LogType=Tail was asked)"
        return base64.b64decode(self.log_result).decode("utf-8", "replace")

    def __repr__(self):
        return (f"Result(status={self.status}, error={self.function_error!r}, "
                f"version={self.executed_version!r}, body={self.body[:300]!r})")


def invoke(lam, name, payload=None, raw=None, **kw):
    """Invokes `name` with a JSON payload (or raw bytes) and returns a Result."""
    if raw is not None:
        kw["Payload"] = raw
    elif payload is not None:
        kw["Payload"] = json.dumps(payload).encode()
    t = time.monotonic()
    resp = lam.invoke(FunctionName=name, **kw)
    return Result(resp, time.monotonic() - t)


def ok(lam, name, payload=None, **kw):
    """Invokes and asserts a successful synchronous invocation; returns the parsed payload."""
    r = invoke(lam, name, payload if payload is not None else {}, **kw)
    assert r.status == 200 and r.function_error is None, r
    return r.json


def error_of(excinfo):
    resp = excinfo.value.response
    return resp["Error"]["Code"], resp["Error"].get("Message", ""), resp["ResponseMetadata"]["HTTPStatusCode"]


def poll(fn, timeout=15.0, interval=0.2, what="condition"):
    """Calls fn() until it returns something truthy; fails after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = fn()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what} (last: {last!r})")


def log_lines(text):
    return [ln for ln in text.splitlines() if ln.strip()]


def logged(logs, function_name, marker="SEEN"):
    """The JSON documents a function printed as `<marker> {...}` lines, in time order, read back
    from its CloudWatch log group: how a function reports what it saw to a test (it cannot write
    to the test's files: its root is read-only and its /tmp is its own, as on AWS)."""
    out, kw = [], {}
    while True:
        try:
            r = logs.filter_log_events(logGroupName=f"/aws/lambda/{function_name}",
                                       filterPattern=f'"{marker}"', **kw)
        except ClientError as e:
            if e.response["Error"]["Code"] == "ResourceNotFoundException":
                return []
            raise
        for ev in r["events"]:
            msg = ev["message"]
            i = msg.find(marker + " ")
            if i >= 0:
                out.append((ev["timestamp"], json.loads(msg[i + len(marker) + 1:])))
        if not r.get("nextToken"):
            break
        kw["nextToken"] = r["nextToken"]
    return [doc for _, doc in sorted(out, key=lambda t: t[0])]
