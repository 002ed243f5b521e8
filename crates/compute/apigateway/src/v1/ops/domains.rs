//! Custom domain names, base path mappings, and tags (TagResource, UntagResource, GetTags).

use super::{Cx, Patch, now, page};
use crate::v1::error::{ApiGwError, Result};
use crate::v1::patch::{self, Kind};
use crate::v1::store::{self, ApiDoc, DomainDoc, PlanDoc};
use crate::v1::types::{ApiKey, BasePathMapping, DomainName, Stage, StrMap};
use serde::Deserialize;
use serde_json::{Value, json};

fn domain_not_found() -> ApiGwError {
    ApiGwError::NotFound("Invalid domain name identifier specified".into())
}

fn mapping_not_found() -> ApiGwError {
    ApiGwError::NotFound("Invalid base path mapping identifier specified".into())
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct CreateDomainNameRequest {
    pub domain_name: String,
    pub certificate_name: Option<String>,
    pub certificate_arn: Option<String>,
    pub regional_certificate_name: Option<String>,
    pub regional_certificate_arn: Option<String>,
    pub endpoint_configuration: Option<Value>,
    pub tags: Option<StrMap>,
    pub security_policy: Option<String>,
}

pub async fn create_domain(cx: &Cx<'_>, req: CreateDomainNameRequest) -> Result<DomainName> {
    let regional = req
        .endpoint_configuration
        .as_ref()
        .and_then(|e| e["types"].as_array())
        .is_some_and(|t| t.iter().any(|x| x == "REGIONAL"));
    let hash = &super::new_id(12);
    let mut d = DomainName {
        domain_name: req.domain_name.clone(),
        domain_name_arn: Some(format!(
            "arn:aws:apigateway:{}::/domainnames/{}",
            cx.scope.region, req.domain_name
        )),
        certificate_name: req.certificate_name,
        certificate_arn: req.certificate_arn,
        certificate_upload_date: Some(now()),
        regional_certificate_name: req.regional_certificate_name,
        regional_certificate_arn: req.regional_certificate_arn,
        endpoint_configuration: Some(
            req.endpoint_configuration
                .unwrap_or_else(|| json!({"types": ["EDGE"]})),
        ),
        domain_name_status: Some("AVAILABLE".into()),
        security_policy: Some(req.security_policy.unwrap_or_else(|| "TLS_1_2".into())),
        tags: Some(req.tags.unwrap_or_default()),
        ..Default::default()
    };
    if regional {
        d.regional_domain_name = Some(format!(
            "d-{hash}.execute-api.{}.amazonaws.com",
            cx.scope.region
        ));
        d.regional_hosted_zone_id = Some("Z1UJRXOUMOOFQ8".into());
    } else {
        d.distribution_domain_name = Some(format!("d{hash}.cloudfront.net"));
        d.distribution_hosted_zone_id = Some("Z2FDTNDATAQYW2".into());
    }
    let doc = DomainDoc {
        domain: d.clone(),
        mappings: Default::default(),
    };
    if !cx
        .db
        .create(store::DOMAINS, cx.scope.key(&[&d.domain_name]), &doc)
        .await?
    {
        return Err(ApiGwError::Conflict(
            "The domain name you provided already exists.".into(),
        ));
    }
    Ok(d)
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct DomainRef {
    pub domain_name: String,
    pub base_path: Option<String>,
    pub rest_api_id: Option<String>,
    pub stage: Option<String>,
    pub position: Option<String>,
    pub limit: Option<i64>,
}

pub async fn load_domain(cx: &Cx<'_>, name: &str) -> Result<DomainDoc> {
    cx.db
        .get(store::DOMAINS, &cx.scope.key(&[name]))
        .await?
        .ok_or_else(domain_not_found)
}

pub async fn get_domain(cx: &Cx<'_>, r: DomainRef) -> Result<DomainName> {
    Ok(load_domain(cx, &r.domain_name).await?.domain)
}

pub async fn get_domains(cx: &Cx<'_>, r: DomainRef) -> Result<Value> {
    let docs: Vec<DomainDoc> = cx.db.list(store::DOMAINS, &cx.scope.prefix(&[])).await?;
    let (items, position) = page(
        docs.into_iter().map(|d| d.domain).collect::<Vec<_>>(),
        r.position.as_deref(),
        r.limit,
    );
    Ok(json!({"items": items, "position": position}))
}

pub async fn delete_domain(cx: &Cx<'_>, r: DomainRef) -> Result<()> {
    if !cx
        .db
        .delete(store::DOMAINS, &cx.scope.key(&[&r.domain_name]))
        .await?
    {
        return Err(domain_not_found());
    }
    Ok(())
}

pub async fn update_domain(cx: &Cx<'_>, r: DomainRef, p: Patch) -> Result<DomainName> {
    cx.db
        .update(
            store::DOMAINS,
            &cx.scope.key(&[&r.domain_name]),
            domain_not_found,
            |d: &mut DomainDoc| {
                d.domain = patch::patch(
                    &d.domain,
                    &p.patch_operations,
                    &[
                        ("certificateName", Kind::Str),
                        ("certificateArn", Kind::Str),
                        ("regionalCertificateName", Kind::Str),
                        ("regionalCertificateArn", Kind::Str),
                        ("securityPolicy", Kind::Str),
                    ],
                )?;
                Ok(d.domain.clone())
            },
        )
        .await
}

/// `(none)` is how API Gateway names the empty base path.
fn base_path_key(p: Option<&str>) -> String {
    match p {
        None | Some("") | Some("(none)") => "(none)".into(),
        Some(p) => p.trim_matches('/').to_string(),
    }
}

pub async fn create_mapping(cx: &Cx<'_>, r: DomainRef) -> Result<BasePathMapping> {
    let api = r.rest_api_id.clone().unwrap_or_default();
    cx.load_api(&api).await?;
    if let Some(stage) = &r.stage {
        super::deployments::load_stage(cx, &api, stage)
            .await
            .map_err(|_| ApiGwError::bad("Invalid stage identifier specified"))?;
    }
    let m = BasePathMapping {
        base_path: base_path_key(r.base_path.as_deref()),
        rest_api_id: api,
        stage: r.stage.clone(),
    };
    cx.db
        .update(
            store::DOMAINS,
            &cx.scope.key(&[&r.domain_name]),
            domain_not_found,
            |d: &mut DomainDoc| {
                if d.mappings.contains_key(&m.base_path) {
                    return Err(ApiGwError::Conflict(
                        "Base path already exists for this domain name".into(),
                    ));
                }
                d.mappings.insert(m.base_path.clone(), m.clone());
                Ok(m.clone())
            },
        )
        .await
}

pub async fn get_mapping(cx: &Cx<'_>, r: DomainRef) -> Result<BasePathMapping> {
    let d = load_domain(cx, &r.domain_name).await?;
    d.mappings
        .get(&base_path_key(r.base_path.as_deref()))
        .cloned()
        .ok_or_else(mapping_not_found)
}

pub async fn get_mappings(cx: &Cx<'_>, r: DomainRef) -> Result<Value> {
    let d = load_domain(cx, &r.domain_name).await?;
    let (items, position) = page(
        d.mappings.into_values().collect::<Vec<_>>(),
        r.position.as_deref(),
        r.limit,
    );
    Ok(json!({"items": items, "position": position}))
}

pub async fn delete_mapping(cx: &Cx<'_>, r: DomainRef) -> Result<()> {
    let key = base_path_key(r.base_path.as_deref());
    cx.db
        .update(
            store::DOMAINS,
            &cx.scope.key(&[&r.domain_name]),
            domain_not_found,
            |d: &mut DomainDoc| {
                d.mappings
                    .remove(&key)
                    .map(|_| ())
                    .ok_or_else(mapping_not_found)
            },
        )
        .await
}

pub async fn update_mapping(cx: &Cx<'_>, r: DomainRef, p: Patch) -> Result<BasePathMapping> {
    let key = base_path_key(r.base_path.as_deref());
    cx.db
        .update(
            store::DOMAINS,
            &cx.scope.key(&[&r.domain_name]),
            domain_not_found,
            |d: &mut DomainDoc| {
                let m = d.mappings.remove(&key).ok_or_else(mapping_not_found)?;
                let mut m = patch::patch(
                    &m,
                    &p.patch_operations,
                    &[
                        ("basePath", Kind::Str),
                        ("restapiId", Kind::Str),
                        ("restApiId", Kind::Str),
                        ("stage", Kind::Str),
                    ],
                )?;
                m.base_path = base_path_key(Some(&m.base_path));
                d.mappings.insert(m.base_path.clone(), m.clone());
                Ok(m)
            },
        )
        .await
}

/// What a tag ARN names.
enum Tagged {
    Api(String),
    Stage(String, String),
    Key(String),
    Plan(String),
    Domain(String),
}

fn parse_arn(arn: &str) -> Result<Tagged> {
    let invalid = || ApiGwError::bad(format!("Invalid ARN specified: {arn}"));
    let rest = arn
        .strip_prefix("arn:aws:apigateway:")
        .and_then(|r| r.split_once("::"))
        .map(|(_, path)| path)
        .ok_or_else(invalid)?;
    let parts: Vec<&str> = rest.trim_start_matches('/').split('/').collect();
    Ok(match parts.as_slice() {
        ["restapis", id] => Tagged::Api(id.to_string()),
        ["restapis", id, "stages", s] => Tagged::Stage(id.to_string(), s.to_string()),
        ["apikeys", id] => Tagged::Key(id.to_string()),
        ["usageplans", id] => Tagged::Plan(id.to_string()),
        ["domainnames", d] => Tagged::Domain(d.to_string()),
        _ => return Err(invalid()),
    })
}

/// Applies `f` to the tag map of the resource `arn` names; returns the tags after.
async fn with_tags(cx: &Cx<'_>, arn: &str, f: impl Fn(&mut StrMap) + Copy) -> Result<StrMap> {
    let edit = move |t: &mut Option<StrMap>| {
        let tags = t.get_or_insert_with(StrMap::new);
        f(tags);
        Ok(tags.clone())
    };
    match parse_arn(arn)? {
        Tagged::Api(id) => {
            cx.update_api(&id, |d: &mut ApiDoc| edit(&mut d.api.tags))
                .await
        }
        Tagged::Stage(api, s) => {
            cx.load_api(&api).await?;
            cx.db
                .update(
                    store::STAGES,
                    &cx.scope.key(&[&api, &s]),
                    ApiGwError::stage_not_found,
                    |st: &mut Stage| edit(&mut st.tags),
                )
                .await
        }
        Tagged::Key(id) => {
            cx.db
                .update(
                    store::KEYS,
                    &cx.scope.key(&[&id]),
                    || ApiGwError::NotFound("Invalid API Key identifier specified".into()),
                    |k: &mut ApiKey| edit(&mut k.tags),
                )
                .await
        }
        Tagged::Plan(id) => {
            cx.db
                .update(
                    store::PLANS,
                    &cx.scope.key(&[&id]),
                    || ApiGwError::NotFound("Invalid Usage Plan ID specified".into()),
                    |p: &mut PlanDoc| edit(&mut p.plan.tags),
                )
                .await
        }
        Tagged::Domain(d) => {
            cx.db
                .update(
                    store::DOMAINS,
                    &cx.scope.key(&[&d]),
                    domain_not_found,
                    |x: &mut DomainDoc| edit(&mut x.domain.tags),
                )
                .await
        }
    }
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct TagRequest {
    pub resource_arn: String,
    pub tags: StrMap,
    pub tag_keys: Vec<String>,
}

pub async fn tag(cx: &Cx<'_>, r: TagRequest) -> Result<()> {
    let add = &r.tags;
    with_tags(cx, &r.resource_arn, |t| t.extend(add.clone())).await?;
    Ok(())
}

pub async fn untag(cx: &Cx<'_>, r: TagRequest) -> Result<()> {
    let keys = &r.tag_keys;
    with_tags(cx, &r.resource_arn, |t| {
        keys.iter().for_each(|k| {
            t.remove(k);
        })
    })
    .await?;
    Ok(())
}

pub async fn get_tags(cx: &Cx<'_>, r: TagRequest) -> Result<Value> {
    let tags = with_tags(cx, &r.resource_arn, |_| {}).await?;
    Ok(json!({ "tags": tags }))
}
