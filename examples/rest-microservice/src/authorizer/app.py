"""TOKEN authorizer: `Authorization: Bearer <AUTH_TOKEN>` is allowed, `Bearer deny` is
explicitly denied (API Gateway answers 403), anything else is unauthorized (401)."""
import os


def policy(principal, effect, method_arn):
    # Allow or deny every method of the stage, so the cached answer fits any route.
    arn, _, _ = method_arn.partition("/")
    stage = method_arn.split("/")[1] if "/" in method_arn else "*"
    return {
        "principalId": principal,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [
                {"Action": "execute-api:Invoke", "Effect": effect, "Resource": f"{arn}/{stage}/*"}
            ],
        },
        "context": {"user": principal},
    }


def handler(event, context):
    token = event.get("authorizationToken", "")
    scheme, _, value = token.partition(" ")
    if scheme.lower() != "bearer":
        raise Exception("Unauthorized")
    if value == "deny":
        return policy("denied-user", "Deny", event["methodArn"])
    if value != os.environ["AUTH_TOKEN"]:
        raise Exception("Unauthorized")
    return policy("example-user", "Allow", event["methodArn"])
