"""The Serverless Lens's failure path, end to end with boto3 against a running Lamina:

SNS topic → SQS queue (RedrivePolicy to a dead-letter queue, maxReceiveCount 2, a short
VisibilityTimeout) → Lambda through an event source mapping with ReportBatchItemFailures,
whose function fails on some records → only those records are retried → after
maxReceiveCount they are in the dead-letter queue → the function is fixed (an environment
variable flip) → StartMessageMoveTask redrives them to the source queue, where they succeed.

The function is a Python handler built here with zipfile; it unwraps the SNS envelope and
prints what it saw (message, receive count, outcome) to its log, which the test reads back
with FilterLogEvents (a function cannot write to the test's files: its root is read-only).
Every wait is bounded; the whole test takes well under a minute.
"""
import io
import json
import time
import uuid
import zipfile

import pytest

from lambda_helpers import host_python_runtime, logged, poll

ROLE = "arn:aws:iam::000000000000:role/lamina-compat-failure-path"

HANDLER = '''
import json, os
def handler(event, context):
    fail_on = os.environ.get("FAIL_ON", "")
    failures = []
    for r in event["Records"]:
        message = json.loads(r["body"])["Message"]
        failed = bool(fail_on) and fail_on in message
        print("SEEN " + json.dumps({"message": message, "failed": failed,
                                    "count": r["attributes"]["ApproximateReceiveCount"]}))
        if failed:
            failures.append({"itemIdentifier": r["messageId"]})
    return {"batchItemFailures": failures}
'''


def function_zip():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("handler.py", HANDLER)
    return buf.getvalue()


def test_failure_path_retry_dead_letter_and_redrive(client):
    t0 = time.monotonic()
    lam, sqs, sns, logs = client("lambda"), client("sqs"), client("sns"), client("logs")
    tag = uuid.uuid4().hex[:8]

    def attr(url, name):
        return sqs.get_queue_attributes(QueueUrl=url, AttributeNames=[name])["Attributes"][name]

    def depth(url):
        a = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=[
            "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
        return int(a["ApproximateNumberOfMessages"]) + int(a["ApproximateNumberOfMessagesNotVisible"])

    def seen():
        return logged(logs, name)

    dlq = sqs.create_queue(QueueName=f"lens-dlq-{tag}")["QueueUrl"]
    dlq_arn = attr(dlq, "QueueArn")
    src = sqs.create_queue(QueueName=f"lens-src-{tag}", Attributes={
        "VisibilityTimeout": "2",
        "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 2}),
    })["QueueUrl"]
    src_arn = attr(src, "QueueArn")
    topic = sns.create_topic(Name=f"lens-topic-{tag}")["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=src_arn)

    name = f"lens-fn-{tag}"
    lam.create_function(FunctionName=name, Runtime=host_python_runtime(), Role=ROLE,
                        Handler="handler.handler", Code={"ZipFile": function_zip()}, Timeout=10,
                        Environment={"Variables": {"FAIL_ON": "bad"}})
    poll(lambda: lam.get_function(FunctionName=name)["Configuration"]["State"] == "Active",
         what="function active")
    mapping = lam.create_event_source_mapping(
        EventSourceArn=src_arn, FunctionName=name, BatchSize=10,
        FunctionResponseTypes=["ReportBatchItemFailures"])["UUID"]
    try:
        poll(lambda: lam.get_event_source_mapping(UUID=mapping)["State"] == "Enabled",
             what="mapping enabled")

        messages = ["good-1", "bad-2", "good-3", "bad-4"]
        for m in messages:
            sns.publish(TopicArn=topic, Message=m)

        # the good records succeed once; the bad ones are retried until maxReceiveCount, then
        # SQS moves them to the dead-letter queue
        poll(lambda: depth(dlq) == 2, timeout=25, what="the two failing records in the DLQ")
        poll(lambda: depth(src) == 0, what="the source queue drained")
        log = seen()
        for good in ("good-1", "good-3"):
            assert [e["failed"] for e in log if e["message"] == good] == [False], log
        for bad in ("bad-2", "bad-4"):
            attempts = [e for e in log if e["message"] == bad]
            assert [e["failed"] for e in attempts] == [True, True], log
            assert [e["count"] for e in attempts] == ["1", "2"], log

        # what sits in the DLQ is the SNS envelope of each failing message
        peek = sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10, VisibilityTimeout=0,
                                   MessageSystemAttributeNames=["All"])["Messages"]
        assert sorted(json.loads(m["Body"])["Message"] for m in peek) == ["bad-2", "bad-4"]
        assert all(m["Attributes"]["DeadLetterQueueSourceArn"] == src_arn for m in peek)

        # fix the function, then redrive the DLQ back to its source
        lam.update_function_configuration(FunctionName=name, Environment={
            "Variables": {"FAIL_ON": ""}})
        poll(lambda: lam.get_function(FunctionName=name)["Configuration"].get("LastUpdateStatus")
             in (None, "Successful"), what="configuration updated")
        task = sqs.start_message_move_task(SourceArn=dlq_arn)
        assert task["TaskHandle"]
        poll(lambda: depth(dlq) == 0, timeout=15, what="the DLQ redriven")
        poll(lambda: all(any(e["message"] == bad and not e["failed"] for e in seen())
                         for bad in ("bad-2", "bad-4")), timeout=15, what="redriven records succeed")
        poll(lambda: depth(src) == 0, what="the source queue drained after the redrive")
        tasks = sqs.list_message_move_tasks(SourceArn=dlq_arn)["Results"]
        assert tasks[0]["Status"] == "COMPLETED"
        assert tasks[0]["ApproximateNumberOfMessagesMoved"] == 2
        assert time.monotonic() - t0 < 60
    finally:
        lam.delete_event_source_mapping(UUID=mapping)
        lam.delete_function(FunctionName=name)
        for url in (src, dlq):
            sqs.delete_queue(QueueUrl=url)
        sns.delete_topic(TopicArn=topic)
