//! API keys, usage plans, usage-plan keys and GetUsage.

use super::{Cx, Patch, new_id, now, page};
use crate::v1::error::{ApiGwError, Result};
use crate::v1::patch::{self, Kind, segments};
use crate::v1::store::{self, PlanDoc};
use crate::v1::types::{
    ApiKey, ApiStage, QuotaSettings, StrMap, ThrottleSettings, UsagePlan, UsagePlanKey,
};
use serde::Deserialize;
use serde_json::{Value, json};

fn key_not_found() -> ApiGwError {
    ApiGwError::NotFound("Invalid API Key identifier specified".into())
}

fn plan_not_found() -> ApiGwError {
    ApiGwError::NotFound("Invalid Usage Plan ID specified".into())
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct CreateApiKeyRequest {
    pub name: Option<String>,
    pub description: Option<String>,
    pub enabled: bool,
    pub generate_distinct_id: bool,
    pub value: Option<String>,
    pub stage_keys: Vec<Value>,
    pub customer_id: Option<String>,
    pub tags: Option<StrMap>,
}

pub async fn create_key(cx: &Cx<'_>, req: CreateApiKeyRequest) -> Result<ApiKey> {
    let value = match req.value {
        Some(v) if v.len() < 20 => {
            return Err(ApiGwError::bad(
                "API Key value should be at least 20 characters",
            ));
        }
        Some(v) => v,
        None => lamina_core::random_alnum(
            40,
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
        ),
    };
    let mut stage_keys = Vec::new();
    for sk in &req.stage_keys {
        let api = sk["restApiId"].as_str().unwrap_or_default();
        let stage = sk["stageName"].as_str().unwrap_or_default();
        super::deployments::load_stage(cx, api, stage).await?;
        stage_keys.push(format!("{api}/{stage}"));
    }
    let t = now();
    let key = ApiKey {
        id: new_id(10),
        value: Some(value),
        name: req.name,
        customer_id: req.customer_id,
        description: req.description,
        enabled: req.enabled,
        created_date: t,
        last_updated_date: t,
        stage_keys,
        tags: Some(req.tags.unwrap_or_default()),
    };
    if !cx
        .db
        .create(store::KEYS, cx.scope.key(&[&key.id]), &key)
        .await?
    {
        return Err(ApiGwError::Conflict("API Key already exists".into()));
    }
    Ok(key)
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct KeyRef {
    pub api_key: String,
    pub include_value: Option<bool>,
    pub include_values: Option<bool>,
    pub name_query: Option<String>,
    pub customer_id: Option<String>,
    pub position: Option<String>,
    pub limit: Option<i64>,
}

pub async fn get_key(cx: &Cx<'_>, r: KeyRef) -> Result<ApiKey> {
    let mut k: ApiKey = cx
        .db
        .get(store::KEYS, &cx.scope.key(&[&r.api_key]))
        .await?
        .ok_or_else(key_not_found)?;
    if r.include_value != Some(true) {
        k.value = None;
    }
    Ok(k)
}

pub async fn all_keys(cx: &Cx<'_>) -> Result<Vec<ApiKey>> {
    cx.db.list(store::KEYS, &cx.scope.prefix(&[])).await
}

pub async fn get_keys(cx: &Cx<'_>, r: KeyRef) -> Result<Value> {
    let mut keys: Vec<ApiKey> = all_keys(cx)
        .await?
        .into_iter()
        .filter(|k| {
            r.name_query.as_ref().is_none_or(|q| {
                k.name
                    .as_deref()
                    .unwrap_or_default()
                    .starts_with(q.as_str())
            }) && r
                .customer_id
                .as_ref()
                .is_none_or(|c| k.customer_id.as_ref() == Some(c))
        })
        .collect();
    if r.include_values != Some(true) {
        keys.iter_mut().for_each(|k| k.value = None);
    }
    keys.sort_by(|a, b| a.created_date.total_cmp(&b.created_date));
    let (items, position) = page(keys, r.position.as_deref(), r.limit);
    Ok(json!({"items": items, "position": position}))
}

const KEY_FIELDS: &[(&str, Kind)] = &[
    ("name", Kind::Str),
    ("description", Kind::Str),
    ("enabled", Kind::Bool),
    ("customerId", Kind::Str),
    ("stageKeys", Kind::List),
];

pub async fn update_key(cx: &Cx<'_>, r: KeyRef, p: Patch) -> Result<ApiKey> {
    let mut k = cx
        .db
        .update(
            store::KEYS,
            &cx.scope.key(&[&r.api_key]),
            key_not_found,
            |k: &mut ApiKey| {
                *k = patch::patch(k, &p.patch_operations, KEY_FIELDS)?;
                k.last_updated_date = now();
                Ok(k.clone())
            },
        )
        .await?;
    k.value = None;
    Ok(k)
}

pub async fn delete_key(cx: &Cx<'_>, r: KeyRef) -> Result<()> {
    if !cx
        .db
        .delete(store::KEYS, &cx.scope.key(&[&r.api_key]))
        .await?
    {
        return Err(key_not_found());
    }
    Ok(())
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct CreateUsagePlanRequest {
    pub name: String,
    pub description: Option<String>,
    pub api_stages: Vec<ApiStage>,
    pub throttle: Option<ThrottleSettings>,
    pub quota: Option<QuotaSettings>,
    pub tags: Option<StrMap>,
}

async fn check_api_stages(cx: &Cx<'_>, stages: &[ApiStage]) -> Result<()> {
    for s in stages {
        super::deployments::load_stage(cx, &s.api_id, &s.stage).await?;
    }
    Ok(())
}

fn check_quota(q: &Option<QuotaSettings>) -> Result<()> {
    if let Some(q) = q
        && let Some(p) = q.period.as_deref()
        && !matches!(p, "DAY" | "WEEK" | "MONTH")
    {
        return Err(ApiGwError::bad(format!(
            "Invalid quota period specified: {p}. Valid values are DAY, WEEK, MONTH"
        )));
    }
    Ok(())
}

pub async fn create_plan(cx: &Cx<'_>, req: CreateUsagePlanRequest) -> Result<UsagePlan> {
    check_api_stages(cx, &req.api_stages).await?;
    check_quota(&req.quota)?;
    let plan = UsagePlan {
        id: new_id(6),
        name: req.name,
        description: req.description,
        api_stages: req.api_stages,
        throttle: req.throttle,
        quota: req.quota,
        product_code: None,
        tags: Some(req.tags.unwrap_or_default()),
    };
    let doc = PlanDoc {
        plan: plan.clone(),
        keys: Default::default(),
    };
    if !cx
        .db
        .create(store::PLANS, cx.scope.key(&[&plan.id]), &doc)
        .await?
    {
        return Err(ApiGwError::Conflict("Usage plan already exists".into()));
    }
    Ok(plan)
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct PlanRef {
    pub usage_plan_id: String,
    pub key_id: Option<String>,
    pub key_type: Option<String>,
    pub position: Option<String>,
    pub limit: Option<i64>,
    pub name_query: Option<String>,
    pub start_date: Option<String>,
    pub end_date: Option<String>,
}

async fn load_plan(cx: &Cx<'_>, id: &str) -> Result<PlanDoc> {
    cx.db
        .get(store::PLANS, &cx.scope.key(&[id]))
        .await?
        .ok_or_else(plan_not_found)
}

pub async fn all_plans(cx: &Cx<'_>) -> Result<Vec<PlanDoc>> {
    cx.db.list(store::PLANS, &cx.scope.prefix(&[])).await
}

pub async fn get_plan(cx: &Cx<'_>, r: PlanRef) -> Result<UsagePlan> {
    Ok(load_plan(cx, &r.usage_plan_id).await?.plan)
}

pub async fn get_plans(cx: &Cx<'_>, r: PlanRef) -> Result<Value> {
    let plans: Vec<UsagePlan> = all_plans(cx)
        .await?
        .into_iter()
        .filter(|p| r.key_id.as_ref().is_none_or(|k| p.keys.contains_key(k)))
        .map(|p| p.plan)
        .collect();
    let (items, position) = page(plans, r.position.as_deref(), r.limit);
    Ok(json!({"items": items, "position": position}))
}

/// Usage plan patch paths: scalars, `/throttle/*`, `/quota/*`, `/apiStages` (value
/// `apiId:stage`).
fn patch_plan(plan: &UsagePlan, p: &Patch) -> Result<UsagePlan> {
    let mut out = plan.clone();
    for op in &p.patch_operations {
        let segs = segments(&op.path);
        let value = op.value.clone().unwrap_or_default();
        let num = |v: &str| {
            v.parse::<f64>()
                .map_err(|_| ApiGwError::bad(format!("Invalid number value: {v}")))
        };
        match (segs[0].as_str(), segs.get(1).map(String::as_str)) {
            ("throttle", Some(field)) => {
                let t = out.throttle.get_or_insert_with(Default::default);
                match (field, op.op.as_str()) {
                    (_, "remove") => out.throttle = None,
                    ("rateLimit", _) => t.rate_limit = Some(num(&value)?),
                    ("burstLimit", _) => t.burst_limit = Some(num(&value)? as i64),
                    _ => return Err(ApiGwError::bad(format!("Invalid patch path {}", op.path))),
                }
            }
            ("throttle", None) if op.op == "remove" => out.throttle = None,
            ("quota", Some(field)) => {
                let q = out.quota.get_or_insert_with(Default::default);
                match (field, op.op.as_str()) {
                    (_, "remove") => out.quota = None,
                    ("limit", _) => q.limit = Some(num(&value)? as i64),
                    ("offset", _) => q.offset = Some(num(&value)? as i64),
                    ("period", _) => q.period = Some(value.clone()),
                    _ => return Err(ApiGwError::bad(format!("Invalid patch path {}", op.path))),
                }
            }
            ("quota", None) if op.op == "remove" => out.quota = None,
            ("apiStages", _) => {
                let (api, stage) = value.split_once(':').ok_or_else(|| {
                    ApiGwError::bad(format!("Invalid API stage specified: {value}"))
                })?;
                match op.op.as_str() {
                    "add" => out.api_stages.push(ApiStage {
                        api_id: api.into(),
                        stage: stage.into(),
                        throttle: None,
                    }),
                    "remove" => out
                        .api_stages
                        .retain(|s| !(s.api_id == api && s.stage == stage)),
                    _ => {
                        return Err(ApiGwError::bad(format!(
                            "Invalid patch operation {}",
                            op.op
                        )));
                    }
                }
            }
            _ => {
                out = patch::patch(
                    &out,
                    std::slice::from_ref(op),
                    &[
                        ("name", Kind::Str),
                        ("description", Kind::Str),
                        ("productCode", Kind::Str),
                    ],
                )?
            }
        }
    }
    check_quota(&out.quota)?;
    Ok(out)
}

pub async fn update_plan(cx: &Cx<'_>, r: PlanRef, p: Patch) -> Result<UsagePlan> {
    let current = load_plan(cx, &r.usage_plan_id).await?;
    let preview = patch_plan(&current.plan, &p)?;
    check_api_stages(cx, &preview.api_stages).await?;
    cx.db
        .update(
            store::PLANS,
            &cx.scope.key(&[&r.usage_plan_id]),
            plan_not_found,
            |d: &mut PlanDoc| {
                d.plan = patch_plan(&d.plan, &p)?;
                Ok(d.plan.clone())
            },
        )
        .await
}

pub async fn delete_plan(cx: &Cx<'_>, r: PlanRef) -> Result<()> {
    if !cx
        .db
        .delete(store::PLANS, &cx.scope.key(&[&r.usage_plan_id]))
        .await?
    {
        return Err(plan_not_found());
    }
    Ok(())
}

pub async fn create_plan_key(cx: &Cx<'_>, r: PlanRef) -> Result<UsagePlanKey> {
    let key_id = r.key_id.clone().unwrap_or_default();
    if r.key_type.as_deref() != Some("API_KEY") {
        return Err(ApiGwError::bad(
            "Invalid key type specified. Valid value is API_KEY",
        ));
    }
    let key: ApiKey = cx
        .db
        .get(store::KEYS, &cx.scope.key(&[&key_id]))
        .await?
        .ok_or_else(key_not_found)?;
    let pk = UsagePlanKey {
        id: key.id.clone(),
        kind: "API_KEY".into(),
        value: key.value.clone(),
        name: key.name.clone(),
    };
    cx.db
        .update(
            store::PLANS,
            &cx.scope.key(&[&r.usage_plan_id]),
            plan_not_found,
            |d: &mut PlanDoc| {
                if d.keys.contains_key(&pk.id) {
                    return Err(ApiGwError::Conflict(format!(
                        "Usage Plan {} cannot be added because API Key {} is already associated with it",
                        d.plan.id, pk.id
                    )));
                }
                d.keys.insert(pk.id.clone(), pk.clone());
                Ok(pk.clone())
            },
        )
        .await
}

pub async fn get_plan_key(cx: &Cx<'_>, r: PlanRef) -> Result<UsagePlanKey> {
    let d = load_plan(cx, &r.usage_plan_id).await?;
    d.keys
        .get(r.key_id.as_deref().unwrap_or_default())
        .cloned()
        .ok_or_else(|| ApiGwError::NotFound("Invalid Usage Plan Key identifier specified".into()))
}

pub async fn get_plan_keys(cx: &Cx<'_>, r: PlanRef) -> Result<Value> {
    let d = load_plan(cx, &r.usage_plan_id).await?;
    let keys: Vec<UsagePlanKey> = d
        .keys
        .into_values()
        .filter(|k| {
            r.name_query.as_ref().is_none_or(|q| {
                k.name
                    .as_deref()
                    .unwrap_or_default()
                    .starts_with(q.as_str())
            })
        })
        .collect();
    let (items, position) = page(keys, r.position.as_deref(), r.limit);
    Ok(json!({"items": items, "position": position}))
}

pub async fn delete_plan_key(cx: &Cx<'_>, r: PlanRef) -> Result<()> {
    let key_id = r.key_id.clone().unwrap_or_default();
    cx.db
        .update(
            store::PLANS,
            &cx.scope.key(&[&r.usage_plan_id]),
            plan_not_found,
            |d: &mut PlanDoc| {
                d.keys.remove(&key_id).map(|_| ()).ok_or_else(|| {
                    ApiGwError::NotFound("Invalid Usage Plan Key identifier specified".into())
                })
            },
        )
        .await
}

fn usage_error(e: crate::throttle::UsageError) -> ApiGwError {
    match e {
        crate::throttle::UsageError::BadRequest(m) => ApiGwError::bad(m),
        crate::throttle::UsageError::Store(e) => ApiGwError::Store(e),
        crate::throttle::UsageError::Corrupt(m) => ApiGwError::Internal(m),
    }
}

/// The plan's quota as the throttle module reads it (`None` without one).
fn quota_of(plan: &UsagePlan) -> Option<crate::throttle::Quota> {
    let q = plan.quota.as_ref()?;
    serde_json::from_value(serde_json::to_value(q).ok()?).ok()
}

/// GetUsage: one `[used, remaining]` pair per day per key of the plan (or the one `keyId`),
/// from the usage counters the data plane keeps (`throttle::Usage`).
pub async fn get_usage(cx: &Cx<'_>, r: PlanRef) -> Result<Value> {
    let d = load_plan(cx, &r.usage_plan_id).await?;
    let start = r.start_date.clone().unwrap_or_default();
    let end = r.end_date.clone().unwrap_or_default();
    day_count(&start, &end)?;
    let keys: Vec<String> = d
        .keys
        .keys()
        .filter(|k| r.key_id.as_ref().is_none_or(|want| want == *k))
        .cloned()
        .collect();
    let usage = crate::throttle::Usage::new(cx.db.store.clone());
    let scope = crate::throttle::PlanScope {
        account: &cx.scope.account,
        region: &cx.scope.region,
        plan_id: &d.plan.id,
    };
    usage
        .get_usage(scope, quota_of(&d.plan).as_ref(), &keys, &start, &end)
        .await
        .map_err(usage_error)
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct UsageKeyRef {
    pub usage_plan_id: String,
    pub key_id: String,
}

/// UpdateUsage: `replace /remaining` sets what is left of the key's quota in the current
/// period; the answer is the key's usage today.
pub async fn update_usage(cx: &Cx<'_>, r: UsageKeyRef, p: Patch) -> Result<Value> {
    let d = load_plan(cx, &r.usage_plan_id).await?;
    if !d.keys.contains_key(&r.key_id) {
        return Err(ApiGwError::NotFound(
            "Invalid Usage Plan Key identifier specified".into(),
        ));
    }
    let Some(quota) = quota_of(&d.plan) else {
        return Err(ApiGwError::bad(format!(
            "Usage plan {} does not have a quota",
            d.plan.id
        )));
    };
    let mut remaining = None;
    for op in &p.patch_operations {
        if op.op != "replace" || op.path != "/remaining" {
            return Err(ApiGwError::bad(format!(
                "Invalid patch path '{}' specified for op '{}'. Must be one of: [/remaining]",
                op.path, op.op
            )));
        }
        let v = op.value.as_deref().unwrap_or_default();
        let n: i64 = v.parse().ok().filter(|n| *n >= 0).ok_or_else(|| {
            ApiGwError::bad(format!("Invalid Integer value for field remaining: {v}"))
        })?;
        remaining = Some(n);
    }
    let usage = crate::throttle::Usage::new(cx.db.store.clone());
    let scope = crate::throttle::PlanScope {
        account: &cx.scope.account,
        region: &cx.scope.region,
        plan_id: &d.plan.id,
    };
    let now = std::time::SystemTime::now();
    if let Some(n) = remaining {
        usage
            .set_remaining(scope, &r.key_id, &quota, n, now)
            .await
            .map_err(usage_error)?;
    }
    let today = crate::throttle::usage::format_day(crate::throttle::usage::day_of(now));
    usage
        .get_usage(scope, Some(&quota), std::slice::from_ref(&r.key_id), &today, &today)
        .await
        .map_err(usage_error)
}

fn day_count(start: &str, end: &str) -> Result<i64> {
    let parse = |s: &str| {
        super::parse_date(s).ok_or_else(|| {
            ApiGwError::bad(format!("Invalid date format: {s}. Expected yyyy-MM-dd"))
        })
    };
    let (a, b) = (parse(start)?, parse(end)?);
    if b < a {
        return Err(ApiGwError::bad(
            "The end date must not be before the start date",
        ));
    }
    Ok((b - a + 1).min(90))
}
