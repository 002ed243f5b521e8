//! A function's `Policies` → the IAM role SAM generates (`<Fn>Role`).
//!
//! Each item is an AWS managed policy name or ARN (→ `ManagedPolicyArns`), an inline policy
//! document (`{Statement: ...}`), or a SAM policy template (`{DynamoDBCrudPolicy:
//! {TableName: ...}}`) expanded into statements the way SAM's policy_templates.json writes
//! them. IAM is stored only in Lamina (not enforced) but the role carries what AWS's would.

use super::{TransformContext, sub};
use serde_json::{Map, Value, json};

/// The role of a function without `Role`: trust policy for Lambda, the basic execution role,
/// then the function's `Policies`.
pub fn role(
    fn_id: &str,
    policies: Option<&Value>,
    extra_statements: Vec<Value>,
    extra_managed: Vec<Value>,
    _ctx: &TransformContext,
) -> Result<Value, String> {
    let mut managed: Vec<Value> = vec![json!(
        "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
    )];
    managed.extend(extra_managed);
    let mut inline: Vec<Value> = Vec::new();
    let items: Vec<Value> = match policies {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(a)) => a.clone(),
        Some(v) => vec![v.clone()],
    };
    let mut template_statements: Vec<Value> = Vec::new();
    for (i, p) in items.iter().enumerate() {
        match p {
            Value::String(name) => managed.push(managed_arn(name)),
            Value::Object(m) if m.contains_key("Statement") => inline.push(json!({
                "PolicyName": format!("{fn_id}RolePolicy{i}"),
                "PolicyDocument": p,
            })),
            Value::Object(m) if super::is_intrinsic(m) => managed.push(p.clone()),
            Value::Object(m) if m.len() == 1 => {
                let (name, params) = m.iter().next().ok_or("empty policy")?;
                let statements = template(name, params)?;
                inline.push(json!({
                    "PolicyName": format!("{fn_id}RolePolicy{i}"),
                    "PolicyDocument": { "Statement": statements },
                }));
            }
            _ => {
                return Err(format!(
                    "Policies item {i} is not a policy name, document or template"
                ));
            }
        }
    }
    template_statements.extend(extra_statements);
    if !template_statements.is_empty() {
        inline.push(json!({
            "PolicyName": format!("{fn_id}RolePolicyEvents"),
            "PolicyDocument": { "Version": "2012-10-17", "Statement": template_statements },
        }));
    }
    let mut props = json!({
        "AssumeRolePolicyDocument": {
            "Version": "2012-10-17",
            "Statement": [{
                "Effect": "Allow",
                "Action": ["sts:AssumeRole"],
                "Principal": { "Service": ["lambda.amazonaws.com"] },
            }],
        },
        "ManagedPolicyArns": managed,
        "Tags": [{ "Key": "lambda:createdBy", "Value": "SAM" }],
    });
    if !inline.is_empty() {
        props["Policies"] = Value::Array(inline);
    }
    Ok(props)
}

/// `AmazonDynamoDBFullAccess` → its ARN; an ARN (or intrinsic) stays.
fn managed_arn(name: &str) -> Value {
    if name.starts_with("arn:") {
        json!(name)
    } else {
        sub(&format!("arn:${{AWS::Partition}}:iam::aws:policy/{name}"))
    }
}

/// A template parameter: `${Name}` in the template's resource pattern.
fn param(params: &Value, name: &str, template: &str) -> Result<Value, String> {
    params
        .get(name)
        .cloned()
        .ok_or_else(|| format!("Policy template '{template}' needs the parameter '{name}'"))
}

/// `Fn::Sub` with the template's parameter bound.
fn sub_with(pattern: &str, vars: &[(&str, Value)]) -> Value {
    let mut m = Map::new();
    for (k, v) in vars {
        m.insert((*k).to_string(), v.clone());
    }
    json!({ "Fn::Sub": [pattern, m] })
}

fn allow(actions: &[&str], resources: Vec<Value>) -> Value {
    json!({ "Effect": "Allow", "Action": actions, "Resource": resources })
}

/// The statements of one SAM policy template.
pub fn template(name: &str, params: &Value) -> Result<Vec<Value>, String> {
    let table = |p: &str| -> Result<Vec<Value>, String> {
        let t = param(params, "TableName", name)?;
        Ok(vec![
            sub_with(
                "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/${tableName}",
                &[("tableName", t.clone())],
            ),
            sub_with(
                &format!(
                    "arn:${{AWS::Partition}}:dynamodb:${{AWS::Region}}:${{AWS::AccountId}}:table/${{tableName}}{p}"
                ),
                &[("tableName", t)],
            ),
        ])
    };
    let queue = || -> Result<Value, String> {
        let q = param(params, "QueueName", name)?;
        Ok(sub_with(
            "arn:${AWS::Partition}:sqs:${AWS::Region}:${AWS::AccountId}:${queueName}",
            &[("queueName", q)],
        ))
    };
    let function = || -> Result<Value, String> {
        let f = param(params, "FunctionName", name)?;
        Ok(sub_with(
            "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:${functionName}*",
            &[("functionName", f)],
        ))
    };
    let bucket = || -> Result<Vec<Value>, String> {
        let b = param(params, "BucketName", name)?;
        Ok(vec![
            sub_with(
                "arn:${AWS::Partition}:s3:::${bucketName}",
                &[("bucketName", b.clone())],
            ),
            sub_with(
                "arn:${AWS::Partition}:s3:::${bucketName}/*",
                &[("bucketName", b)],
            ),
        ])
    };
    Ok(match name {
        "DynamoDBCrudPolicy" => vec![allow(
            &[
                "dynamodb:GetItem",
                "dynamodb:DeleteItem",
                "dynamodb:PutItem",
                "dynamodb:Scan",
                "dynamodb:Query",
                "dynamodb:UpdateItem",
                "dynamodb:BatchWriteItem",
                "dynamodb:BatchGetItem",
                "dynamodb:DescribeTable",
                "dynamodb:ConditionCheckItem",
            ],
            table("/index/*")?,
        )],
        "DynamoDBReadPolicy" => vec![allow(
            &[
                "dynamodb:GetItem",
                "dynamodb:Scan",
                "dynamodb:Query",
                "dynamodb:BatchGetItem",
                "dynamodb:DescribeTable",
            ],
            table("/index/*")?,
        )],
        "DynamoDBWritePolicy" => vec![allow(
            &[
                "dynamodb:PutItem",
                "dynamodb:UpdateItem",
                "dynamodb:BatchWriteItem",
            ],
            table("/index/*")?,
        )],
        "DynamoDBStreamReadPolicy" => vec![allow(
            &[
                "dynamodb:DescribeStream",
                "dynamodb:GetRecords",
                "dynamodb:GetShardIterator",
                "dynamodb:ListStreams",
            ],
            table("/stream/*")?,
        )],
        "SQSPollerPolicy" => vec![allow(
            &[
                "sqs:ChangeMessageVisibility",
                "sqs:ChangeMessageVisibilityBatch",
                "sqs:DeleteMessage",
                "sqs:DeleteMessageBatch",
                "sqs:GetQueueAttributes",
                "sqs:ReceiveMessage",
            ],
            vec![queue()?],
        )],
        "SQSSendMessagePolicy" => vec![allow(
            &["sqs:SendMessage*", "sqs:ChangeMessageVisibility"],
            vec![queue()?],
        )],
        "SNSPublishMessagePolicy" => {
            let t = param(params, "TopicName", name)?;
            vec![allow(
                &["sns:Publish"],
                vec![sub_with(
                    "arn:${AWS::Partition}:sns:${AWS::Region}:${AWS::AccountId}:${topicName}",
                    &[("topicName", t)],
                )],
            )]
        }
        "LambdaInvokePolicy" => vec![allow(&["lambda:InvokeFunction"], vec![function()?])],
        "S3ReadPolicy" => vec![allow(
            &[
                "s3:GetObject",
                "s3:ListBucket",
                "s3:GetBucketLocation",
                "s3:GetObjectVersion",
            ],
            bucket()?,
        )],
        "S3WritePolicy" => vec![allow(
            &[
                "s3:PutObject",
                "s3:PutObjectAcl",
                "s3:PutLifecycleConfiguration",
            ],
            bucket()?,
        )],
        "S3CrudPolicy" => vec![allow(
            &[
                "s3:GetObject",
                "s3:ListBucket",
                "s3:GetBucketLocation",
                "s3:GetObjectVersion",
                "s3:PutObject",
                "s3:PutObjectAcl",
                "s3:GetLifecycleConfiguration",
                "s3:PutLifecycleConfiguration",
                "s3:DeleteObject",
            ],
            bucket()?,
        )],
        "SSMParameterReadPolicy" => {
            let p = param(params, "ParameterName", name)?;
            vec![allow(
                &[
                    "ssm:DescribeParameters",
                    "ssm:GetParameters",
                    "ssm:GetParameter",
                    "ssm:GetParametersByPath",
                ],
                vec![sub_with(
                    "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/${parameterName}",
                    &[("parameterName", p)],
                )],
            )]
        }
        "CloudWatchPutMetricPolicy" => vec![allow(&["cloudwatch:PutMetricData"], vec![json!("*")])],
        "AWSSecretsManagerGetSecretValuePolicy" => vec![allow(
            &["secretsmanager:GetSecretValue"],
            vec![param(params, "SecretArn", name)?],
        )],
        "StepFunctionsExecutionPolicy" => {
            let s = param(params, "StateMachineName", name)?;
            vec![allow(
                &["states:StartExecution"],
                vec![sub_with(
                    "arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:stateMachine:${stateMachineName}",
                    &[("stateMachineName", s)],
                )],
            )]
        }
        "KMSDecryptPolicy" => {
            let k = param(params, "KeyId", name)?;
            vec![allow(
                &["kms:Decrypt"],
                vec![sub_with(
                    "arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:key/${keyId}",
                    &[("keyId", k)],
                )],
            )]
        }
        "EventBridgePutEventsPolicy" => {
            let b = param(params, "EventBusName", name)?;
            vec![allow(
                &["events:PutEvents"],
                vec![sub_with(
                    "arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:event-bus/${eventBusName}",
                    &[("eventBusName", b)],
                )],
            )]
        }
        "VPCAccessPolicy" => vec![allow(
            &[
                "ec2:CreateNetworkInterface",
                "ec2:DeleteNetworkInterface",
                "ec2:DescribeNetworkInterfaces",
                "ec2:DetachNetworkInterface",
            ],
            vec![json!("*")],
        )],
        other => {
            return Err(format!(
                "Policy template '{other}' is not supported by Lamina (supported: \
                 DynamoDBCrudPolicy, DynamoDBReadPolicy, DynamoDBWritePolicy, \
                 DynamoDBStreamReadPolicy, SQSPollerPolicy, SQSSendMessagePolicy, \
                 SNSPublishMessagePolicy, LambdaInvokePolicy, S3ReadPolicy, S3WritePolicy, \
                 S3CrudPolicy, SSMParameterReadPolicy, CloudWatchPutMetricPolicy, \
                 AWSSecretsManagerGetSecretValuePolicy, StepFunctionsExecutionPolicy, \
                 KMSDecryptPolicy, EventBridgePutEventsPolicy, VPCAccessPolicy)"
            ));
        }
    })
}
