"""Protocol round trips with botocore's own serializer and parsers as the oracle.

For every operation of every service of a protocol:
  (a) request: a random valid input (oracle_gen) is serialized by botocore's serializer,
      handed to Lamina's codec (`lamina codec`: parse + validate), and the canonical input
      Lamina sees must equal the generated one;
  (b) response: a random valid output is serialized by Lamina and parsed back by botocore's
      response parser, and must equal the generated one;
  (c) errors: each modeled error of the operation is serialized by Lamina and botocore must
      read the same code (the one its error factory maps to the exception class), message
      and HTTP status.

No server: one `lamina codec` subprocess per module answers JSON lines (see
crates/protocol/wire/src/oracle.rs). The command is LAMINA_CODEC_CMD, else
`target/debug/lamina codec` when it answers, else target/debug/examples/codec
(`cargo build -p lamina-wire --example codec`). The test skips only when none exists.

Add a protocol by adding rows to CASES (rest-json / rest-xml engineers: same shape).
"""
import base64
import json
import os
import shlex
import subprocess
import zlib

import botocore.session
import pytest
from botocore.parsers import create_parser
from botocore.serialize import create_serializer
from botocore.utils import percent_encode_sequence

from oracle_gen import SKIP, Generator, canonical

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# (service, wire protocol botocore speaks, directions checked)
CASES = [
    ("dynamodb", "json", "req,resp,err"),
    ("dynamodbstreams", "json", "req,resp,err"),
    ("logs", "json", "req,resp,err"),
    ("sqs", "json", "req,resp,err"),
    ("ssm", "json", "req,resp,err"),
    ("sts", "query", "req,resp,err"),
    ("sns", "query", "req,resp,err"),
    ("cloudformation", "query", "req,resp,err"),
    # SQS's query compatibility: old SDKs send forms. botocore's JSON-era model has no
    # result wrappers or query names, so only the request direction and errors are checked.
    ("sqs", "query", "req,err"),
]

COVERAGE = {}


def _candidates():
    explicit = os.environ.get("LAMINA_CODEC_CMD")
    if explicit:
        return [shlex.split(explicit)]
    out = []
    lamina = os.path.join(ROOT, "target", "debug", "lamina")
    if os.path.exists(lamina):
        out.append([lamina, "codec"])
    example = os.path.join(ROOT, "target", "debug", "examples", "codec")
    if os.path.exists(example):
        out.append([example])
    return out


PROBE = {"service": "sts", "operation": "GetCallerIdentity", "direction": "serialize", "output": {}}


class Codec:
    def __init__(self, cmd):
        self.proc = subprocess.Popen(
            cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )

    def ask(self, line):
        self.proc.stdin.write(json.dumps(line) + "\n")
        self.proc.stdin.flush()
        answer = self.proc.stdout.readline()
        if not answer:
            raise RuntimeError("codec exited: " + self.proc.stderr.read())
        return json.loads(answer)

    def close(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=10)


@pytest.fixture(scope="module")
def codec():
    for cmd in _candidates():
        c = Codec(cmd)
        try:
            if c.ask(PROBE).get("ok"):
                yield c
                c.close()
                return
        except (RuntimeError, ValueError, BrokenPipeError):
            pass
        c.proc.kill()
        c.proc.wait()
    pytest.skip("no codec command: build it with `cargo build -p lamina-wire --example codec` "
                "or set LAMINA_CODEC_CMD")


@pytest.fixture(scope="module")
def session():
    return botocore.session.get_session()


def _http_request(serialized, protocol):
    body = serialized["body"]
    headers = dict(serialized["headers"])
    if isinstance(body, dict):
        body = percent_encode_sequence(body).encode()
    elif isinstance(body, str):
        body = body.encode()
    return {
        "method": serialized["method"],
        "path": serialized["url_path"],
        "query": percent_encode_sequence(serialized["query_string"]) if isinstance(serialized["query_string"], dict) else serialized["query_string"],
        "headers": headers,
        "body_b64": base64.b64encode(body or b"").decode(),
    }


def _to_wire_json(value):
    """A canonical value as JSON for the codec (canonical() already made it JSON-safe)."""
    return value


def _response_dict(resp):
    return {
        "status_code": resp["status"],
        "headers": {k.lower(): v for k, v in resp["headers"].items()},
        "body": base64.b64decode(resp["body_b64"]),
    }


def _diff(expected, got, path="$"):
    """The first place two canonical values differ, for failure messages."""
    if isinstance(expected, dict) and isinstance(got, dict):
        for k in sorted(set(expected) | set(got)):
            if expected.get(k) != got.get(k):
                return _diff(expected.get(k), got.get(k), f"{path}.{k}")
    if isinstance(expected, list) and isinstance(got, list) and len(expected) == len(got):
        for i, (a, b) in enumerate(zip(expected, got)):
            if a != b:
                return _diff(a, b, f"{path}[{i}]")
    return f"{path}: expected {expected!r}, got {got!r}"


def _strip_metadata(parsed):
    parsed = dict(parsed)
    parsed.pop("ResponseMetadata", None)
    return parsed


@pytest.mark.parametrize("service,protocol,directions", CASES, ids=[f"{s}-{p}" for s, p, _ in CASES])
def test_round_trips(codec, session, service, protocol, directions):
    model = session.get_service_model(service)
    serializer = create_serializer(protocol, include_validation=False)
    parser = create_parser(protocol)
    # ORACLE_SEED varies the generated values (default 0: a fixed, reproducible run).
    seed = os.environ.get("ORACLE_SEED", "0")
    gen = Generator(seed=zlib.crc32(f"{service}-{protocol}-{seed}".encode()))
    failures = []
    counts = {"operations": len(model.operation_names), "req": 0, "resp": 0, "err": 0, "skipped": 0}
    for name in model.operation_names:
        op = model.operation_model(name)

        if "req" in directions:
            params = gen.value(op.input_shape) if op.input_shape is not None else {}
            if params is SKIP:
                counts["skipped"] += 1
            else:
                request = serializer.serialize_to_request(params, op)
                answer = codec.ask({"service": service, "direction": "parse",
                                    "request": _http_request(request, protocol)})
                expected = canonical(params, op.input_shape) if op.input_shape is not None else {}
                got = canonical(answer.get("input"), op.input_shape) if op.input_shape is not None else answer.get("input")
                if not answer.get("ok") or answer.get("operation") != name or got != expected:
                    failures.append(("request", name, _diff(expected, got), answer))
                else:
                    counts["req"] += 1

        if "resp" in directions and op.has_event_stream_output:
            # botocore reads event streams from a live connection, not a response dict.
            counts["eventstream"] = counts.get("eventstream", 0) + 1
        elif "resp" in directions:
            out_shape = op.output_shape
            output = gen.value(out_shape) if out_shape is not None else {}
            if output is SKIP:
                counts["skipped"] += 1
            else:
                expected = canonical(output, out_shape) if out_shape is not None else {}
                answer = codec.ask({"service": service, "operation": name, "direction": "serialize",
                                    "protocol": protocol, "output": expected})
                if not answer.get("ok"):
                    failures.append(("response", name, output, answer))
                else:
                    parsed = _strip_metadata(parser.parse(_response_dict(answer["response"]), out_shape))
                    got = canonical(parsed, out_shape) if out_shape is not None else parsed
                    if got != expected:
                        failures.append(("response", name, _diff(expected, got)))
                    else:
                        counts["resp"] += 1

        if "err" in directions:
            for shape in op.error_shapes:
                message = f"lamina says {shape.name} & <escaped>"
                answer = codec.ask({"service": service, "direction": "serialize_error",
                                    "protocol": protocol,
                                    "error": {"shape": shape.name, "message": message}})
                if not answer.get("ok"):
                    failures.append(("error", name, shape.name, answer))
                    continue
                resp = _response_dict(answer["response"])
                parsed = parser.parse(resp, op.output_shape)
                err = parsed.get("Error", {})
                default_status = 500 if shape._shape_model.get("fault") else 400
                status = shape.metadata.get("error", {}).get("httpStatusCode", default_status)
                if (err.get("Code"), err.get("Message"), resp["status_code"]) != (shape.error_code, message, status):
                    failures.append(("error", name, shape.name, (err, resp["status_code"])))
                else:
                    counts["err"] += 1

    COVERAGE[f"{service}-{protocol}"] = counts
    print(f"\n{service}-{protocol}: {counts}")
    assert not failures, f"{len(failures)} failures, first ones:\n" + "\n".join(map(repr, failures[:5]))
    assert counts["skipped"] <= counts["operations"] // 10, f"too many skipped: {counts}"
