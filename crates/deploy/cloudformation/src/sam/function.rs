//! `AWS::Serverless::Function` → `AWS::Lambda::Function` plus what its properties imply: the
//! role (`<Fn>Role`), `AutoPublishAlias` (`<Fn>Version<hash>` + `<Fn>Alias<alias>`),
//! `EventInvokeConfig` (`<Fn>EventInvokeConfig`) and one set of resources per event source:
//!
//! | event | resources |
//! |---|---|
//! | Api | a route on the REST API (implicit `ServerlessRestApi`) + `<Fn><Event>Permission` |
//! | HttpApi | a route on the HTTP API (implicit `ServerlessHttpApi`) + `<Fn><Event>Permission` |
//! | SQS, DynamoDB, Kinesis | `<Fn><Event>` EventSourceMapping |
//! | SNS | `<Fn><Event>` Subscription + `<Fn><Event>Permission` |
//! | Schedule | `<Fn><Event>` AWS::Events::Rule + `<Fn><Event>Permission` |

use super::api::{Apis, Route};
use super::{Out, PACKAGED_KEY, TransformContext, alnum, copy_attributes, get_att, hash10};
use super::{literal_str, policies, r#ref};
use serde_json::{Map, Value, json};

/// Properties copied as they are onto `AWS::Lambda::Function`.
const PASS_THROUGH: &[&str] = &[
    "Handler",
    "Runtime",
    "MemorySize",
    "Timeout",
    "Description",
    "FunctionName",
    "Environment",
    "Layers",
    "ReservedConcurrentExecutions",
    "Architectures",
    "VpcConfig",
    "KmsKeyArn",
    "EphemeralStorage",
    "PackageType",
    "ImageConfig",
    "FileSystemConfigs",
    "LoggingConfig",
    "RuntimeManagementConfig",
    "SnapStart",
    "CodeSigningConfigArn",
];

/// `CodeUri`/`InlineCode`/`ImageUri` → the `Code` of `AWS::Lambda::Function`.
pub fn code(props: &Value, uri_key: &str, ctx: &TransformContext) -> Result<Value, String> {
    if let Some(inline) = props.get("InlineCode") {
        return Ok(json!({ "ZipFile": inline }));
    }
    if let Some(image) = props.get("ImageUri") {
        return Ok(json!({ "ImageUri": image }));
    }
    packaged(props.get(uri_key), uri_key, "S3", ctx)
}

/// A `CodeUri`/`ContentUri` value → `{S3Bucket, S3Key}` or the Lamina-packaged zip (a
/// relative local path is zipped from the code root when the server has one).
pub fn packaged(
    v: Option<&Value>,
    key: &str,
    prefix: &str,
    ctx: &TransformContext,
) -> Result<Value, String> {
    let (b, k, ver) = (
        format!("{prefix}Bucket"),
        format!("{prefix}Key"),
        format!("{prefix}ObjectVersion"),
    );
    match v {
        None => Err(format!(
            "Missing required property '{key}' (or 'InlineCode' for functions)"
        )),
        Some(Value::Object(m)) if m.contains_key(PACKAGED_KEY) => {
            Ok(json!({ PACKAGED_KEY: m[PACKAGED_KEY] }))
        }
        Some(Value::Object(m)) if m.contains_key("Bucket") => {
            let mut c = json!({ b.as_str(): m["Bucket"], k.as_str(): m.get("Key").cloned().unwrap_or(Value::Null) });
            if let Some(v) = m.get("Version") {
                c[ver.as_str()] = v.clone();
            }
            Ok(c)
        }
        Some(Value::String(s)) if s.starts_with("s3://") => {
            let rest = &s[5..];
            let (bucket, obj) = rest.split_once('/').unwrap_or((rest, ""));
            Ok(json!({ b.as_str(): bucket, k.as_str(): obj }))
        }
        Some(Value::String(s)) => match &ctx.code_root {
            Some(root) => from_code_root(root, s, key),
            None => Err(format!(
                "'{key}' is the local path '{s}', which only a client can read: deploy with \
                 `lamina deploy` (or run `lamina package` first), which zips it into the template"
            )),
        },
        Some(other) if other.as_object().is_some_and(super::is_intrinsic) => Err(format!(
            "'{key}' must be an S3 location or a local path, not an intrinsic function"
        )),
        Some(_) => Err(format!("'{key}' must be a string or an object")),
    }
}

/// A relative local path read from the code root and zipped (folder, file or zip), or
/// AWS's complaint about a non-S3 URI followed by where Lamina looked.
fn from_code_root(root: &std::path::Path, s: &str, key: &str) -> Result<Value, String> {
    let refused = |why: String| {
        format!(
            "'{key}' is not a valid S3 Uri of the form 's3://bucket/key' with optional versionId \
             query parameter, and Lamina cannot read it from its code root {}: {why}",
            root.display()
        )
    };
    let path = crate::package::under_root(root, s).map_err(refused)?;
    if !path.exists() {
        return Err(refused(format!(
            "'{s}' does not exist (looked for {}); start `lamina serve` with --code-root \
             (LAMINA_CODE_ROOT) set to the template's folder, or package the template with \
             `lamina package`",
            path.display()
        )));
    }
    let zip = crate::package::zip_path(&path, crate::package::MAX_SERVER_ZIP).map_err(refused)?;
    Ok(crate::package::packaged_value(&zip))
}

/// Expands one function.
pub fn expand(
    id: &str,
    r: &Value,
    ctx: &TransformContext,
    out: &mut Out,
    apis: &mut Apis,
) -> Result<(), String> {
    let empty = json!({});
    let props = r.get("Properties").unwrap_or(&empty);
    if !props.is_object() {
        return Err("'Properties' must be a map".into());
    }
    let mut f = Map::new();
    f.insert("Code".into(), code(props, "CodeUri", ctx)?);
    for k in PASS_THROUGH {
        if let Some(v) = props.get(*k) {
            f.insert((*k).to_string(), v.clone());
        }
    }
    if let Some(t) = props.get("Tracing") {
        f.insert("TracingConfig".into(), json!({ "Mode": t }));
    }
    let mut tags = vec![json!({ "Key": "lambda:createdBy", "Value": "SAM" })];
    for (k, v) in props["Tags"].as_object().into_iter().flatten() {
        tags.push(json!({ "Key": k, "Value": v }));
    }
    f.insert("Tags".into(), Value::Array(tags));
    let mut role_statements = Vec::new();
    if let Some(dlq) = props.get("DeadLetterQueue") {
        let target = dlq
            .get("TargetArn")
            .ok_or("DeadLetterQueue needs 'TargetArn'")?;
        let action = match dlq["Type"].as_str() {
            Some("SQS") => "sqs:SendMessage",
            Some("SNS") => "sns:Publish",
            _ => return Err("DeadLetterQueue 'Type' must be SQS or SNS".into()),
        };
        f.insert("DeadLetterConfig".into(), json!({ "TargetArn": target }));
        role_statements.push(json!({ "Effect": "Allow", "Action": [action], "Resource": target }));
    }

    // Where invocations go: the alias when AutoPublishAlias is set.
    let alias = match props.get("AutoPublishAlias") {
        Some(v) => {
            Some(literal_str(v, ctx).ok_or("'AutoPublishAlias' must be a string or a parameter")?)
        }
        None => None,
    };
    let alias_id = alias.as_ref().map(|a| format!("{id}Alias{}", alnum(a)));
    let target_ref = match &alias_id {
        Some(a) => r#ref(a),
        None => r#ref(id),
    };
    let target_arn_sub = match &alias_id {
        Some(a) => format!("${{{a}}}"),
        None => format!("${{{id}.Arn}}"),
    };
    let target_arn = match &alias_id {
        Some(a) => r#ref(a),
        None => get_att(id, "Arn"),
    };

    let events: Vec<(String, Value)> = props["Events"]
        .as_object()
        .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default();
    for (ev_id, ev) in &events {
        let ep = ev.get("Properties").cloned().unwrap_or_else(|| json!({}));
        let kind = ev["Type"].as_str().unwrap_or_default();
        let res_id = format!("{id}{ev_id}");
        let permission = |principal: &str, source: Value| {
            json!({
                "Action": "lambda:InvokeFunction",
                "FunctionName": target_ref,
                "Principal": principal,
                "SourceArn": source,
            })
        };
        match kind {
            "Api" => {
                let route = Route::from_event(ev_id, &ep, &target_arn_sub, "ServerlessRestApi")?;
                let source = json!({ "Fn::Sub": [
                    format!("arn:${{AWS::Partition}}:execute-api:${{AWS::Region}}:${{AWS::AccountId}}:${{__ApiId__}}/*/{}{}",
                        route.method_for_arn(), route.path_for_arn()),
                    { "__ApiId__": r#ref(&route.api) },
                ]});
                out.add_typed(
                    &format!("{res_id}Permission"),
                    "AWS::Lambda::Permission",
                    permission("apigateway.amazonaws.com", source),
                    r,
                );
                apis.add_rest_route(route);
            }
            "HttpApi" => {
                let mut ep = ep.clone();
                if ep.get("Path").is_none() {
                    ep["Path"] = json!("$default");
                    ep["Method"] = json!("ANY");
                }
                let route = Route::from_event(ev_id, &ep, &target_arn_sub, "ServerlessHttpApi")?;
                let source = json!({ "Fn::Sub": [
                    "arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${__ApiId__}/*",
                    { "__ApiId__": r#ref(&route.api) },
                ]});
                out.add_typed(
                    &format!("{res_id}Permission"),
                    "AWS::Lambda::Permission",
                    permission("apigateway.amazonaws.com", source),
                    r,
                );
                apis.add_http_route(route);
            }
            "SQS" | "DynamoDB" | "Kinesis" => {
                let source_key = if kind == "SQS" { "Queue" } else { "Stream" };
                let source = ep
                    .get(source_key)
                    .ok_or_else(|| format!("Event '{ev_id}' needs the property '{source_key}'"))?;
                let mut m = json!({ "EventSourceArn": source, "FunctionName": target_ref });
                for k in [
                    "BatchSize",
                    "Enabled",
                    "MaximumBatchingWindowInSeconds",
                    "FilterCriteria",
                    "FunctionResponseTypes",
                    "ScalingConfig",
                    "StartingPosition",
                    "StartingPositionTimestamp",
                    "MaximumRetryAttempts",
                    "BisectBatchOnFunctionError",
                    "MaximumRecordAgeInSeconds",
                    "DestinationConfig",
                    "ParallelizationFactor",
                    "TumblingWindowInSeconds",
                ] {
                    if let Some(v) = ep.get(k) {
                        m[k] = v.clone();
                    }
                }
                if kind != "SQS" && m.get("StartingPosition").is_none() {
                    return Err(format!("Event '{ev_id}' needs 'StartingPosition'"));
                }
                let actions: &[&str] = if kind == "SQS" {
                    &[
                        "sqs:ReceiveMessage",
                        "sqs:DeleteMessage",
                        "sqs:GetQueueAttributes",
                    ]
                } else if kind == "DynamoDB" {
                    &[
                        "dynamodb:DescribeStream",
                        "dynamodb:GetRecords",
                        "dynamodb:GetShardIterator",
                        "dynamodb:ListStreams",
                    ]
                } else {
                    &[
                        "kinesis:DescribeStream",
                        "kinesis:GetRecords",
                        "kinesis:GetShardIterator",
                        "kinesis:ListShards",
                    ]
                };
                role_statements
                    .push(json!({ "Effect": "Allow", "Action": actions, "Resource": source }));
                out.add_typed(&res_id, "AWS::Lambda::EventSourceMapping", m, r);
            }
            "SNS" => {
                let topic = ep
                    .get("Topic")
                    .ok_or_else(|| format!("Event '{ev_id}' needs 'Topic'"))?;
                let mut s =
                    json!({ "Endpoint": target_arn, "Protocol": "lambda", "TopicArn": topic });
                for k in [
                    "FilterPolicy",
                    "FilterPolicyScope",
                    "Region",
                    "RedrivePolicy",
                ] {
                    if let Some(v) = ep.get(k) {
                        s[k] = v.clone();
                    }
                }
                out.add_typed(&res_id, "AWS::SNS::Subscription", s, r);
                out.add_typed(
                    &format!("{res_id}Permission"),
                    "AWS::Lambda::Permission",
                    permission("sns.amazonaws.com", topic.clone()),
                    r,
                );
            }
            "Schedule" | "ScheduleV2" => {
                let expr = ep
                    .get("Schedule")
                    .or_else(|| ep.get("ScheduleExpression"))
                    .ok_or_else(|| format!("Event '{ev_id}' needs 'Schedule'"))?;
                if let Some(s) = expr.as_str()
                    && (!(s.starts_with("rate(") || s.starts_with("cron(")) || !s.ends_with(')'))
                {
                    return Err(format!(
                        "Event '{ev_id}': '{s}' is not a rate(...) or cron(...) expression"
                    ));
                }
                let enabled = ep.get("Enabled").and_then(Value::as_bool).unwrap_or(true);
                let mut target =
                    json!({ "Arn": target_arn, "Id": format!("{res_id}LambdaTarget") });
                if let Some(i) = ep.get("Input") {
                    target["Input"] = i.clone();
                }
                let mut rule = json!({
                    "ScheduleExpression": expr,
                    "State": ep.get("State").cloned().unwrap_or(json!(if enabled { "ENABLED" } else { "DISABLED" })),
                    "Targets": [target],
                });
                for k in ["Name", "Description"] {
                    if let Some(v) = ep.get(k) {
                        rule[k] = v.clone();
                    }
                }
                out.add_typed(&res_id, "AWS::Events::Rule", rule, r);
                out.add_typed(
                    &format!("{res_id}Permission"),
                    "AWS::Lambda::Permission",
                    permission("events.amazonaws.com", get_att(&res_id, "Arn")),
                    r,
                );
            }
            other => {
                return Err(format!(
                    "Event '{ev_id}' has the type '{other}', which Lamina does not support \
                     (supported: Api, HttpApi, SQS, SNS, DynamoDB, Kinesis, Schedule)"
                ));
            }
        }
    }

    match props.get("Role") {
        Some(role) => {
            f.insert("Role".into(), role.clone());
        }
        None => {
            let role = policies::role(id, props.get("Policies"), role_statements, Vec::new(), ctx)?;
            out.add_typed(&format!("{id}Role"), "AWS::IAM::Role", role, r);
            f.insert("Role".into(), get_att(&format!("{id}Role"), "Arn"));
        }
    }

    let code_hash = hash10(&Value::Object(f.clone()));
    let mut main = json!({ "Type": "AWS::Lambda::Function", "Properties": Value::Object(f) });
    copy_attributes(r, &mut main);
    out.add(id, main);

    if let (Some(alias), Some(alias_id)) = (&alias, &alias_id) {
        let version_id = format!("{id}Version{code_hash}");
        let mut v = json!({ "FunctionName": r#ref(id) });
        if let Some(d) = props.get("VersionDescription") {
            v["Description"] = d.clone();
        }
        let mut version = json!({
            "Type": "AWS::Lambda::Version",
            "DeletionPolicy": "Retain",
            "Properties": v,
        });
        if let Some(c) = r.get("Condition") {
            version["Condition"] = c.clone();
        }
        out.add(&version_id, version);
        out.add_typed(
            alias_id,
            "AWS::Lambda::Alias",
            json!({
                "Name": alias,
                "FunctionName": r#ref(id),
                "FunctionVersion": get_att(&version_id, "Version"),
            }),
            r,
        );
    }

    if let Some(cfg) = props.get("EventInvokeConfig") {
        let mut c = json!({
            "FunctionName": r#ref(id),
            "Qualifier": alias.clone().unwrap_or_else(|| "$LATEST".into()),
        });
        for k in ["MaximumEventAgeInSeconds", "MaximumRetryAttempts"] {
            if let Some(v) = cfg.get(k) {
                c[k] = v.clone();
            }
        }
        if let Some(d) = cfg.get("DestinationConfig") {
            let mut dc = json!({});
            for k in ["OnSuccess", "OnFailure"] {
                if let Some(dest) = d.get(k) {
                    let arn = dest.get("Destination").ok_or_else(|| {
                        format!(
                            "EventInvokeConfig {k} needs 'Destination' (Lamina does not create \
                             destination queues or topics)"
                        )
                    })?;
                    dc[k] = json!({ "Destination": arn });
                }
            }
            c["DestinationConfig"] = dc;
        }
        let mut eic = json!({ "Type": "AWS::Lambda::EventInvokeConfig", "Properties": c });
        if let Some(a) = &alias_id {
            eic["DependsOn"] = json!([a]);
        }
        if let Some(cond) = r.get("Condition") {
            eic["Condition"] = cond.clone();
        }
        out.add(&format!("{id}EventInvokeConfig"), eic);
    }
    Ok(())
}
