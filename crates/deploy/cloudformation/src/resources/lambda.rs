//! `AWS::Lambda::Function`, `Version`, `Alias`, `Permission`, `EventSourceMapping`,
//! `LayerVersion` and `EventInvokeConfig`.

use super::{Providers, changed, copy, created, gone, name_or_generated, prop_i64};
use super::{required, scalar_text, tags_map};
use crate::engine::{Created, ProviderError, ResourceContext};
use crate::provider;
use crate::sam::PACKAGED_KEY;
use base64::Engine as _;
use serde_json::{Map, Value, json};
use std::io::Write as _;

provider!(Function, function);
provider!(Version, version);
provider!(Alias, alias);
provider!(Permission, permission);
provider!(EventSourceMapping, esm);
provider!(LayerVersion, layer);
provider!(EventInvokeConfig, invoke_config);

pub fn register(p: &mut Providers) {
    p.insert("AWS::Lambda::Function", Box::new(Function));
    p.insert("AWS::Lambda::Version", Box::new(Version));
    p.insert("AWS::Lambda::Alias", Box::new(Alias));
    p.insert("AWS::Lambda::Permission", Box::new(Permission));
    p.insert(
        "AWS::Lambda::EventSourceMapping",
        Box::new(EventSourceMapping),
    );
    p.insert("AWS::Lambda::LayerVersion", Box::new(LayerVersion));
    p.insert(
        "AWS::Lambda::EventInvokeConfig",
        Box::new(EventInvokeConfig),
    );
}

/// A zip holding one file.
pub fn zip_one(name: &str, content: &[u8]) -> Result<Vec<u8>, ProviderError> {
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut w = zip::ZipWriter::new(&mut buf);
        let opts = zip::write::SimpleFileOptions::default().unix_permissions(0o644);
        w.start_file(name, opts)
            .and_then(|_| w.write_all(content).map_err(Into::into))
            .and_then(|_| w.finish().map(|_| ()))
            .map_err(|e| ProviderError::new(format!("zipping the inline code: {e}")))?;
    }
    Ok(buf.into_inner())
}

/// `Code`/`Content` → the API's `{ZipFile: base64}`.
fn code(code: &Value, runtime: Option<&str>, what: &str) -> Result<Value, ProviderError> {
    if let Some(b64) = code.get(PACKAGED_KEY).and_then(Value::as_str) {
        base64::engine::general_purpose::STANDARD
            .decode(b64)
            .map_err(|_| ProviderError::new(format!("{what}.{PACKAGED_KEY} is not base64")))?;
        return Ok(json!({ "ZipFile": b64 }));
    }
    if let Some(src) = code.get("ZipFile") {
        let src = scalar_text(src);
        let rt = runtime.unwrap_or_default();
        let file = if rt.starts_with("nodejs") {
            "index.js"
        } else if rt.starts_with("ruby") {
            "index.rb"
        } else {
            "index.py"
        };
        let zip = zip_one(file, src.as_bytes())?;
        return Ok(json!({ "ZipFile": base64::engine::general_purpose::STANDARD.encode(zip) }));
    }
    if code.get("S3Bucket").is_some() {
        return Err(ProviderError::new(format!(
            "{what}.S3Bucket is not supported until Lamina has S3: use {what}.ZipFile, or deploy \
             with `lamina deploy` (or `lamina package`), which puts local code into the template"
        )));
    }
    if code.get("ImageUri").is_some() {
        return Err(ProviderError::new(format!(
            "{what}.ImageUri: container images are not supported by Lamina"
        )));
    }
    Err(ProviderError::new(format!(
        "Property {what} must have ZipFile or {PACKAGED_KEY}"
    )))
}

mod function {
    use super::*;

    const CONFIG: &[&str] = &[
        "Runtime",
        "Role",
        "Handler",
        "Description",
        "Timeout",
        "MemorySize",
        "Environment",
        "Layers",
        "DeadLetterConfig",
        "TracingConfig",
        "Architectures",
        "EphemeralStorage",
        "KMSKeyArn",
        "VpcConfig",
        "LoggingConfig",
        "FileSystemConfigs",
        "ImageConfig",
        "SnapStart",
    ];

    fn config(props: &Value, into: &mut Value) {
        copy(
            props,
            into,
            &CONFIG
                .iter()
                .copied()
                .filter(|k| *k != "Architectures")
                .collect::<Vec<_>>(),
        );
        if let Some(k) = props.get("KmsKeyArn") {
            into["KMSKeyArn"] = k.clone();
        }
        if into.get("KMSKeyArn").is_some_and(Value::is_null) {
            into.as_object_mut().map(|m| m.remove("KMSKeyArn"));
        }
    }

    async fn concurrency(
        ctx: &ResourceContext,
        name: &str,
        props: &Value,
    ) -> Result<(), ProviderError> {
        match prop_i64(props, "ReservedConcurrentExecutions") {
            Some(n) => {
                ctx.call(
                    "lambda",
                    "PutFunctionConcurrency",
                    json!({ "FunctionName": name, "ReservedConcurrentExecutions": n }),
                )
                .await?
            }
            None => {
                ctx.call(
                    "lambda",
                    "DeleteFunctionConcurrency",
                    json!({ "FunctionName": name }),
                )
                .await?
            }
        };
        Ok(())
    }

    async fn attrs(ctx: &ResourceContext, name: &str) -> Result<Value, ProviderError> {
        let f = ctx
            .call(
                "lambda",
                "GetFunctionConfiguration",
                json!({ "FunctionName": name }),
            )
            .await?;
        Ok(json!({ "Arn": f["FunctionArn"] }))
    }

    pub async fn create(ctx: &ResourceContext, props: &Value) -> Result<Created, ProviderError> {
        let name = name_or_generated(ctx, props, "FunctionName", 64);
        let empty = json!({});
        let mut i = json!({
            "FunctionName": name,
            "Code": code(props.get("Code").unwrap_or(&empty), props["Runtime"].as_str(), "Code")?,
        });
        config(props, &mut i);
        copy(props, &mut i, &["Architectures", "PackageType"]);
        let tags = tags_map(props);
        if !tags.is_empty() {
            i["Tags"] = Value::Object(tags);
        }
        ctx.call("lambda", "CreateFunction", i).await?;
        if props.get("ReservedConcurrentExecutions").is_some() {
            concurrency(ctx, &name, props).await?;
        }
        Ok(created(&name, attrs(ctx, &name).await?))
    }

    pub async fn update(
        ctx: &ResourceContext,
        id: &str,
        old: &Value,
        new: &Value,
    ) -> Result<Created, ProviderError> {
        if changed(old, new, &["Code", "Architectures"]) {
            let empty = json!({});
            let c = code(
                new.get("Code").unwrap_or(&empty),
                new["Runtime"].as_str(),
                "Code",
            )?;
            let mut i = json!({ "FunctionName": id, "ZipFile": c["ZipFile"] });
            copy(new, &mut i, &["Architectures"]);
            ctx.call("lambda", "UpdateFunctionCode", i).await?;
        }
        if changed(old, new, CONFIG) || changed(old, new, &["KmsKeyArn"]) {
            let mut i = json!({ "FunctionName": id });
            config(new, &mut i);
            // Removed settings go back to their defaults.
            if new.get("Environment").is_none() && old.get("Environment").is_some() {
                i["Environment"] = json!({ "Variables": {} });
            }
            if new.get("Layers").is_none() && old.get("Layers").is_some() {
                i["Layers"] = json!([]);
            }
            if new.get("Timeout").is_none() && old.get("Timeout").is_some() {
                i["Timeout"] = json!(3);
            }
            if new.get("MemorySize").is_none() && old.get("MemorySize").is_some() {
                i["MemorySize"] = json!(128);
            }
            ctx.call("lambda", "UpdateFunctionConfiguration", i).await?;
        }
        if changed(old, new, &["ReservedConcurrentExecutions"]) {
            concurrency(ctx, id, new).await?;
        }
        Ok(created(id, attrs(ctx, id).await?))
    }

    pub async fn delete(ctx: &ResourceContext, id: &str, _: &Value) -> Result<(), ProviderError> {
        gone(
            ctx.call("lambda", "DeleteFunction", json!({ "FunctionName": id }))
                .await,
        )
    }

    pub fn replace(old: &Value, new: &Value) -> bool {
        changed(old, new, &["FunctionName", "PackageType"])
    }
}

mod version {
    use super::*;

    pub async fn create(ctx: &ResourceContext, props: &Value) -> Result<Created, ProviderError> {
        let mut i = json!({ "FunctionName": required(props, "FunctionName")? });
        copy(props, &mut i, &["Description", "CodeSha256"]);
        let v = ctx.call("lambda", "PublishVersion", i).await?;
        let arn = scalar_text(&v["FunctionArn"]);
        Ok(created(
            &arn,
            json!({ "Version": v["Version"], "FunctionArn": arn }),
        ))
    }

    pub async fn update(
        _: &ResourceContext,
        id: &str,
        _: &Value,
        _: &Value,
    ) -> Result<Created, ProviderError> {
        let v = id.rsplit(':').next().unwrap_or_default();
        Ok(created(id, json!({ "Version": v, "FunctionArn": id })))
    }

    pub async fn delete(ctx: &ResourceContext, id: &str, _: &Value) -> Result<(), ProviderError> {
        let Some((function, version)) = id.rsplit_once(':') else {
            return Ok(());
        };
        gone(
            ctx.call(
                "lambda",
                "DeleteFunction",
                json!({ "FunctionName": function, "Qualifier": version }),
            )
            .await,
        )
    }

    pub fn replace(_: &Value, _: &Value) -> bool {
        true
    }
}

mod alias {
    use super::*;

    fn input(props: &Value) -> Result<Value, ProviderError> {
        let mut i = json!({
            "FunctionName": required(props, "FunctionName")?,
            "Name": required(props, "Name")?,
            "FunctionVersion": required(props, "FunctionVersion")?,
        });
        copy(props, &mut i, &["Description"]);
        if let Some(w) = props["RoutingConfig"]["AdditionalVersionWeights"].as_array() {
            let mut m = Map::new();
            for x in w {
                m.insert(
                    scalar_text(&x["FunctionVersion"]),
                    x["FunctionWeight"].clone(),
                );
            }
            i["RoutingConfig"] = json!({ "AdditionalVersionWeights": m });
        }
        Ok(i)
    }

    pub async fn create(ctx: &ResourceContext, props: &Value) -> Result<Created, ProviderError> {
        let a = ctx.call("lambda", "CreateAlias", input(props)?).await?;
        let arn = scalar_text(&a["AliasArn"]);
        Ok(created(&arn, json!({ "AliasArn": arn })))
    }

    pub async fn update(
        ctx: &ResourceContext,
        id: &str,
        _: &Value,
        new: &Value,
    ) -> Result<Created, ProviderError> {
        let mut i = input(new)?;
        if i.get("RoutingConfig").is_none() {
            i["RoutingConfig"] = json!({ "AdditionalVersionWeights": {} });
        }
        ctx.call("lambda", "UpdateAlias", i).await?;
        Ok(created(id, json!({ "AliasArn": id })))
    }

    pub async fn delete(
        ctx: &ResourceContext,
        _: &str,
        props: &Value,
    ) -> Result<(), ProviderError> {
        gone(ctx.call("lambda", "DeleteAlias", json!({ "FunctionName": required(props, "FunctionName")?, "Name": required(props, "Name")? })).await)
    }

    pub fn replace(old: &Value, new: &Value) -> bool {
        changed(old, new, &["FunctionName", "Name"])
    }
}

mod permission {
    use super::*;

    pub async fn create(ctx: &ResourceContext, props: &Value) -> Result<Created, ProviderError> {
        let sid = ctx.generated_name(100);
        let mut i = json!({
            "FunctionName": required(props, "FunctionName")?,
            "StatementId": sid,
            "Action": required(props, "Action")?,
            "Principal": required(props, "Principal")?,
        });
        copy(
            props,
            &mut i,
            &[
                "SourceArn",
                "SourceAccount",
                "EventSourceToken",
                "FunctionUrlAuthType",
                "PrincipalOrgID",
            ],
        );
        ctx.call("lambda", "AddPermission", i).await?;
        Ok(created(&sid, json!({})))
    }

    pub async fn update(
        _: &ResourceContext,
        id: &str,
        _: &Value,
        _: &Value,
    ) -> Result<Created, ProviderError> {
        Ok(created(id, json!({})))
    }

    pub async fn delete(
        ctx: &ResourceContext,
        id: &str,
        props: &Value,
    ) -> Result<(), ProviderError> {
        let f = required(props, "FunctionName")?;
        gone(
            ctx.call(
                "lambda",
                "RemovePermission",
                json!({ "FunctionName": f, "StatementId": id }),
            )
            .await,
        )
    }

    pub fn replace(old: &Value, new: &Value) -> bool {
        old != new
    }
}

mod esm {
    use super::*;

    const UPDATABLE: &[&str] = &[
        "FunctionName",
        "BatchSize",
        "Enabled",
        "MaximumBatchingWindowInSeconds",
        "FilterCriteria",
        "FunctionResponseTypes",
        "ScalingConfig",
        "MaximumRetryAttempts",
        "BisectBatchOnFunctionError",
        "MaximumRecordAgeInSeconds",
        "DestinationConfig",
        "ParallelizationFactor",
        "TumblingWindowInSeconds",
    ];

    pub async fn create(ctx: &ResourceContext, props: &Value) -> Result<Created, ProviderError> {
        let mut i = json!({ "FunctionName": required(props, "FunctionName")? });
        copy(props, &mut i, UPDATABLE);
        copy(
            props,
            &mut i,
            &[
                "EventSourceArn",
                "StartingPosition",
                "StartingPositionTimestamp",
            ],
        );
        let m = ctx.call("lambda", "CreateEventSourceMapping", i).await?;
        let id = scalar_text(&m["UUID"]);
        Ok(created(
            &id,
            json!({ "Id": id, "EventSourceMappingArn": m.get("EventSourceMappingArn").cloned().unwrap_or(Value::Null) }),
        ))
    }

    pub async fn update(
        ctx: &ResourceContext,
        id: &str,
        _: &Value,
        new: &Value,
    ) -> Result<Created, ProviderError> {
        let mut i = json!({ "UUID": id });
        copy(new, &mut i, UPDATABLE);
        ctx.call("lambda", "UpdateEventSourceMapping", i).await?;
        Ok(created(id, json!({ "Id": id })))
    }

    pub async fn delete(ctx: &ResourceContext, id: &str, _: &Value) -> Result<(), ProviderError> {
        gone(
            ctx.call("lambda", "DeleteEventSourceMapping", json!({ "UUID": id }))
                .await,
        )
    }

    pub fn replace(old: &Value, new: &Value) -> bool {
        changed(
            old,
            new,
            &[
                "EventSourceArn",
                "StartingPosition",
                "StartingPositionTimestamp",
            ],
        )
    }
}

mod layer {
    use super::*;

    pub async fn create(ctx: &ResourceContext, props: &Value) -> Result<Created, ProviderError> {
        let empty = json!({});
        let content = code(props.get("Content").unwrap_or(&empty), None, "Content")?;
        let name = name_or_generated(ctx, props, "LayerName", 64);
        let mut i = json!({ "LayerName": name, "Content": content });
        copy(
            props,
            &mut i,
            &[
                "Description",
                "CompatibleRuntimes",
                "CompatibleArchitectures",
                "LicenseInfo",
            ],
        );
        let l = ctx.call("lambda", "PublishLayerVersion", i).await?;
        let arn = scalar_text(&l["LayerVersionArn"]);
        Ok(created(&arn, json!({ "LayerVersionArn": arn })))
    }

    pub async fn update(
        _: &ResourceContext,
        id: &str,
        _: &Value,
        _: &Value,
    ) -> Result<Created, ProviderError> {
        Ok(created(id, json!({ "LayerVersionArn": id })))
    }

    pub async fn delete(ctx: &ResourceContext, id: &str, _: &Value) -> Result<(), ProviderError> {
        // arn:aws:lambda:region:account:layer:name:version
        let parts: Vec<&str> = id.split(':').collect();
        let (Some(name), Some(v)) = (
            parts.get(6),
            parts.get(7).and_then(|v| v.parse::<i64>().ok()),
        ) else {
            return Ok(());
        };
        gone(
            ctx.call(
                "lambda",
                "DeleteLayerVersion",
                json!({ "LayerName": name, "VersionNumber": v }),
            )
            .await,
        )
    }

    pub fn replace(old: &Value, new: &Value) -> bool {
        old != new
    }
}

mod invoke_config {
    use super::*;

    fn input(props: &Value) -> Result<Value, ProviderError> {
        let mut i = json!({
            "FunctionName": required(props, "FunctionName")?,
            "Qualifier": required(props, "Qualifier")?,
        });
        copy(
            props,
            &mut i,
            &[
                "MaximumRetryAttempts",
                "MaximumEventAgeInSeconds",
                "DestinationConfig",
            ],
        );
        Ok(i)
    }

    pub async fn create(ctx: &ResourceContext, props: &Value) -> Result<Created, ProviderError> {
        ctx.call("lambda", "PutFunctionEventInvokeConfig", input(props)?)
            .await?;
        Ok(created(ctx.generated_name(64), json!({})))
    }

    pub async fn update(
        ctx: &ResourceContext,
        id: &str,
        _: &Value,
        new: &Value,
    ) -> Result<Created, ProviderError> {
        ctx.call("lambda", "PutFunctionEventInvokeConfig", input(new)?)
            .await?;
        Ok(created(id, json!({})))
    }

    pub async fn delete(
        ctx: &ResourceContext,
        _: &str,
        props: &Value,
    ) -> Result<(), ProviderError> {
        let i = json!({ "FunctionName": required(props, "FunctionName")?, "Qualifier": required(props, "Qualifier")? });
        gone(
            ctx.call("lambda", "DeleteFunctionEventInvokeConfig", i)
                .await,
        )
    }

    pub fn replace(old: &Value, new: &Value) -> bool {
        changed(old, new, &["FunctionName", "Qualifier"])
    }
}
