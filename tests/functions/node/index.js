// Node.js test functions for Lamina's Lambda compatibility suite
// (tests/compat/test_lambda_invoke.py). A function picks a handler with its Handler setting
// (`index.echo`, `index.throws`, ...). Written against AWS's documented Node.js programming
// model: async handlers, callback handlers, and the context object.
'use strict';

// Module-level state survives between invocations in a warm execution environment.
let count = 0;
const initPid = process.pid;

function describe(context) {
  return {
    functionName: context.functionName,
    functionVersion: context.functionVersion,
    invokedFunctionArn: context.invokedFunctionArn,
    memoryLimitInMB: Number(context.memoryLimitInMB),
    requestId: context.awsRequestId,
    logGroupName: context.logGroupName,
    logStreamName: context.logStreamName,
    remainingMs: context.getRemainingTimeInMillis(),
  };
}

// The event back, the context fields, and the warm-reuse counter.
exports.echo = async (event, context) => {
  count += 1;
  if (event && event.marker) console.log(`echo marker ${event.marker}`);
  return { event, count, pid: initPid, runtime: 'node', node: process.version, ...describe(context) };
};

// Throws: FunctionError=Unhandled with errorType/errorMessage/trace as the Node.js runtime reports.
exports.throws = async (event) => {
  throw new Error((event && event.message) || 'boom');
};

// An async handler that awaits before answering.
exports.asyncHandler = async (event) => {
  const ms = (event && event.ms) || 20;
  await new Promise((resolve) => setTimeout(resolve, ms));
  count += 1;
  return { waited: ms, count, runtime: 'node' };
};

// A callback-style handler (non-async, three arguments).
exports.callbackHandler = (event, context, callback) => {
  count += 1;
  setTimeout(() => {
    if (event && event.fail) {
      callback(new TypeError(event.fail));
    } else {
      callback(null, { callback: true, event, count, requestId: context.awsRequestId });
    }
  }, 5);
};
