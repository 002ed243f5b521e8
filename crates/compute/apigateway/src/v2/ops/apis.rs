//! APIs: CreateApi (with quick create), GetApi, GetApis, UpdateApi, DeleteApi,
//! DeleteCorsConfiguration, and tags on APIs and stages.

use super::{Ctx, changed, input, items, label, new_id, now, output, page_args};
use crate::v2::error::{Result, V2Error};
use crate::v2::store::{ApiDoc, Change, FORMAT, Snapshot};
use crate::v2::types::{Api, Integration, Route, Stage, Tags, merge};
use lamina_model::generated::apigatewayv2::op;
use serde::Deserialize;
use serde_json::{Value, json};

pub const OPS: &[&str] = &[
    op::CREATE_API,
    op::GET_API,
    op::GET_APIS,
    op::UPDATE_API,
    op::DELETE_API,
    op::DELETE_CORS_CONFIGURATION,
    op::TAG_RESOURCE,
    op::UNTAG_RESOURCE,
    op::GET_TAGS,
];

pub async fn call(cx: &Ctx<'_>, op: &str, v: &Value) -> Option<Result<Value>> {
    Some(match op {
        op::CREATE_API => create(cx, v).await,
        op::GET_API => cx
            .table
            .get(&cx.scope, &label(v, "ApiId"))
            .await
            .and_then(|d| output(&d.api)),
        op::GET_APIS => list(cx, v).await,
        op::UPDATE_API => update(cx, v).await,
        op::DELETE_API => delete(cx, v).await,
        op::DELETE_CORS_CONFIGURATION => {
            let id = label(v, "ApiId");
            cx.table
                .update(&cx.scope, &id, |mut d| {
                    d.api.cors_configuration = None;
                    Ok(changed(d, json!({}), true))
                })
                .await
        }
        op::TAG_RESOURCE => tag(cx, v).await,
        op::UNTAG_RESOURCE => untag(cx, v).await,
        op::GET_TAGS => get_tags(cx, v).await,
        _ => return None,
    })
}

/// CreateApi's members beyond the `Api` record.
#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct QuickCreate {
    target: Option<String>,
    route_key: Option<String>,
    credentials_arn: Option<String>,
}

async fn create(cx: &Ctx<'_>, v: &Value) -> Result<Value> {
    let mut api: Api = input(v)?;
    let quick: QuickCreate = input(v)?;
    match api.protocol_type.as_deref() {
        Some("HTTP") => {}
        Some("WEBSOCKET") => {
            return Err(V2Error::bad(
                "WebSocket APIs are not supported by Lamina yet; use ProtocolType HTTP",
            ));
        }
        other => {
            return Err(V2Error::bad(format!(
                "Invalid protocol type {}",
                other.unwrap_or_default()
            )));
        }
    }
    if let Some(rse) = &api.route_selection_expression
        && rse != "${request.method} ${request.path}"
        && rse != "$request.method $request.path"
    {
        return Err(V2Error::bad(
            "Unsupported route selection expression for HTTP.",
        ));
    }
    if quick.route_key.is_some() && quick.target.is_none() {
        return Err(V2Error::bad(
            "RouteKey can only be specified with a Target during quick create",
        ));
    }
    let id = new_id(10);
    api.api_id = Some(id.clone());
    api.api_endpoint = Some(cx.api_endpoint(&id));
    api.created_date = Some(now());
    api.route_selection_expression = Some("$request.method $request.path".into());
    api.api_key_selection_expression
        .get_or_insert_with(|| "$request.header.x-api-key".into());
    api.disable_execute_api_endpoint.get_or_insert(false);
    api.ip_address_type.get_or_insert_with(|| "ipv4".into());
    api.tags.get_or_insert_with(Tags::new);
    let mut doc = ApiDoc {
        v: FORMAT,
        api,
        ..Default::default()
    };
    let mut snaps = Vec::new();
    if let Some(target) = quick.target {
        quick_create(&mut doc, &target, quick.route_key, quick.credentials_arn)?;
        let mut drop = Vec::new();
        super::auto_deploy(&mut doc, &mut snaps, &mut drop);
    }
    if !cx.table.create(&cx.scope, &doc, &snaps).await? {
        return Err(V2Error::Conflict(
            "An API with this identifier already exists".into(),
        ));
    }
    output(&doc.api)
}

/// Quick create: an integration for `target`, a route (`$default` unless given) to it and
/// the `$default` stage with AutoDeploy, all marked `ApiGatewayManaged`.
fn quick_create(
    doc: &mut ApiDoc,
    target: &str,
    route_key: Option<String>,
    credentials: Option<String>,
) -> Result<()> {
    let route_key = route_key.unwrap_or_else(|| "$default".into());
    super::routes::check_route_key(&route_key)?;
    let lambda = target.starts_with("arn:") && target.contains(":lambda:");
    let http = target.starts_with("http://") || target.starts_with("https://");
    if !lambda && !http {
        return Err(V2Error::bad(format!(
            "Invalid target {target}: must be a Lambda function ARN or an HTTP URL"
        )));
    }
    let integ_id = new_id(7);
    doc.integrations.insert(
        integ_id.clone(),
        Integration {
            api_gateway_managed: Some(true),
            connection_type: Some("INTERNET".into()),
            credentials_arn: credentials,
            integration_id: Some(integ_id.clone()),
            integration_method: Some(if lambda { "POST" } else { "ANY" }.into()),
            integration_type: Some(if lambda { "AWS_PROXY" } else { "HTTP_PROXY" }.into()),
            integration_uri: Some(target.to_string()),
            payload_format_version: Some(if lambda { "2.0" } else { "1.0" }.into()),
            timeout_in_millis: Some(30000),
            ..Default::default()
        },
    );
    let route_id = new_id(7);
    doc.routes.insert(
        route_id.clone(),
        Route {
            api_gateway_managed: Some(true),
            api_key_required: Some(false),
            authorization_type: Some("NONE".into()),
            route_id: Some(route_id),
            route_key: Some(route_key),
            target: Some(format!("integrations/{integ_id}")),
            ..Default::default()
        },
    );
    let t = now();
    doc.stages.insert(
        "$default".into(),
        Stage {
            api_gateway_managed: Some(true),
            auto_deploy: Some(true),
            created_date: Some(t),
            default_route_settings: Some(Default::default()),
            last_updated_date: Some(t),
            route_settings: Some(Default::default()),
            stage_name: Some("$default".into()),
            stage_variables: Some(Default::default()),
            tags: Some(Tags::new()),
            ..Default::default()
        },
    );
    Ok(())
}

async fn list(cx: &Ctx<'_>, v: &Value) -> Result<Value> {
    let (limit, after) = page_args(v)?;
    let mut docs = cx
        .table
        .list(&cx.scope, after.as_deref(), limit + 1)
        .await?;
    let next = if docs.len() > limit {
        docs.truncate(limit);
        docs.last()
            .and_then(|d| d.api.api_id.clone())
            .map(|l| super::encode_token(&l))
    } else {
        None
    };
    items(docs.into_iter().map(|d| d.api).collect(), next)
}

async fn update(cx: &Ctx<'_>, v: &Value) -> Result<Value> {
    let id = label(v, "ApiId");
    let mut patch: Api = input(v)?;
    let quick: QuickCreate = input(v)?;
    if let Some(rse) = &patch.route_selection_expression
        && rse != "${request.method} ${request.path}"
        && rse != "$request.method $request.path"
    {
        return Err(V2Error::bad(
            "Unsupported route selection expression for HTTP.",
        ));
    }
    // Read-only members are not updatable.
    patch.api_id = None;
    patch.api_endpoint = None;
    patch.created_date = None;
    patch.protocol_type = None;
    patch.tags = None;
    patch.route_selection_expression = None;
    cx.table
        .update(&cx.scope, &id, |d| {
            let mut d2 = d.clone();
            d2.api = merge(&d.api, &patch).map_err(|e| V2Error::Internal(e.to_string()))?;
            if let Some(target) = &quick.target {
                // Quick update: retarget the managed integration.
                for i in d2
                    .integrations
                    .values_mut()
                    .filter(|i| i.api_gateway_managed == Some(true))
                {
                    i.integration_uri = Some(target.clone());
                }
            }
            let cors_changed = d.api.cors_configuration != d2.api.cors_configuration;
            let api = d2.api.clone();
            Ok(changed(d2, api, cors_changed || quick.target.is_some()))
        })
        .await
        .and_then(|a| output(&a))
}

async fn delete(cx: &Ctx<'_>, v: &Value) -> Result<Value> {
    let id = label(v, "ApiId");
    cx.table
        .update(&cx.scope, &id, |d| {
            Ok(Change {
                doc: None,
                snapshots: Vec::<(String, Snapshot)>::new(),
                drop_snapshots: d.deployments.keys().cloned().collect(),
                result: json!({}),
            })
        })
        .await
}

/// `arn:aws:apigateway:<region>::/apis/<id>[/stages/<stage>]` → (api id, stage).
fn parse_arn(arn: &str) -> Result<(String, Option<String>)> {
    let bad = || V2Error::NotFound(format!("Invalid resource identifier specified {arn}"));
    let path = arn.split_once("::/").map(|(_, p)| p).ok_or_else(bad)?;
    let parts: Vec<&str> = path.split('/').collect();
    match parts.as_slice() {
        ["apis", id] => Ok((id.to_string(), None)),
        ["apis", id, "stages", stage] => Ok((id.to_string(), Some(stage.to_string()))),
        _ => Err(bad()),
    }
}

fn tags_of<'d>(d: &'d mut ApiDoc, stage: &Option<String>) -> Result<&'d mut Tags> {
    match stage {
        None => Ok(d.api.tags.get_or_insert_with(Tags::new)),
        Some(s) => d
            .stages
            .get_mut(s)
            .map(|st| st.tags.get_or_insert_with(Tags::new))
            .ok_or_else(|| V2Error::NotFound(format!("Invalid stage identifier specified {s}"))),
    }
}

async fn tag(cx: &Ctx<'_>, v: &Value) -> Result<Value> {
    let (id, stage) = parse_arn(&label(v, "ResourceArn"))?;
    let new: Tags = input(v.get("Tags").unwrap_or(&json!({})))?;
    cx.table
        .update(&cx.scope, &id, |mut d| {
            let tags = tags_of(&mut d, &stage)?;
            tags.extend(new.clone());
            if tags.len() > 50 {
                return Err(V2Error::bad(
                    "Number of tags on the resource cannot exceed 50",
                ));
            }
            Ok(changed(d, json!({}), false))
        })
        .await
}

async fn untag(cx: &Ctx<'_>, v: &Value) -> Result<Value> {
    let (id, stage) = parse_arn(&label(v, "ResourceArn"))?;
    let keys: Vec<String> = input(v.get("TagKeys").unwrap_or(&json!([])))?;
    cx.table
        .update(&cx.scope, &id, |mut d| {
            let tags = tags_of(&mut d, &stage)?;
            for k in &keys {
                tags.remove(k);
            }
            Ok(changed(d, json!({}), false))
        })
        .await
}

async fn get_tags(cx: &Ctx<'_>, v: &Value) -> Result<Value> {
    let (id, stage) = parse_arn(&label(v, "ResourceArn"))?;
    let mut d = cx.table.get(&cx.scope, &id).await?;
    let tags = tags_of(&mut d, &stage)?.clone();
    Ok(json!({ "Tags": tags }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v2_resource_arns() {
        assert_eq!(
            parse_arn("arn:aws:apigateway:us-east-1::/apis/abc").unwrap(),
            ("abc".into(), None)
        );
        assert_eq!(
            parse_arn("arn:aws:apigateway:us-east-1::/apis/abc/stages/prod").unwrap(),
            ("abc".into(), Some("prod".into()))
        );
        assert!(parse_arn("arn:aws:apigateway:us-east-1::/restapis/abc").is_err());
    }
}
