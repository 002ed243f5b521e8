//! `AWS::Serverless::SimpleTable` → `AWS::DynamoDB::Table` (one hash key, on-demand unless
//! `ProvisionedThroughput` is given) and `AWS::Serverless::LayerVersion` →
//! `AWS::Lambda::LayerVersion` (retained on delete unless `RetentionPolicy: Delete`).

use super::function::packaged;
use super::{Out, TransformContext, copy_attributes};
use serde_json::{Value, json};

pub fn table(id: &str, r: &Value, out: &mut Out) -> Result<(), String> {
    let empty = json!({});
    let p = r.get("Properties").unwrap_or(&empty);
    let (name, kind) = match p.get("PrimaryKey") {
        None => ("id".to_string(), "S"),
        Some(k) => {
            let name = k["Name"]
                .as_str()
                .ok_or("PrimaryKey needs a string 'Name'")?;
            let kind = match k["Type"].as_str() {
                Some("String") => "S",
                Some("Number") => "N",
                Some("Binary") => "B",
                other => {
                    return Err(format!(
                        "PrimaryKey 'Type' must be String, Number or Binary, not {other:?}"
                    ));
                }
            };
            (name.to_string(), kind)
        }
    };
    let mut t = json!({
        "AttributeDefinitions": [{ "AttributeName": name, "AttributeType": kind }],
        "KeySchema": [{ "AttributeName": name, "KeyType": "HASH" }],
    });
    match p.get("ProvisionedThroughput") {
        Some(pt) => t["ProvisionedThroughput"] = pt.clone(),
        None => t["BillingMode"] = json!("PAY_PER_REQUEST"),
    }
    for k in [
        "TableName",
        "SSESpecification",
        "PointInTimeRecoverySpecification",
    ] {
        if let Some(v) = p.get(k) {
            t[k] = v.clone();
        }
    }
    if let Some(tags) = p["Tags"].as_object() {
        t["Tags"] = tags
            .iter()
            .map(|(k, v)| json!({ "Key": k, "Value": v }))
            .collect();
    }
    let mut main = json!({ "Type": "AWS::DynamoDB::Table", "Properties": t });
    copy_attributes(r, &mut main);
    out.add(id, main);
    Ok(())
}

pub fn layer(id: &str, r: &Value, ctx: &TransformContext, out: &mut Out) -> Result<(), String> {
    let empty = json!({});
    let p = r.get("Properties").unwrap_or(&empty);
    let mut l = json!({ "Content": packaged(p.get("ContentUri"), "ContentUri", "S3", ctx)? });
    for (from, to) in [
        ("LayerName", "LayerName"),
        ("Description", "Description"),
        ("CompatibleRuntimes", "CompatibleRuntimes"),
        ("CompatibleArchitectures", "CompatibleArchitectures"),
        ("LicenseInfo", "LicenseInfo"),
    ] {
        if let Some(v) = p.get(from) {
            l[to] = v.clone();
        }
    }
    if l.get("LayerName").is_none() {
        l["LayerName"] = json!(id);
    }
    let mut main = json!({ "Type": "AWS::Lambda::LayerVersion", "Properties": l });
    copy_attributes(r, &mut main);
    let retain = !matches!(p["RetentionPolicy"].as_str(), Some("Delete" | "delete"));
    if retain && main.get("DeletionPolicy").is_none() {
        main["DeletionPolicy"] = json!("Retain");
    }
    out.add(id, main);
    Ok(())
}
