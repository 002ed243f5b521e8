//! `lamina package`, `lamina deploy` and `lamina delete`: SAM/CloudFormation templates from the
//! command line, against a running Lamina.
//!
//! `package` parses the template with the engine's own parser (YAML short-form tags become
//! their `Fn::` long forms), zips every local `CodeUri`/`ContentUri` (SAM) and `Code`/`Content`
//! (plain Lambda) path into the `{"LaminaZipBase64": ...}` extension, inlines local
//! `DefinitionUri`/`BodyS3Location` files as `DefinitionBody`/`Body`, and writes JSON — no
//! S3 bucket needed. `deploy` packages in memory, then takes the path `aws cloudformation
//! deploy` takes: CreateChangeSet (CREATE or UPDATE after DescribeStacks) → wait →
//! ExecuteChangeSet, streaming DescribeStackEvents until the stack settles, and ends with
//! the Outputs. `delete` deletes the stack and streams its events.
//!
//! The CloudFormation query protocol goes over [`crate::cli::request`]: form POSTs
//! (`Action=...&Version=2010-05-15`, lists as `Parameters.member.N.ParameterKey`), unsigned
//! (the gateway detects the service by `Version`), XML answers read with the wire layer's
//! small element tree.

use crate::cli::request;
use anyhow::Context;
use lamina_wire::rest_xml::read::{Node, parse_tree};
use std::time::Duration;

mod package;

pub use package::package_file;

/// A parsed deployment command.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    Package {
        template: String,
        output: Option<String>,
    },
    Deploy {
        template: String,
        stack: String,
        parameters: Vec<(String, String)>,
        capabilities: Vec<String>,
        endpoint: String,
    },
    Delete {
        stack: String,
        endpoint: String,
    },
}

/// The template used when none is named (as `sam deploy` looks for it).
fn default_template() -> String {
    ["template.yaml", "template.yml", "template.json"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())
        .unwrap_or("template.yaml")
        .to_string()
}

/// Parses `package|deploy|delete ...` (the command word first). `env` is injected for tests.
pub fn parse(args: &[String], env: impl Fn(&str) -> Option<String>) -> Result<Command, String> {
    let (cmd, rest) = args.split_first().ok_or("missing command")?;
    let mut template = None;
    let mut output = None;
    let mut stack = None;
    let mut endpoint = None;
    let mut parameters = Vec::new();
    let mut capabilities = Vec::new();
    let mut i = 0;
    while i < rest.len() {
        let arg = &rest[i];
        i += 1;
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f, Some(v.to_string())),
            _ => (arg.as_str(), None),
        };
        // Flags that take every following word up to the next flag.
        let mut many = |inline: Option<String>| {
            let mut v: Vec<String> = inline.into_iter().collect();
            while i < rest.len() && !rest[i].starts_with("--") {
                v.push(rest[i].clone());
                i += 1;
            }
            v
        };
        match flag {
            "--parameter-overrides" if cmd == "deploy" => {
                for p in many(inline) {
                    parameters.push(parameter(&p)?);
                }
            }
            "--capabilities" if cmd == "deploy" => capabilities.extend(many(inline)),
            // Accepted for `aws cloudformation deploy` compatibility: an empty change set
            // never fails `lamina deploy`.
            "--no-fail-on-empty-changeset" | "--fail-on-empty-changeset" => {}
            _ => {
                let value = match inline {
                    Some(v) => Some(v),
                    None if flag.starts_with("--") => {
                        let v = rest.get(i).cloned();
                        i += 1;
                        v
                    }
                    None => None,
                };
                let need = || value.clone().ok_or_else(|| format!("{flag} needs a value"));
                match flag {
                    "--template-file" | "--template" | "-t" if cmd != "delete" => {
                        template = Some(need()?)
                    }
                    "--output-template-file" if cmd == "package" => output = Some(need()?),
                    "--stack-name" if cmd != "package" => stack = Some(need()?),
                    "--endpoint" | "--endpoint-url" if cmd != "package" => endpoint = Some(need()?),
                    f if f.starts_with('-') => return Err(format!("unknown option: {f}")),
                    _ if template.is_none() && cmd != "delete" => template = Some(arg.clone()),
                    _ => return Err(format!("unexpected argument: {arg}")),
                }
            }
        }
    }
    let endpoint = endpoint
        .or_else(|| env("LAMINA_ENDPOINT"))
        .or_else(|| env("AWS_ENDPOINT_URL"))
        .unwrap_or_else(|| "http://127.0.0.1:4566".into());
    let template = template.unwrap_or_else(default_template);
    match cmd.as_str() {
        "package" => Ok(Command::Package { template, output }),
        "deploy" => Ok(Command::Deploy {
            template,
            stack: stack.ok_or("missing --stack-name")?,
            parameters,
            capabilities: if capabilities.is_empty() {
                vec!["CAPABILITY_IAM".into(), "CAPABILITY_AUTO_EXPAND".into()]
            } else {
                capabilities
            },
            endpoint,
        }),
        "delete" => Ok(Command::Delete {
            stack: stack.ok_or("missing --stack-name")?,
            endpoint,
        }),
        other => Err(format!("unknown command: {other}")),
    }
}

/// `K=V` or the AWS CLI's `ParameterKey=K,ParameterValue=V`.
fn parameter(p: &str) -> Result<(String, String), String> {
    if let Some(rest) = p.strip_prefix("ParameterKey=")
        && let Some((k, v)) = rest.split_once(",ParameterValue=")
    {
        return Ok((k.to_string(), v.to_string()));
    }
    match p.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
        _ => Err(format!(
            "--parameter-overrides expects KEY=VALUE, got '{p}'"
        )),
    }
}

/// Runs a deployment command; the process exit code (errors are printed, never returned).
pub fn run(cmd: Command) -> anyhow::Result<i32> {
    let result = match cmd {
        Command::Package { template, output } => package_cmd(&template, output.as_deref()),
        other => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(anyhow::Error::from)
            .and_then(|rt| {
                rt.block_on(async move {
                    match other {
                        Command::Deploy {
                            template,
                            stack,
                            parameters,
                            capabilities,
                            endpoint,
                        } => {
                            let cfn = Cfn { endpoint };
                            deploy(&cfn, &template, &stack, &parameters, &capabilities).await
                        }
                        Command::Delete { stack, endpoint } => {
                            delete(&Cfn { endpoint }, &stack).await
                        }
                        Command::Package { .. } => Ok(2), // handled above
                    }
                })
            }),
    };
    match result {
        Ok(code) => Ok(code),
        Err(e) => {
            eprintln!("lamina: {e:#}");
            Ok(1)
        }
    }
}

fn package_cmd(template: &str, output: Option<&str>) -> anyhow::Result<i32> {
    let packaged = package_file(std::path::Path::new(template))?;
    let text = serde_json::to_string_pretty(&packaged)?;
    match output {
        Some(path) => {
            std::fs::write(path, text.as_bytes()).with_context(|| format!("writing {path}"))?;
            eprintln!("Successfully packaged artifacts and wrote output template to file {path}.");
        }
        None => println!("{text}"),
    }
    Ok(0)
}

/// An error answer of the query protocol.
#[derive(Debug)]
struct AwsError {
    code: String,
    message: String,
}

impl std::fmt::Display for AwsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for AwsError {}

/// A CloudFormation client over the query protocol.
struct Cfn {
    endpoint: String,
}

impl Cfn {
    /// Calls `action`; the `<ActionResult>` element, or the error answer as [`AwsError`].
    async fn call(&self, action: &str, params: &[(String, String)]) -> anyhow::Result<Node> {
        let mut body = format!("Action={action}&Version=2010-05-15");
        for (k, v) in params {
            body.push('&');
            body.push_str(&form_encode(k));
            body.push('=');
            body.push_str(&form_encode(v));
        }
        let resp = request(
            &self.endpoint,
            "POST",
            "/",
            &[(
                "content-type",
                "application/x-www-form-urlencoded; charset=utf-8",
            )],
            body.as_bytes(),
        )
        .await?;
        let root = parse_tree(&resp.body).map_err(|e| {
            anyhow::anyhow!(
                "{action}: unreadable answer ({}): {e}: {}",
                resp.status,
                String::from_utf8_lossy(&resp.body)
            )
        })?;
        if root.name == "ErrorResponse" || !(200..300).contains(&resp.status) {
            return Err(AwsError {
                code: text(&root, &["Error", "Code"]),
                message: text(&root, &["Error", "Message"]),
            }
            .into());
        }
        let result = format!("{action}Result");
        Ok(child(&root, &result).cloned().unwrap_or_default())
    }
}

/// Percent-encodes a form value (everything but RFC 3986's unreserved characters).
fn form_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn child<'a>(n: &'a Node, name: &str) -> Option<&'a Node> {
    n.children.iter().find(|c| c.name == name)
}

fn find<'a>(n: &'a Node, path: &[&str]) -> Option<&'a Node> {
    path.iter().try_fold(n, |n, p| child(n, p))
}

/// The text at `path` ("" when absent).
fn text(n: &Node, path: &[&str]) -> String {
    find(n, path).map(|n| n.text.clone()).unwrap_or_default()
}

/// The `member` elements of the list at `path`.
fn members<'a>(n: &'a Node, path: &[&str]) -> Vec<&'a Node> {
    find(n, path)
        .map(|l| l.children.iter().filter(|c| c.name == "member").collect())
        .unwrap_or_default()
}

/// The stack as DescribeStacks shows it, or None when it does not exist.
async fn describe_stack(cfn: &Cfn, stack: &str) -> anyhow::Result<Option<Node>> {
    match cfn
        .call("DescribeStacks", &[("StackName".into(), stack.into())])
        .await
    {
        Ok(r) => Ok(members(&r, &["Stacks"]).first().map(|n| (*n).clone())),
        Err(e) => match e.downcast_ref::<AwsError>() {
            Some(a) if a.message.contains("does not exist") => Ok(None),
            _ => Err(e),
        },
    }
}

fn is_no_changes(reason: &str) -> bool {
    reason.contains("didn't contain changes") || reason.contains("No updates are to be performed")
}

async fn deploy(
    cfn: &Cfn,
    template: &str,
    stack: &str,
    parameters: &[(String, String)],
    capabilities: &[String],
) -> anyhow::Result<i32> {
    let packaged = package_file(std::path::Path::new(template))?;
    let body = serde_json::to_string(&packaged)?;
    let existing = describe_stack(cfn, stack).await?;
    let change_type = match &existing {
        Some(s) if text(s, &["StackStatus"]) != "REVIEW_IN_PROGRESS" => "UPDATE",
        _ => "CREATE",
    };
    let name = format!(
        "lamina-deploy-{}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis())
            .unwrap_or_default()
    );
    let mut params: Vec<(String, String)> = vec![
        ("StackName".into(), stack.into()),
        ("ChangeSetName".into(), name.clone()),
        ("ChangeSetType".into(), change_type.into()),
        ("TemplateBody".into(), body),
    ];
    // Parameters not overridden keep their previous values on an update (as the AWS CLI does).
    let declared = packaged
        .get("Parameters")
        .and_then(|p| p.as_object())
        .cloned()
        .unwrap_or_default();
    let mut list: Vec<(String, Option<String>)> = parameters
        .iter()
        .map(|(k, v)| (k.clone(), Some(v.clone())))
        .collect();
    if change_type == "UPDATE"
        && let Some(s) = &existing
    {
        for p in members(s, &["Parameters"]) {
            let key = text(p, &["ParameterKey"]);
            if declared.contains_key(&key) && !list.iter().any(|(k, _)| *k == key) {
                list.push((key, None));
            }
        }
    }
    for (i, (k, v)) in list.iter().enumerate() {
        let prefix = format!("Parameters.member.{}", i + 1);
        params.push((format!("{prefix}.ParameterKey"), k.clone()));
        match v {
            Some(v) => params.push((format!("{prefix}.ParameterValue"), v.clone())),
            None => params.push((format!("{prefix}.UsePreviousValue"), "true".into())),
        }
    }
    for (i, c) in capabilities.iter().enumerate() {
        params.push((format!("Capabilities.member.{}", i + 1), c.clone()));
    }
    println!("Waiting for changeset to be created..");
    let created = cfn.call("CreateChangeSet", &params).await?;
    let change_set = text(&created, &["Id"]);
    let id = [("ChangeSetName".to_string(), change_set.clone())];
    let described = loop {
        let d = cfn.call("DescribeChangeSet", &id).await?;
        match text(&d, &["Status"]).as_str() {
            "CREATE_PENDING" | "CREATE_IN_PROGRESS" => {
                tokio::time::sleep(Duration::from_millis(300)).await
            }
            _ => break d,
        }
    };
    let status = text(&described, &["Status"]);
    let reason = text(&described, &["StatusReason"]);
    if status == "FAILED" {
        if is_no_changes(&reason) {
            let _ = cfn.call("DeleteChangeSet", &id).await;
            println!("\nNo changes to deploy. Stack {stack} is up to date");
            return Ok(0);
        }
        eprintln!("Failed to create the changeset: {reason}");
        return Ok(1);
    }
    print_changes(&described);
    let stack_id = text(&described, &["StackId"]);
    let mut seen = std::collections::HashSet::new();
    // Events of earlier operations are not this deployment's.
    for e in events(cfn, &stack_id, &seen).await? {
        seen.insert(text(&e, &["EventId"]));
    }
    cfn.call("ExecuteChangeSet", &id).await?;
    println!("\nWaiting for stack create/update to complete");
    let final_stack = follow(cfn, &stack_id, &mut seen).await?;
    let final_status = text(&final_stack, &["StackStatus"]);
    if final_status == "CREATE_COMPLETE" || final_status == "UPDATE_COMPLETE" {
        print_outputs(&final_stack);
        println!("\nSuccessfully created/updated stack - {stack}");
        Ok(0)
    } else {
        let reason = text(&final_stack, &["StackStatusReason"]);
        eprintln!("\nFailed to create/update the stack {stack}: {final_status} {reason}");
        Ok(1)
    }
}

async fn delete(cfn: &Cfn, stack: &str) -> anyhow::Result<i32> {
    let Some(existing) = describe_stack(cfn, stack).await? else {
        println!("Stack {stack} does not exist; nothing to delete");
        return Ok(0);
    };
    let stack_id = text(&existing, &["StackId"]);
    let mut seen = std::collections::HashSet::new();
    for e in events(cfn, &stack_id, &seen).await? {
        seen.insert(text(&e, &["EventId"]));
    }
    cfn.call("DeleteStack", &[("StackName".into(), stack_id.clone())])
        .await?;
    println!("Waiting for stack delete to complete");
    let final_stack = follow(cfn, &stack_id, &mut seen).await?;
    let status = text(&final_stack, &["StackStatus"]);
    if status == "DELETE_COMPLETE" {
        println!("\nSuccessfully deleted stack - {stack}");
        Ok(0)
    } else {
        let reason = text(&final_stack, &["StackStatusReason"]);
        eprintln!("\nFailed to delete the stack {stack}: {status} {reason}");
        Ok(1)
    }
}

/// Events not in `seen`, oldest first (the API lists newest first, in pages).
async fn events(
    cfn: &Cfn,
    stack_id: &str,
    seen: &std::collections::HashSet<String>,
) -> anyhow::Result<Vec<Node>> {
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    for _ in 0..50 {
        let mut p = vec![("StackName".to_string(), stack_id.to_string())];
        if let Some(t) = &token {
            p.push(("NextToken".into(), t.clone()));
        }
        let r = cfn.call("DescribeStackEvents", &p).await?;
        let mut reached_seen = false;
        for e in members(&r, &["StackEvents"]) {
            if seen.contains(&text(e, &["EventId"])) {
                reached_seen = true;
                break;
            }
            out.push(e.clone());
        }
        token = Some(text(&r, &["NextToken"])).filter(|t| !t.is_empty());
        if reached_seen || token.is_none() {
            break;
        }
    }
    out.reverse();
    Ok(out)
}

/// Prints events as they happen until the stack leaves `*_IN_PROGRESS`; the final stack.
async fn follow(
    cfn: &Cfn,
    stack_id: &str,
    seen: &mut std::collections::HashSet<String>,
) -> anyhow::Result<Node> {
    println!(
        "\n{:<26} {:<36} {:<32} {:<44} Reason",
        "Timestamp", "ResourceStatus", "ResourceType", "LogicalResourceId"
    );
    loop {
        // Status first, then events: the last events of a finished stack are never missed.
        let stack = describe_stack(cfn, stack_id)
            .await?
            .context("the stack disappeared")?;
        for e in events(cfn, stack_id, seen).await? {
            seen.insert(text(&e, &["EventId"]));
            println!(
                "{:<26} {:<36} {:<32} {:<44} {}",
                text(&e, &["Timestamp"]),
                text(&e, &["ResourceStatus"]),
                text(&e, &["ResourceType"]),
                text(&e, &["LogicalResourceId"]),
                text(&e, &["ResourceStatusReason"]),
            );
        }
        if !text(&stack, &["StackStatus"]).ends_with("_IN_PROGRESS") {
            return Ok(stack);
        }
        tokio::time::sleep(Duration::from_millis(400)).await;
    }
}

fn print_changes(described: &Node) {
    let changes = members(described, &["Changes"]);
    println!("\nCloudFormation stack changeset");
    println!(
        "{:<10} {:<44} {:<36} Replacement",
        "Operation", "LogicalResourceId", "ResourceType"
    );
    for c in changes {
        let rc = child(c, "ResourceChange").unwrap_or(c);
        println!(
            "{:<10} {:<44} {:<36} {}",
            text(rc, &["Action"]),
            text(rc, &["LogicalResourceId"]),
            text(rc, &["ResourceType"]),
            text(rc, &["Replacement"]),
        );
    }
}

fn print_outputs(stack: &Node) {
    let outputs = members(stack, &["Outputs"]);
    if outputs.is_empty() {
        return;
    }
    println!("\nCloudFormation outputs from deployed stack");
    let width = outputs
        .iter()
        .map(|o| text(o, &["OutputKey"]).len())
        .max()
        .unwrap_or(0)
        .max("Key".len());
    println!("{:<width$}  Value", "Key");
    for o in outputs {
        println!(
            "{:<width$}  {}",
            text(o, &["OutputKey"]),
            text(o, &["OutputValue"])
        );
        let d = text(o, &["Description"]);
        if !d.is_empty() {
            println!("{:<width$}  ({d})", "");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn commands_parse() {
        let c = parse(
            &args("deploy t.yaml --stack-name s --parameter-overrides A=1 B=x=y --capabilities CAPABILITY_IAM"),
            |_| None,
        )
        .unwrap();
        assert_eq!(
            c,
            Command::Deploy {
                template: "t.yaml".into(),
                stack: "s".into(),
                parameters: vec![("A".into(), "1".into()), ("B".into(), "x=y".into())],
                capabilities: vec!["CAPABILITY_IAM".into()],
                endpoint: "http://127.0.0.1:4566".into(),
            }
        );
        let env = |k: &str| (k == "LAMINA_ENDPOINT").then(|| "http://h:9".to_string());
        let c = parse(&args("delete --stack-name=s"), env).unwrap();
        assert_eq!(
            c,
            Command::Delete {
                stack: "s".into(),
                endpoint: "http://h:9".into()
            }
        );
        let c = parse(
            &args("package --template-file a.yaml --output-template-file out.json"),
            |_| None,
        )
        .unwrap();
        assert_eq!(
            c,
            Command::Package {
                template: "a.yaml".into(),
                output: Some("out.json".into())
            }
        );
        let c = parse(&args("deploy --stack-name s"), |_| None).unwrap();
        assert!(matches!(c, Command::Deploy { capabilities, .. } if capabilities.len() == 2));
        let c = parse(
            &args("deploy x --stack-name s --parameter-overrides ParameterKey=K,ParameterValue=V"),
            |_| None,
        )
        .unwrap();
        assert!(
            matches!(c, Command::Deploy { parameters, .. } if parameters == [("K".to_string(), "V".to_string())])
        );
        assert!(parse(&args("deploy t.yaml"), |_| None).is_err());
        assert!(parse(&args("delete"), |_| None).is_err());
        assert!(
            parse(
                &args("deploy --stack-name s --parameter-overrides =x"),
                |_| None
            )
            .is_err()
        );
        assert!(parse(&args("delete --stack-name s extra"), |_| None).is_err());
        assert!(parse(&args("package --stack-name s"), |_| None).is_err());
    }

    #[test]
    fn answers_read() {
        let root = parse_tree(
            br#"<DescribeStacksResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><DescribeStacksResult><Stacks><member><StackName>s</StackName><StackStatus>CREATE_COMPLETE</StackStatus><Outputs><member><OutputKey>Url</OutputKey><OutputValue>http://a&amp;b</OutputValue></member></Outputs></member></Stacks></DescribeStacksResult></DescribeStacksResponse>"#,
        )
        .unwrap();
        let r = child(&root, "DescribeStacksResult").unwrap();
        let stacks = members(r, &["Stacks"]);
        assert_eq!(stacks.len(), 1);
        assert_eq!(text(stacks[0], &["StackStatus"]), "CREATE_COMPLETE");
        let outs = members(stacks[0], &["Outputs"]);
        assert_eq!(text(outs[0], &["OutputValue"]), "http://a&b");
        assert_eq!(text(stacks[0], &["Nothing", "Here"]), "");
        assert_eq!(form_encode("a b/c=d&é"), "a%20b%2Fc%3Dd%26%C3%A9");
        assert!(is_no_changes(crate_no_changes()));
        assert_eq!(
            parameter("K=V=W").unwrap(),
            ("K".to_string(), "V=W".to_string())
        );
    }

    fn crate_no_changes() -> &'static str {
        "The submitted information didn't contain changes. Submit different information to create a change set."
    }
}
