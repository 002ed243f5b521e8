"""Python test functions for Lamina's Lambda compatibility suite (tests/compat/test_lambda_invoke.py).

One module, many handlers: a function picks one with its Handler setting (`handler.echo`,
`handler.fail`, ...). The same module is packaged for the managed Python runtime (python3.x)
and, with awslambdaric, as a custom runtime (provided.al2023), so both must behave the same.

Every handler is written against AWS's documented Python programming model only: the
`(event, context)` signature, the context object's attributes, the environment variables
Lambda sets, and boto3 with no endpoint in the code.
"""
import errno
import json
import os
import sys
import time

# Module-level state survives between invocations in a warm execution environment.
COUNT = 0
INIT_PID = os.getpid()
INIT_TIME = time.time()


def _bump():
    global COUNT
    COUNT += 1
    return COUNT


def _context(context):
    return {
        "functionName": context.function_name,
        "functionVersion": context.function_version,
        "invokedFunctionArn": context.invoked_function_arn,
        "memoryLimitInMB": int(context.memory_limit_in_mb),
        "requestId": context.aws_request_id,
        "logGroupName": context.log_group_name,
        "logStreamName": context.log_stream_name,
        "remainingMs": context.get_remaining_time_in_millis(),
    }


def echo(event, context):
    """The event back, the context fields, and the warm-reuse counter."""
    count = _bump()
    marker = event.get("marker") if isinstance(event, dict) else None
    if marker:
        # Shows up in CloudWatch Logs (/aws/lambda/<name>) and in LogType=Tail.
        print(f"echo marker {marker}")
    return {
        "event": event,
        "count": count,
        "pid": INIT_PID,
        "tag": os.environ.get("TAG"),
        "runtime": "python",
        "python": "%d.%d" % sys.version_info[:2],
        **_context(context),
    }


def fail(event, context):
    """Raises: Lambda answers FunctionError=Unhandled with errorType/errorMessage/stackTrace."""
    raise ValueError(event.get("message", "boom") if isinstance(event, dict) else "boom")


def exit_mid(event, context):
    """The process exits during the invocation: Runtime.ExitError."""
    print("exiting now", flush=True)
    os._exit(1)


def sleep(event, context):
    """Sleeps past a short timeout: 'Task timed out after N seconds'."""
    seconds = float(event.get("seconds", 3)) if isinstance(event, dict) else 3.0
    print("sleeping", seconds, flush=True)
    time.sleep(seconds)
    return {"slept": seconds}


def hog(event, context):
    """Allocates more memory than the function's MemorySize (and touches every page)."""
    mb = int(event.get("mb", 300)) if isinstance(event, dict) else 300
    blocks = []
    for _ in range(mb):
        blocks.append(bytearray(b"x" * (1024 * 1024)))
    return {"allocated_mb": len(blocks)}


def noisy(event, context):
    """Prints about 10 MB of logs, then returns normally."""
    mb = int(event.get("mb", 10)) if isinstance(event, dict) else 10
    line = "L" * 1023
    for i in range(mb * 1024):
        sys.stdout.write(line + "\n")
    sys.stdout.flush()
    print("noisy done")
    return {"printed_mb": mb}


def big(event, context):
    """Returns a response larger than the 6 MB synchronous limit (7 MB by default)."""
    size = int(event.get("bytes", 7 * 1024 * 1024)) if isinstance(event, dict) else 7 * 1024 * 1024
    return "A" * size


def env(event, context):
    """The environment variables Lambda sets (credentials only as present/absent)."""
    names = [
        "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_VERSION", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
        "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME", "AWS_REGION", "AWS_DEFAULT_REGION",
        "_HANDLER", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR", "AWS_LAMBDA_RUNTIME_API",
        "AWS_EXECUTION_ENV", "TZ", "LANG", "PATH", "AWS_ENDPOINT_URL", "TAG", "GREETING",
    ]
    secrets = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"]
    return {
        "env": {n: os.environ.get(n) for n in names},
        "has": {n: bool(os.environ.get(n)) for n in secrets},
        "cwd": os.getcwd(),
        "file": os.path.abspath(__file__),
    }


def dynamo(event, context):
    """Writes an item to DynamoDB and reads it back with boto3 and NO endpoint in the code:
    Lamina points AWS_ENDPOINT_URL at itself, as AWS's SDKs honor it."""
    import boto3

    ddb = boto3.client("dynamodb")
    table = event["table"]
    key = {"pk": {"S": event["pk"]}}
    ddb.put_item(TableName=table, Item={**key, "from": {"S": context.function_name},
                                        "request": {"S": context.aws_request_id}})
    got = ddb.get_item(TableName=table, Key=key, ConsistentRead=True).get("Item")
    return {"item": got, "count": _bump()}


def record(event, context):
    """For asynchronous (Event) invocations: the effect is an item the test polls for."""
    import boto3

    print(f"record {json.dumps(event)}")
    boto3.client("dynamodb").put_item(
        TableName=event["table"],
        Item={"pk": {"S": event["pk"]}, "request": {"S": context.aws_request_id},
              "version": {"S": context.function_version}},
    )
    return {"recorded": event["pk"]}


def _write_errno(path):
    try:
        with open(path, "w") as f:
            f.write("x")
        return None
    except OSError as e:
        return errno.errorcode.get(e.errno, str(e.errno))


def _syscall_errno(name, *args):
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    ctypes.set_errno(0)
    rc = getattr(libc, name)(*args)
    return None if rc == 0 else errno.errorcode.get(ctypes.get_errno(), str(ctypes.get_errno()))


def isolation(event, context):
    """What the execution environment lets a function see and do: its pid and the processes
    it sees, whether the root, /etc and the task root take writes, what /tmp holds (and a file
    left there for the next invocation), and the errno of syscalls a Lambda function may not
    make (mount, umount2, swapon). As on AWS: /tmp is the only writable place."""
    tmp_before = sorted(os.listdir("/tmp"))
    with open("/tmp/isolation-mark", "w") as f:
        f.write(context.aws_request_id)
    task_root = os.environ["LAMBDA_TASK_ROOT"]
    return {
        "pid": os.getpid(),
        "procs": sorted(int(p) for p in os.listdir("/proc") if p.isdigit()),
        "tmp_before": tmp_before,
        "write_root": _write_errno("/isolation-escape"),
        "write_etc": _write_errno("/etc/isolation-escape"),
        "write_task_root": _write_errno(os.path.join(task_root, "isolation-escape")),
        "mount": _syscall_errno("mount", b"none", b"/mnt", b"tmpfs", 0, None),
        "umount2": _syscall_errno("umount2", b"/proc", 2),
        "swapon": _syscall_errno("swapon", b"/tmp/isolation-mark", 0),
    }


def dispatch(event, context):
    """One function, many behaviours: {"action": "fail" | "exit_mid" | "sleep" | "hog" | "noisy" |
    "big" | "echo", ...}. Lets a test fault a function and then check that the SAME function
    still answers a normal invocation."""
    action = event.get("action", "echo") if isinstance(event, dict) else "echo"
    handlers = {"echo": echo, "fail": fail, "exit_mid": exit_mid, "sleep": sleep, "hog": hog,
                "noisy": noisy, "big": big, "env": env}
    return handlers[action](event, context)
