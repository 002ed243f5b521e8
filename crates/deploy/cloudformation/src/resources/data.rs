//! `AWS::SSM::Parameter`, `AWS::DynamoDB::Table`, `AWS::Logs::LogGroup` and the
//! stored-only `AWS::IAM::Role` / `Policy` / `ManagedPolicy`.

use super::{Providers, changed, copy, created, gone, name_or_generated, prop_str, required};
use super::{scalar_text, tags_map};
use crate::engine::{Created, ProviderError, ResourceContext};
use crate::provider;
use serde_json::{Value, json};

provider!(SsmParameter, ssm);
provider!(DynamoDbTable, table);
provider!(LogGroup, logs);
provider!(IamRole, iam_role);
provider!(IamPolicy, iam_policy);
provider!(IamManagedPolicy, iam_managed);

pub fn register(p: &mut Providers) {
    p.insert("AWS::SSM::Parameter", Box::new(SsmParameter));
    p.insert("AWS::DynamoDB::Table", Box::new(DynamoDbTable));
    p.insert("AWS::Logs::LogGroup", Box::new(LogGroup));
    p.insert("AWS::IAM::Role", Box::new(IamRole));
    p.insert("AWS::IAM::Policy", Box::new(IamPolicy));
    p.insert("AWS::IAM::ManagedPolicy", Box::new(IamManagedPolicy));
}

mod ssm {
    use super::*;

    fn input(props: &Value, name: &str) -> Result<Value, ProviderError> {
        let mut i = json!({
            "Name": name,
            "Type": required(props, "Type")?,
            "Value": required(props, "Value")?,
        });
        copy(
            props,
            &mut i,
            &[
                "Description",
                "AllowedPattern",
                "Tier",
                "DataType",
                "Policies",
            ],
        );
        Ok(i)
    }

    pub async fn create(ctx: &ResourceContext, props: &Value) -> Result<Created, ProviderError> {
        let name = match prop_str(props, "Name") {
            Some(n) => n,
            None => format!("CFN-{}", ctx.generated_name(128)),
        };
        let mut i = input(props, &name)?;
        let tags = tags_map(props);
        if !tags.is_empty() {
            i["Tags"] = tags
                .iter()
                .map(|(k, v)| json!({ "Key": k, "Value": v }))
                .collect();
        }
        ctx.call("ssm", "PutParameter", i).await?;
        Ok(created(
            &name,
            json!({ "Type": props["Type"], "Value": props["Value"] }),
        ))
    }

    pub async fn update(
        ctx: &ResourceContext,
        id: &str,
        _old: &Value,
        new: &Value,
    ) -> Result<Created, ProviderError> {
        let mut i = input(new, id)?;
        i["Overwrite"] = json!(true);
        ctx.call("ssm", "PutParameter", i).await?;
        Ok(created(
            id,
            json!({ "Type": new["Type"], "Value": new["Value"] }),
        ))
    }

    pub async fn delete(ctx: &ResourceContext, id: &str, _: &Value) -> Result<(), ProviderError> {
        gone(
            ctx.call("ssm", "DeleteParameter", json!({ "Name": id }))
                .await,
        )
    }

    pub fn replace(old: &Value, new: &Value) -> bool {
        changed(old, new, &["Name"])
    }
}

mod table {
    use super::*;

    fn attrs(desc: &Value) -> Value {
        let mut a = json!({ "Arn": desc["TableArn"] });
        if let Some(s) = desc.get("LatestStreamArn") {
            a["StreamArn"] = s.clone();
        }
        a
    }

    /// CloudFormation's `StreamSpecification {StreamViewType}` → the API's.
    fn stream_spec(props: &Value) -> Option<Value> {
        let t = props["StreamSpecification"]["StreamViewType"].as_str()?;
        Some(json!({ "StreamEnabled": true, "StreamViewType": t }))
    }

    async fn describe(ctx: &ResourceContext, name: &str) -> Result<Value, ProviderError> {
        // A table is ACTIVE when CloudFormation reports it created.
        for _ in 0..50 {
            let d = ctx
                .call("dynamodb", "DescribeTable", json!({ "TableName": name }))
                .await?;
            if d["Table"]["TableStatus"] == "ACTIVE" {
                return Ok(d["Table"].clone());
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        Err(ProviderError::new(format!(
            "Table {name} did not become ACTIVE"
        )))
    }

    async fn ttl(
        ctx: &ResourceContext,
        name: &str,
        old: &Value,
        new: &Value,
    ) -> Result<(), ProviderError> {
        let (o, n) = (
            &old["TimeToLiveSpecification"],
            &new["TimeToLiveSpecification"],
        );
        if o == n {
            return Ok(());
        }
        let enabled = super::super::prop_bool(n, "Enabled").unwrap_or(false);
        let attr = n["AttributeName"].as_str().or(o["AttributeName"].as_str());
        let Some(attr) = attr else { return Ok(()) };
        if !enabled && !super::super::prop_bool(o, "Enabled").unwrap_or(false) {
            return Ok(());
        }
        ctx.call(
            "dynamodb",
            "UpdateTimeToLive",
            json!({ "TableName": name, "TimeToLiveSpecification": { "AttributeName": attr, "Enabled": enabled } }),
        )
        .await?;
        Ok(())
    }

    pub async fn create(ctx: &ResourceContext, props: &Value) -> Result<Created, ProviderError> {
        let name = name_or_generated(ctx, props, "TableName", 255);
        let mut i = json!({ "TableName": name });
        copy(
            props,
            &mut i,
            &[
                "AttributeDefinitions",
                "KeySchema",
                "BillingMode",
                "ProvisionedThroughput",
                "GlobalSecondaryIndexes",
                "LocalSecondaryIndexes",
                "TableClass",
                "DeletionProtectionEnabled",
                "OnDemandThroughput",
            ],
        );
        if let Some(s) = stream_spec(props) {
            i["StreamSpecification"] = s;
        }
        if let Some(sse) = props.get("SSESpecification") {
            let mut s =
                json!({ "Enabled": super::super::prop_bool(sse, "SSEEnabled").unwrap_or(false) });
            copy(sse, &mut s, &["SSEType"]);
            if let Some(k) = sse.get("KMSMasterKeyId") {
                s["KMSMasterKeyId"] = k.clone();
            }
            i["SSESpecification"] = s;
        }
        let tags = tags_map(props);
        if !tags.is_empty() {
            i["Tags"] = tags
                .iter()
                .map(|(k, v)| json!({ "Key": k, "Value": v }))
                .collect();
        }
        ctx.call("dynamodb", "CreateTable", i).await?;
        ttl(ctx, &name, &json!({}), props).await?;
        let d = describe(ctx, &name).await?;
        Ok(created(&name, attrs(&d)))
    }

    pub async fn update(
        ctx: &ResourceContext,
        id: &str,
        old: &Value,
        new: &Value,
    ) -> Result<Created, ProviderError> {
        if changed(
            old,
            new,
            &[
                "BillingMode",
                "ProvisionedThroughput",
                "TableClass",
                "DeletionProtectionEnabled",
            ],
        ) {
            let mut i =
                json!({ "TableName": id, "AttributeDefinitions": new["AttributeDefinitions"] });
            copy(
                new,
                &mut i,
                &[
                    "BillingMode",
                    "ProvisionedThroughput",
                    "TableClass",
                    "DeletionProtectionEnabled",
                ],
            );
            if new.get("BillingMode").is_none() && old.get("BillingMode").is_some() {
                i["BillingMode"] = json!("PROVISIONED");
            }
            ctx.call("dynamodb", "UpdateTable", i).await?;
        }
        // GSIs: one change per UpdateTable call, as DynamoDB requires.
        let index = |v: &Value| -> Vec<Value> {
            v["GlobalSecondaryIndexes"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        };
        let (old_gsis, new_gsis) = (index(old), index(new));
        let name_of = |g: &Value| g["IndexName"].as_str().unwrap_or_default().to_string();
        for g in &old_gsis {
            let same = new_gsis.iter().find(|n| name_of(n) == name_of(g));
            match same {
                None => {
                    ctx.call("dynamodb", "UpdateTable", json!({ "TableName": id,
                        "GlobalSecondaryIndexUpdates": [{ "Delete": { "IndexName": name_of(g) } }] })).await?;
                }
                Some(n)
                    if n["KeySchema"] != g["KeySchema"] || n["Projection"] != g["Projection"] =>
                {
                    ctx.call("dynamodb", "UpdateTable", json!({ "TableName": id,
                        "GlobalSecondaryIndexUpdates": [{ "Delete": { "IndexName": name_of(g) } }] })).await?;
                    ctx.call(
                        "dynamodb",
                        "UpdateTable",
                        json!({ "TableName": id,
                        "AttributeDefinitions": new["AttributeDefinitions"],
                        "GlobalSecondaryIndexUpdates": [{ "Create": n }] }),
                    )
                    .await?;
                }
                Some(n)
                    if n.get("ProvisionedThroughput") != g.get("ProvisionedThroughput")
                        && n.get("ProvisionedThroughput").is_some() =>
                {
                    ctx.call("dynamodb", "UpdateTable", json!({ "TableName": id,
                        "GlobalSecondaryIndexUpdates": [{ "Update": { "IndexName": name_of(g), "ProvisionedThroughput": n["ProvisionedThroughput"] } }] })).await?;
                }
                Some(_) => {}
            }
        }
        for n in new_gsis
            .iter()
            .filter(|n| !old_gsis.iter().any(|g| name_of(g) == name_of(n)))
        {
            ctx.call(
                "dynamodb",
                "UpdateTable",
                json!({ "TableName": id,
                "AttributeDefinitions": new["AttributeDefinitions"],
                "GlobalSecondaryIndexUpdates": [{ "Create": n }] }),
            )
            .await?;
        }
        if stream_spec(old) != stream_spec(new) {
            if stream_spec(old).is_some() {
                ctx.call(
                    "dynamodb",
                    "UpdateTable",
                    json!({ "TableName": id, "StreamSpecification": { "StreamEnabled": false } }),
                )
                .await?;
            }
            if let Some(s) = stream_spec(new) {
                ctx.call(
                    "dynamodb",
                    "UpdateTable",
                    json!({ "TableName": id, "StreamSpecification": s }),
                )
                .await?;
            }
        }
        ttl(ctx, id, old, new).await?;
        if changed(old, new, &["Tags"]) {
            let d = describe(ctx, id).await?;
            let arn = d["TableArn"].clone();
            let old_tags = tags_map(old);
            let new_tags = tags_map(new);
            let removed: Vec<&String> = old_tags
                .keys()
                .filter(|k| !new_tags.contains_key(*k))
                .collect();
            if !removed.is_empty() {
                ctx.call(
                    "dynamodb",
                    "UntagResource",
                    json!({ "ResourceArn": arn, "TagKeys": removed }),
                )
                .await?;
            }
            if !new_tags.is_empty() {
                let tags: Vec<Value> = new_tags
                    .iter()
                    .map(|(k, v)| json!({ "Key": k, "Value": v }))
                    .collect();
                ctx.call(
                    "dynamodb",
                    "TagResource",
                    json!({ "ResourceArn": arn, "Tags": tags }),
                )
                .await?;
            }
        }
        let d = describe(ctx, id).await?;
        Ok(created(id, attrs(&d)))
    }

    pub async fn delete(ctx: &ResourceContext, id: &str, _: &Value) -> Result<(), ProviderError> {
        gone(
            ctx.call("dynamodb", "DeleteTable", json!({ "TableName": id }))
                .await,
        )
    }

    pub fn replace(old: &Value, new: &Value) -> bool {
        changed(
            old,
            new,
            &["TableName", "KeySchema", "LocalSecondaryIndexes"],
        )
    }
}

mod logs {
    use super::*;

    fn arn(ctx: &ResourceContext, name: &str) -> Value {
        json!(format!(
            "arn:aws:logs:{}:{}:log-group:{name}:*",
            ctx.call.region, ctx.call.account_id
        ))
    }

    async fn retention(
        ctx: &ResourceContext,
        name: &str,
        props: &Value,
    ) -> Result<(), ProviderError> {
        match super::super::prop_i64(props, "RetentionInDays") {
            Some(days) => {
                ctx.call(
                    "logs",
                    "PutRetentionPolicy",
                    json!({ "logGroupName": name, "retentionInDays": days }),
                )
                .await?
            }
            None => {
                ctx.call(
                    "logs",
                    "DeleteRetentionPolicy",
                    json!({ "logGroupName": name }),
                )
                .await?
            }
        };
        Ok(())
    }

    pub async fn create(ctx: &ResourceContext, props: &Value) -> Result<Created, ProviderError> {
        let name = name_or_generated(ctx, props, "LogGroupName", 512);
        let mut i = json!({ "logGroupName": name });
        if let Some(k) = prop_str(props, "KmsKeyId") {
            i["kmsKeyId"] = json!(k);
        }
        let tags = tags_map(props);
        if !tags.is_empty() {
            i["tags"] = Value::Object(tags);
        }
        ctx.call("logs", "CreateLogGroup", i).await?;
        if props.get("RetentionInDays").is_some() {
            retention(ctx, &name, props).await?;
        }
        Ok(created(&name, json!({ "Arn": arn(ctx, &name) })))
    }

    pub async fn update(
        ctx: &ResourceContext,
        id: &str,
        old: &Value,
        new: &Value,
    ) -> Result<Created, ProviderError> {
        if changed(old, new, &["RetentionInDays"]) {
            retention(ctx, id, new).await?;
        }
        Ok(created(id, json!({ "Arn": arn(ctx, id) })))
    }

    pub async fn delete(ctx: &ResourceContext, id: &str, _: &Value) -> Result<(), ProviderError> {
        gone(
            ctx.call("logs", "DeleteLogGroup", json!({ "logGroupName": id }))
                .await,
        )
    }

    pub fn replace(old: &Value, new: &Value) -> bool {
        changed(old, new, &["LogGroupName", "KmsKeyId"])
    }
}

/// IAM is not implemented: roles and policies are recorded by the stack only.
mod iam_role {
    use super::*;

    fn attrs(ctx: &ResourceContext, name: &str, props: &Value) -> Value {
        let path = prop_str(props, "Path").unwrap_or_else(|| "/".into());
        json!({
            "Arn": format!("arn:aws:iam::{}:role{path}{name}", ctx.call.account_id),
            "RoleId": format!("AROA{}", lamina_core::random_alnum(17, b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")),
        })
    }

    pub async fn create(ctx: &ResourceContext, props: &Value) -> Result<Created, ProviderError> {
        if props.get("AssumeRolePolicyDocument").is_none() {
            return Err(ProviderError::new(
                "Property AssumeRolePolicyDocument cannot be empty.",
            ));
        }
        let name = name_or_generated(ctx, props, "RoleName", 64);
        Ok(created(&name, attrs(ctx, &name, props)))
    }

    pub async fn update(
        ctx: &ResourceContext,
        id: &str,
        _: &Value,
        new: &Value,
    ) -> Result<Created, ProviderError> {
        Ok(created(id, attrs(ctx, id, new)))
    }

    pub async fn delete(_: &ResourceContext, _: &str, _: &Value) -> Result<(), ProviderError> {
        Ok(())
    }

    pub fn replace(old: &Value, new: &Value) -> bool {
        changed(old, new, &["RoleName", "Path"])
    }
}

mod iam_policy {
    use super::*;

    pub async fn create(ctx: &ResourceContext, props: &Value) -> Result<Created, ProviderError> {
        required(props, "PolicyName")?;
        if props.get("PolicyDocument").is_none() {
            return Err(ProviderError::new(
                "Property PolicyDocument cannot be empty.",
            ));
        }
        Ok(created(
            ctx.generated_name(64),
            json!({ "Id": scalar_text(&props["PolicyName"]) }),
        ))
    }

    pub async fn update(
        _: &ResourceContext,
        id: &str,
        _: &Value,
        new: &Value,
    ) -> Result<Created, ProviderError> {
        Ok(created(
            id,
            json!({ "Id": scalar_text(&new["PolicyName"]) }),
        ))
    }

    pub async fn delete(_: &ResourceContext, _: &str, _: &Value) -> Result<(), ProviderError> {
        Ok(())
    }

    pub fn replace(_: &Value, _: &Value) -> bool {
        false
    }
}

mod iam_managed {
    use super::*;

    pub async fn create(ctx: &ResourceContext, props: &Value) -> Result<Created, ProviderError> {
        let name = name_or_generated(ctx, props, "ManagedPolicyName", 128);
        let path = prop_str(props, "Path").unwrap_or_else(|| "/".into());
        let arn = format!("arn:aws:iam::{}:policy{path}{name}", ctx.call.account_id);
        let id = format!(
            "ANPA{}",
            lamina_core::random_alnum(17, b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
        );
        Ok(created(&arn, json!({ "PolicyArn": arn, "PolicyId": id })))
    }

    pub async fn update(
        _: &ResourceContext,
        id: &str,
        _: &Value,
        _: &Value,
    ) -> Result<Created, ProviderError> {
        Ok(created(id, json!({ "PolicyArn": id })))
    }

    pub async fn delete(_: &ResourceContext, _: &str, _: &Value) -> Result<(), ProviderError> {
        Ok(())
    }

    pub fn replace(old: &Value, new: &Value) -> bool {
        changed(old, new, &["ManagedPolicyName", "Path"])
    }
}
