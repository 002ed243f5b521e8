"""Items CRUD behind API Gateway (Lambda proxy integration).

POST   /items        create (conditional put: 409 when the id exists)
GET    /items        list
GET    /items/{id}   read (404 when missing)
PUT    /items/{id}   replace (404 when missing)
DELETE /items/{id}   delete (204; 404 when missing)
"""
import decimal
import json
import os
import uuid

import boto3
from botocore.exceptions import ClientError

TABLE = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])


def _default(o):
    if isinstance(o, decimal.Decimal):
        return int(o) if o == o.to_integral_value() else float(o)
    raise TypeError(type(o).__name__)


def respond(status, body=None):
    return {
        "statusCode": status,
        "headers": {
            "content-type": "application/json",
            "x-app-version": os.environ.get("APP_VERSION", ""),
        },
        "body": "" if body is None else json.dumps(body, default=_default),
    }


def conditional_failed(e):
    return e.response["Error"]["Code"] == "ConditionalCheckFailedException"


def handler(event, context):
    method = event["httpMethod"]
    item_id = (event.get("pathParameters") or {}).get("id")
    try:
        body = json.loads(event["body"], parse_float=decimal.Decimal) if event.get("body") else {}
    except ValueError:
        return respond(400, {"message": "body is not JSON"})
    if not isinstance(body, dict):
        return respond(400, {"message": "body must be a JSON object"})

    if item_id is None and method == "GET":
        return respond(200, {"items": TABLE.scan().get("Items", [])})
    if item_id is None and method == "POST":
        item = dict(body, id=str(body.get("id") or uuid.uuid4()))
        try:
            TABLE.put_item(Item=item, ConditionExpression="attribute_not_exists(id)")
        except ClientError as e:
            if conditional_failed(e):
                return respond(409, {"message": f"item {item['id']} already exists"})
            raise
        return respond(201, item)
    if method == "GET":
        item = TABLE.get_item(Key={"id": item_id}).get("Item")
        return respond(200, item) if item else respond(404, {"message": f"item {item_id} not found"})
    if method == "PUT":
        item = dict(body, id=item_id)
        try:
            TABLE.put_item(Item=item, ConditionExpression="attribute_exists(id)")
        except ClientError as e:
            if conditional_failed(e):
                return respond(404, {"message": f"item {item_id} not found"})
            raise
        return respond(200, item)
    if method == "DELETE":
        old = TABLE.delete_item(Key={"id": item_id}, ReturnValues="ALL_OLD").get("Attributes")
        return respond(204) if old else respond(404, {"message": f"item {item_id} not found"})
    return respond(405, {"message": f"{method} is not supported"})
