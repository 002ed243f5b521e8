"""Lamina's built-in Python runtime: a Lambda Runtime API loop on the standard library only.

Loads the handler named by _HANDLER ("dir/module.function"), then for each event from
/runtime/invocation/next calls function(event, context) and posts the result or the error,
formatted as AWS's Python runtime formats them. Started by Lamina with the task root as the
working directory and PYTHONPATH; never imported by functions.
"""

import http.client
import importlib
import json
import os
import sys
import time
import traceback

API = os.environ["AWS_LAMBDA_RUNTIME_API"]
PREFIX = "/2018-06-01/runtime"
BOTO_MODULES = ("boto3", "botocore", "s3transfer")


class _Client:
    def __init__(self, address):
        host, _, port = address.rpartition(":")
        self.host, self.port = host, int(port)
        self.conn = None

    def call(self, method, path, body=None, headers=None):
        for attempt in (0, 1):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port)
            try:
                self.conn.request(method, PREFIX + path, body=body, headers=headers or {})
                resp = self.conn.getresponse()
                return resp.status, resp.headers, resp.read()
            except (http.client.HTTPException, OSError):
                self.conn.close()
                self.conn = None
                if attempt == 1:
                    raise


CLIENT = _Client(API)


class FaultError(Exception):
    def __init__(self, error_type, message, trace=None):
        super().__init__(message)
        self.error_type, self.message, self.trace = error_type, message, trace or []


def _log(text):
    # one CloudWatch event per message: newlines become carriage returns, as on AWS
    sys.stdout.write(text.replace("\n", "\r") + "\n")
    sys.stdout.flush()


def _boto_hint(exc):
    name = getattr(exc, "name", None) or ""
    if isinstance(exc, ImportError) and name.split(".")[0] in BOTO_MODULES:
        _log(
            "[lamina] %s is not available to the Python interpreter running this function (%s). "
            "AWS's Python runtimes include boto3; here, either install it for that interpreter "
            "(%s -m pip install boto3) or include boto3 in the function's deployment package."
            % (name.split(".")[0], sys.executable, sys.executable)
        )


def _stack(tb):
    frames = [f for f in traceback.extract_tb(tb) if os.path.abspath(f.filename) != os.path.abspath(__file__)]
    return traceback.format_list(frames)


def _error_body(error_type, message, request_id, stack):
    return {"errorMessage": message, "errorType": error_type, "requestId": request_id, "stackTrace": stack}


def _log_error(body):
    lines = ["[ERROR] %s: %s" % (body["errorType"], body["errorMessage"])]
    if body["stackTrace"]:
        lines.append("Traceback (most recent call last):")
        lines.extend(line.rstrip("\n") for line in body["stackTrace"])
    _log("\n".join(lines))


def _post_error(path, body):
    data = json.dumps(body).encode()
    headers = {"Lambda-Runtime-Function-Error-Type": body["errorType"], "Content-Type": "application/json"}
    CLIENT.call("POST", path, data, headers)


def _load_handler(handler):
    try:
        modname, fname = handler.rsplit(".", 1)
    except ValueError as e:
        raise FaultError("Runtime.MalformedHandlerName", "Bad handler '%s': %s" % (handler, e))
    try:
        if modname.split(".")[0] in sys.builtin_module_names:
            raise FaultError(
                "Runtime.BuiltInModuleConflict", "Cannot use built-in module %s as a handler module" % modname
            )
        module = importlib.import_module(modname.replace("/", "."))
    except ImportError as e:
        _boto_hint(e)
        raise FaultError("Runtime.ImportModuleError", "Unable to import module '%s': %s" % (modname, e))
    except SyntaxError as e:
        trace = ['  File "%s" Line %s\n    %s' % (e.filename, e.lineno, e.text)]
        raise FaultError("Runtime.UserCodeSyntaxError", "Syntax error in module '%s': %s" % (modname, e), trace)
    func = getattr(module, fname, None)
    if func is None:
        fault = FaultError("Runtime.HandlerNotFound", "Handler '%s' missing on module '%s'" % (fname, modname))

        def missing(event, context):
            raise fault

        return missing
    return func


class Context:
    def __init__(self, headers):
        self.aws_request_id = headers.get("Lambda-Runtime-Aws-Request-Id", "")
        self.invoked_function_arn = headers.get("Lambda-Runtime-Invoked-Function-Arn", "")
        self._deadline_ms = int(headers.get("Lambda-Runtime-Deadline-Ms", "0") or 0)
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self.identity = None
        self.client_context = None
        cc = headers.get("Lambda-Runtime-Client-Context")
        if cc:
            try:
                self.client_context = json.loads(cc)
            except ValueError:
                self.client_context = None
        ci = headers.get("Lambda-Runtime-Cognito-Identity")
        if ci:
            try:
                self.identity = json.loads(ci)
            except ValueError:
                self.identity = None

    def get_remaining_time_in_millis(self):
        return max(self._deadline_ms - int(time.time() * 1000), 0)

    def __repr__(self):
        return "LambdaContext([aws_request_id=%s,function_name=%s,function_version=%s,invoked_function_arn=%s])" % (
            self.aws_request_id,
            self.function_name,
            self.function_version,
            self.invoked_function_arn,
        )


class _Encoder(json.JSONEncoder):
    def default(self, o):
        import decimal

        if isinstance(o, decimal.Decimal):
            return int(o) if o == o.to_integral_value() else float(o)
        return super().default(o)


def _invoke(func, status, headers, body):
    request_id = headers.get("Lambda-Runtime-Aws-Request-Id", "")
    trace = headers.get("Lambda-Runtime-Trace-Id")
    if trace:
        os.environ["_X_AMZN_TRACE_ID"] = trace
    else:
        os.environ.pop("_X_AMZN_TRACE_ID", None)
    base = "/invocation/%s" % request_id
    try:
        event = json.loads(body) if body else None
    except ValueError as e:
        err = _error_body("Runtime.UnmarshalError", "Unable to unmarshal input: %s" % e, request_id, [])
        _log_error(err)
        _post_error(base + "/error", err)
        return
    try:
        result = func(event, Context(headers))
    except FaultError as e:
        err = _error_body(e.error_type, e.message, request_id, e.trace)
        _log_error(err)
        _post_error(base + "/error", err)
        return
    except Exception as e:  # noqa: BLE001 - every handler error is reported, as AWS does
        _boto_hint(e)
        err = _error_body(type(e).__name__, str(e), request_id, _stack(e.__traceback__))
        _log_error(err)
        _post_error(base + "/error", err)
        return
    try:
        data = json.dumps(result, cls=_Encoder).encode()
    except (TypeError, ValueError) as e:
        err = _error_body("Runtime.MarshalError", "Unable to marshal response: %s" % e, request_id, [])
        _log_error(err)
        _post_error(base + "/error", err)
        return
    code, _, answer = CLIENT.call("POST", base + "/response", data, {"Content-Type": "application/json"})
    if code == 413:
        _log("[ERROR] %s" % answer.decode("utf-8", "replace"))


def main():
    sys.path.insert(0, os.environ.get("LAMBDA_TASK_ROOT", os.getcwd()))
    try:
        func = _load_handler(os.environ.get("_HANDLER", ""))
    except FaultError as e:
        err = _error_body(e.error_type, e.message, "", e.trace)
    except Exception as e:  # noqa: BLE001 - code run at import time may raise anything
        _boto_hint(e)
        err = _error_body(type(e).__name__, str(e), "", _stack(e.__traceback__))
    else:
        err = None
    if err is not None:
        _log_error(err)
        _post_error("/init/error", err)
        sys.exit(1)
    while True:
        status, headers, body = CLIENT.call("GET", "/invocation/next")
        if status != 200:
            # the environment is shutting down
            sys.exit(0)
        _invoke(func, status, headers, body)


if __name__ == "__main__":
    main()
