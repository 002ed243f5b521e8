// Lamina's built-in Node.js runtime: a Lambda Runtime API loop with no npm dependencies.
//
// Loads the handler named by _HANDLER ("dir/file.handler") from the task root — CommonJS
// (.js, .cjs) with require, ES modules (.mjs, or .js that require refuses) with import() —
// then for each event calls it as AWS's Node.js runtime does: async handlers (a returned
// promise) and callback handlers (handler(event, context, callback)) both work. Errors are
// posted as {errorType, errorMessage, trace}, and console output is prefixed with the time,
// request id and level, as on AWS.
"use strict";

const http = require("http");
const path = require("path");
const fs = require("fs");
const util = require("util");
const { pathToFileURL } = require("url");

const [HOST, PORT] = (() => {
  const api = process.env.AWS_LAMBDA_RUNTIME_API || "";
  const i = api.lastIndexOf(":");
  return [api.slice(0, i), Number(api.slice(i + 1))];
})();
const PREFIX = "/2018-06-01/runtime";
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
let currentRequestId = undefined;

function call(method, p, body, headers) {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: HOST, port: PORT, path: PREFIX + p, method, agent, headers: headers || {} },
      (res) => {
        const chunks = [];
        res.on("data", (c) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    if (body !== undefined) req.end(body);
    else req.end();
  });
}

// console.* as on AWS: "<time>\t<request id>\t<LEVEL>\t<message>", one event per message
function patchConsole() {
  const write = (level) => (...args) => {
    const msg = util.format(...args).replace(/\n/g, "\r");
    process.stdout.write(`${new Date().toISOString()}\t${currentRequestId || "undefined"}\t${level}\t${msg}\n`);
  };
  console.log = write("INFO");
  console.info = write("INFO");
  console.warn = write("WARN");
  console.error = write("ERROR");
  console.debug = write("DEBUG");
  console.trace = write("TRACE");
}

class Fault extends Error {
  constructor(errorType, message) {
    super(message);
    this.name = errorType;
  }
}

function errorBody(err) {
  if (err instanceof Error) {
    const trace = typeof err.stack === "string" ? err.stack.split("\n") : [];
    return { errorType: err.name || "Error", errorMessage: err.message, trace };
  }
  return { errorType: "string", errorMessage: String(err), trace: [] };
}

async function postError(p, err) {
  const body = errorBody(err);
  const data = JSON.stringify(body);
  await call("POST", p, data, {
    "Content-Type": "application/json",
    "Lambda-Runtime-Function-Error-Type": body.errorType,
  });
  return body;
}

async function loadModule(root, modulePath) {
  const base = path.resolve(root, modulePath);
  const candidates = [".js", ".mjs", ".cjs"].map((ext) => base + ext).filter((f) => fs.existsSync(f));
  if (candidates.length === 0) {
    if (fs.existsSync(base) && fs.statSync(base).isDirectory()) return require(base);
    throw new Fault("Runtime.ImportModuleError", `Error: Cannot find module '${modulePath}'`);
  }
  const file = candidates[0];
  if (file.endsWith(".mjs")) return import(pathToFileURL(file).href);
  try {
    return require(file);
  } catch (e) {
    if (e && (e.code === "ERR_REQUIRE_ESM" || e.code === "ERR_REQUIRE_ASYNC_MODULE")) {
      return import(pathToFileURL(file).href);
    }
    if (e instanceof SyntaxError && /import|export/.test(e.message)) {
      return import(pathToFileURL(file).href);
    }
    throw e;
  }
}

async function loadHandler() {
  const handler = process.env._HANDLER || "";
  const root = process.env.LAMBDA_TASK_ROOT || process.cwd();
  const dot = handler.lastIndexOf(".");
  if (dot <= 0 || dot === handler.length - 1) throw new Fault("Runtime.MalformedHandlerName", "Bad handler");
  const modulePath = handler.slice(0, dot);
  const names = handler.slice(dot + 1).split(".");
  let mod;
  try {
    mod = await loadModule(root, modulePath);
  } catch (e) {
    if (e instanceof Fault) throw e;
    if (e instanceof SyntaxError) throw new Fault("Runtime.UserCodeSyntaxError", `${e.name}: ${e.message}`);
    if (e && e.code === "MODULE_NOT_FOUND") throw new Fault("Runtime.ImportModuleError", `Error: ${e.message}`);
    throw e;
  }
  let fn = mod;
  for (const n of names) fn = fn == null ? undefined : fn[n];
  if (fn === undefined && mod && mod.default) {
    fn = mod.default;
    for (const n of names) fn = fn == null ? undefined : fn[n];
  }
  if (typeof fn !== "function") {
    throw new Fault("Runtime.HandlerNotFound", `${path.basename(modulePath)}.${names.join(".")} is undefined or not exported`);
  }
  return fn;
}

function makeContext(headers, answer) {
  const deadline = Number(headers["lambda-runtime-deadline-ms"] || 0);
  const ctx = {
    callbackWaitsForEmptyEventLoop: true,
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
    invokedFunctionArn: headers["lambda-runtime-invoked-function-arn"],
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    awsRequestId: headers["lambda-runtime-aws-request-id"],
    logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
    identity: undefined,
    clientContext: undefined,
    getRemainingTimeInMillis: () => Math.max(deadline - Date.now(), 0),
    succeed: (v) => answer(null, v),
    fail: (e) => answer(e || "handled"),
    done: (e, v) => answer(e, v),
  };
  for (const [h, key] of [
    ["lambda-runtime-client-context", "clientContext"],
    ["lambda-runtime-cognito-identity", "identity"],
  ]) {
    if (headers[h]) {
      try {
        ctx[key] = JSON.parse(headers[h]);
      } catch (_) {
        ctx[key] = undefined;
      }
    }
  }
  return ctx;
}

// Runs the handler; resolves with [error, result] once it answered one way or the other.
function runHandler(fn, event, headers) {
  return new Promise((resolve) => {
    let settled = false;
    const answer = (err, result) => {
      if (settled) return;
      settled = true;
      resolve([err === undefined ? null : err, result]);
    };
    const ctx = makeContext(headers, answer);
    try {
      const ret = fn(event, ctx, answer);
      if (ret && typeof ret.then === "function") {
        ret.then((v) => answer(null, v), (e) => answer(e === undefined || e === null ? new Error(String(e)) : e));
      } else if (fn.length < 3) {
        answer(null, ret);
      }
    } catch (e) {
      answer(e);
    }
  });
}

async function main() {
  patchConsole();
  let fn;
  try {
    fn = await loadHandler();
  } catch (e) {
    const body = errorBody(e);
    console.error(JSON.stringify(body));
    await postError("/init/error", e).catch(() => {});
    process.exit(1);
  }
  for (;;) {
    const next = await call("GET", "/invocation/next");
    if (next.status !== 200) process.exit(0);
    const headers = next.headers;
    const id = headers["lambda-runtime-aws-request-id"];
    currentRequestId = id;
    if (headers["lambda-runtime-trace-id"]) process.env._X_AMZN_TRACE_ID = headers["lambda-runtime-trace-id"];
    else delete process.env._X_AMZN_TRACE_ID;
    let event;
    try {
      event = next.body.length ? JSON.parse(next.body.toString("utf8")) : null;
    } catch (e) {
      await postError(`/invocation/${id}/error`, new Fault("Runtime.UnmarshalError", e.message));
      continue;
    }
    const [err, result] = await runHandler(fn, event, headers);
    if (err !== null && err !== undefined) {
      const body = errorBody(err);
      process.stdout.write(
        `${new Date().toISOString()}\t${id}\tERROR\tInvoke Error \t${JSON.stringify(body).replace(/\n/g, "\r")}\n`,
      );
      await postError(`/invocation/${id}/error`, err);
      continue;
    }
    let data;
    try {
      data = result === undefined ? "null" : JSON.stringify(result);
    } catch (e) {
      await postError(`/invocation/${id}/error`, new Fault("Runtime.MarshalError", `Unable to stringify response body: ${e.message}`));
      continue;
    }
    const res = await call("POST", `/invocation/${id}/response`, data, { "Content-Type": "application/json" });
    if (res.status === 413) process.stdout.write(`${new Date().toISOString()}\t${id}\tERROR\t${res.body.toString()}\n`);
  }
}

main().catch((e) => {
  process.stderr.write(`lamina node bootstrap failed: ${e && e.stack ? e.stack : e}\n`);
  process.exit(1);
});
