//! Inputs of the control-plane operations (serde mirrors of the model shapes; a test checks
//! every field against the model) and CreateTable's validation, with AWS's messages.
//!
//! The gateway already checked types, required members, lengths, ranges and enums; what is
//! left here are the cross-field rules.

use crate::error::{DdbError, Result};
use crate::table::{
    BillingMode, IndexMeta, IndexStatus, KeyAttr, KeyDef, Projection as ProjectionMeta,
    ProjectionType, ScalarType, Throughput,
};
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeSet;

/// Per-table index limits.
pub(crate) const MAX_GSIS: usize = 20;
pub(crate) const MAX_LSIS: usize = 5;
/// Tags per resource.
pub(crate) const MAX_TAGS: usize = 50;
/// Largest capacity AWS accepts.
const MAX_CAPACITY: i64 = 1_000_000_000_000;

const INVALID: &str = "One or more parameter values were invalid: ";

pub(crate) fn invalid(msg: impl std::fmt::Display) -> DdbError {
    DdbError::Validation(format!("{INVALID}{msg}"))
}

/// Deserializes an operation input (already validated against the model by the gateway).
pub(crate) fn parse<T: for<'de> Deserialize<'de>>(input: &Value) -> Result<T> {
    T::deserialize(input).map_err(|e| DdbError::Validation(format!("Invalid request: {e}")))
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct KeySchemaElement {
    pub attribute_name: String,
    pub key_type: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct AttributeDefinition {
    pub attribute_name: String,
    pub attribute_type: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ProvisionedThroughput {
    pub read_capacity_units: i64,
    pub write_capacity_units: i64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct Projection {
    #[serde(default)]
    pub projection_type: Option<String>,
    #[serde(default)]
    pub non_key_attributes: Option<Vec<String>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct LocalSecondaryIndex {
    pub index_name: String,
    pub key_schema: Vec<KeySchemaElement>,
    pub projection: Projection,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct GlobalSecondaryIndex {
    pub index_name: String,
    pub key_schema: Vec<KeySchemaElement>,
    pub projection: Projection,
    #[serde(default)]
    pub provisioned_throughput: Option<ProvisionedThroughput>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct StreamSpecification {
    pub stream_enabled: bool,
    #[serde(default)]
    pub stream_view_type: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct SseSpecification {
    #[serde(rename = "Enabled", default)]
    pub enabled: Option<bool>,
    #[serde(rename = "SSEType", default)]
    pub sse_type: Option<String>,
    #[serde(rename = "KMSMasterKeyId", default)]
    pub kms_master_key_id: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct Tag {
    pub key: String,
    pub value: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct CreateTableInput {
    pub attribute_definitions: Vec<AttributeDefinition>,
    pub table_name: String,
    pub key_schema: Vec<KeySchemaElement>,
    #[serde(default)]
    pub local_secondary_indexes: Option<Vec<LocalSecondaryIndex>>,
    #[serde(default)]
    pub global_secondary_indexes: Option<Vec<GlobalSecondaryIndex>>,
    #[serde(default)]
    pub billing_mode: Option<String>,
    #[serde(default)]
    pub provisioned_throughput: Option<ProvisionedThroughput>,
    #[serde(default)]
    pub stream_specification: Option<StreamSpecification>,
    #[serde(rename = "SSESpecification", default)]
    pub sse_specification: Option<SseSpecification>,
    #[serde(default)]
    pub tags: Option<Vec<Tag>>,
    #[serde(default)]
    pub table_class: Option<String>,
    #[serde(default)]
    pub deletion_protection_enabled: Option<bool>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct UpdateGlobalSecondaryIndexAction {
    pub index_name: String,
    #[serde(default)]
    pub provisioned_throughput: Option<ProvisionedThroughput>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct CreateGlobalSecondaryIndexAction {
    pub index_name: String,
    pub key_schema: Vec<KeySchemaElement>,
    pub projection: Projection,
    #[serde(default)]
    pub provisioned_throughput: Option<ProvisionedThroughput>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct DeleteGlobalSecondaryIndexAction {
    pub index_name: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct GlobalSecondaryIndexUpdate {
    #[serde(default)]
    pub update: Option<UpdateGlobalSecondaryIndexAction>,
    #[serde(default)]
    pub create: Option<CreateGlobalSecondaryIndexAction>,
    #[serde(default)]
    pub delete: Option<DeleteGlobalSecondaryIndexAction>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct UpdateTableInput {
    #[serde(default)]
    pub attribute_definitions: Option<Vec<AttributeDefinition>>,
    pub table_name: String,
    #[serde(default)]
    pub billing_mode: Option<String>,
    #[serde(default)]
    pub provisioned_throughput: Option<ProvisionedThroughput>,
    #[serde(default)]
    pub global_secondary_index_updates: Option<Vec<GlobalSecondaryIndexUpdate>>,
    #[serde(default)]
    pub stream_specification: Option<StreamSpecification>,
    #[serde(rename = "SSESpecification", default)]
    pub sse_specification: Option<SseSpecification>,
    #[serde(default)]
    pub replica_updates: Option<Value>,
    #[serde(default)]
    pub table_class: Option<String>,
    #[serde(default)]
    pub deletion_protection_enabled: Option<bool>,
    #[serde(default)]
    pub multi_region_consistency: Option<Value>,
    #[serde(default)]
    pub on_demand_throughput: Option<Value>,
    #[serde(default)]
    pub warm_throughput: Option<Value>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct TimeToLiveSpecification {
    pub enabled: bool,
    pub attribute_name: String,
}

/// Checks capacities against AWS's upper bound.
pub(crate) fn throughput(pt: &ProvisionedThroughput) -> Result<Throughput> {
    for (v, name) in [
        (pt.read_capacity_units, "ReadCapacityUnits"),
        (pt.write_capacity_units, "WriteCapacityUnits"),
    ] {
        if v > MAX_CAPACITY {
            return Err(DdbError::Validation(format!(
                "Given value {v} for {name} is out of bounds"
            )));
        }
    }
    Ok(Throughput::new(
        pt.read_capacity_units,
        pt.write_capacity_units,
    ))
}

fn names(v: &[KeySchemaElement]) -> String {
    v.iter()
        .map(|k| k.attribute_name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Checks a key schema (table or index) against the attribute definitions and builds it.
pub(crate) fn key_def(ks: &[KeySchemaElement], defs: &[AttributeDefinition]) -> Result<KeyDef> {
    let def_names = defs
        .iter()
        .map(|d| d.attribute_name.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    let type_of = |n: &str| {
        defs.iter()
            .find(|d| d.attribute_name == n)
            .and_then(|d| ScalarType::parse(&d.attribute_type))
    };
    if ks.iter().any(|k| type_of(&k.attribute_name).is_none()) {
        return Err(invalid(format!(
            "Some index key attributes are not defined in AttributeDefinitions. Keys: [{}], AttributeDefinitions: [{def_names}]",
            names(ks)
        )));
    }
    if ks.len() == 2 && ks[0].attribute_name == ks[1].attribute_name {
        return Err(DdbError::Validation(
            "Both the Hash Key and the Range Key element in the KeySchema have the same name"
                .into(),
        ));
    }
    let Some(first) = ks.first() else {
        return Err(DdbError::Validation(
            "Invalid KeySchema: The first KeySchemaElement is not a HASH key type".into(),
        ));
    };
    if first.key_type != "HASH" {
        return Err(DdbError::Validation(
            "Invalid KeySchema: The first KeySchemaElement is not a HASH key type".into(),
        ));
    }
    if ks.len() > 2 {
        return Err(invalid(
            "The KeySchema exceeds the maximum allowed number of HASH and RANGE key attributes",
        ));
    }
    let attr = |k: &KeySchemaElement| -> Result<KeyAttr> {
        let ty =
            type_of(&k.attribute_name).ok_or_else(|| DdbError::Internal("checked above".into()))?;
        Ok(KeyAttr {
            name: k.attribute_name.clone(),
            ty,
        })
    };
    let range = match ks.get(1) {
        Some(k) if k.key_type != "RANGE" => {
            return Err(DdbError::Validation(
                "Invalid KeySchema: The second KeySchemaElement is not a RANGE key type".into(),
            ));
        }
        Some(k) => Some(attr(k)?),
        None => None,
    };
    Ok(KeyDef {
        hash: attr(first)?,
        range,
    })
}

/// Checks a projection and builds it.
pub(crate) fn projection(p: &Projection) -> Result<ProjectionMeta> {
    let kind = match p.projection_type.as_deref() {
        Some("KEYS_ONLY") => ProjectionType::KeysOnly,
        Some("INCLUDE") => ProjectionType::Include,
        Some("ALL") => ProjectionType::All,
        Some(other) => return Err(invalid(format!("Unknown ProjectionType: {other}"))),
        None => return Err(invalid("Unknown ProjectionType: null")),
    };
    let non_key = p.non_key_attributes.clone();
    match (kind, non_key) {
        (ProjectionType::Include, None) => Err(invalid(
            "ProjectionType is INCLUDE, but NonKeyAttributes is not specified",
        )),
        (ProjectionType::Include, Some(attrs)) => {
            let mut seen = BTreeSet::new();
            for a in &attrs {
                if !seen.insert(a.as_str()) {
                    return Err(invalid(format!(
                        "Duplicate element in NonKeyAttributes: {a}"
                    )));
                }
            }
            Ok(ProjectionMeta {
                kind,
                non_key: attrs,
            })
        }
        (_, Some(_)) => Err(invalid(format!(
            "ProjectionType is {}, but NonKeyAttributes is specified",
            kind.as_str()
        ))),
        (_, None) => Ok(ProjectionMeta {
            kind,
            non_key: Vec::new(),
        }),
    }
}

/// A new GSI (CreateTable or UpdateTable's Create action).
pub(crate) fn gsi(
    name: &str,
    ks: &[KeySchemaElement],
    proj: &Projection,
    pt: Option<&ProvisionedThroughput>,
    defs: &[AttributeDefinition],
    billing: BillingMode,
) -> Result<IndexMeta> {
    let key = key_def(ks, defs)?;
    let projection = projection(proj)?;
    let throughput = match (billing, pt) {
        (BillingMode::PayPerRequest, Some(_)) => {
            return Err(invalid(format!(
                "ProvisionedThroughput should not be specified for index: {name} when BillingMode is PAY_PER_REQUEST"
            )));
        }
        (BillingMode::PayPerRequest, None) => None,
        (BillingMode::Provisioned, Some(pt)) => Some(throughput(pt)?),
        (BillingMode::Provisioned, None) => {
            return Err(invalid(format!(
                "ProvisionedThroughput is not specified for index: {name}"
            )));
        }
    };
    Ok(IndexMeta {
        name: name.to_string(),
        key,
        projection,
        throughput,
        status: IndexStatus::Active,
        backfilling: false,
    })
}

/// Everything CreateTable checks, turned into the parts of a `TableMeta`.
pub(crate) struct NewTable {
    pub billing: BillingMode,
    pub throughput: Throughput,
    pub attributes: Vec<KeyAttr>,
    pub key: KeyDef,
    pub gsis: Vec<IndexMeta>,
    pub lsis: Vec<IndexMeta>,
}

pub(crate) fn check_create(input: &CreateTableInput) -> Result<NewTable> {
    let billing = match input.billing_mode.as_deref() {
        Some(b) => {
            BillingMode::parse(b).ok_or_else(|| invalid(format!("Unknown BillingMode: {b}")))?
        }
        None => BillingMode::Provisioned,
    };
    let throughput = match (billing, &input.provisioned_throughput) {
        (BillingMode::PayPerRequest, Some(_)) => {
            return Err(invalid(
                "Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST",
            ));
        }
        (BillingMode::PayPerRequest, None) => Throughput::default(),
        (BillingMode::Provisioned, None) => {
            return Err(invalid(
                "ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED",
            ));
        }
        (BillingMode::Provisioned, Some(pt)) => throughput(pt)?,
    };
    let defs = &input.attribute_definitions;
    let mut seen = BTreeSet::new();
    for d in defs {
        if !seen.insert(d.attribute_name.as_str()) {
            return Err(DdbError::Validation(format!(
                "Attribute Name is duplicated: {}",
                d.attribute_name
            )));
        }
    }
    if input.key_schema.len() > defs.len() {
        return Err(DdbError::Validation(
            "Invalid KeySchema: Some index key attribute have no definition".into(),
        ));
    }
    let key = key_def(&input.key_schema, defs)?;
    let mut used: Vec<String> = key.names().map(str::to_string).collect();
    let mut index_names = BTreeSet::new();
    let mut lsis = Vec::new();
    if let Some(list) = &input.local_secondary_indexes {
        if list.is_empty() {
            return Err(invalid("List of LocalSecondaryIndexes is empty"));
        }
        if key.range.is_none() {
            return Err(invalid(
                "Table KeySchema does not have a range key, which is required when specifying a LocalSecondaryIndex",
            ));
        }
        for l in list {
            let k = key_def(&l.key_schema, defs)?;
            if k.range.is_none() {
                return Err(invalid(format!(
                    "Index KeySchema does not have a range key for index: {}",
                    l.index_name
                )));
            }
            if k.hash.name != key.hash.name {
                return Err(invalid(format!(
                    "Index KeySchema does not have the same leading hash key as table KeySchema for index: {}. index hash key: {}, table hash key: {}",
                    l.index_name, k.hash.name, key.hash.name
                )));
            }
            let projection = projection(&l.projection)?;
            if !index_names.insert(l.index_name.clone()) {
                return Err(invalid(format!("Duplicate index name: {}", l.index_name)));
            }
            used.extend(k.names().map(str::to_string));
            lsis.push(IndexMeta {
                name: l.index_name.clone(),
                key: k,
                projection,
                throughput: None,
                status: IndexStatus::Active,
                backfilling: false,
            });
        }
        if list.len() > MAX_LSIS {
            return Err(invalid(format!(
                "Number of LocalSecondaryIndexes exceeds per-table limit of {MAX_LSIS}"
            )));
        }
    }
    let mut gsis = Vec::new();
    if let Some(list) = &input.global_secondary_indexes {
        if list.is_empty() {
            return Err(invalid("List of GlobalSecondaryIndexes is empty"));
        }
        for g in list {
            let idx = gsi(
                &g.index_name,
                &g.key_schema,
                &g.projection,
                g.provisioned_throughput.as_ref(),
                defs,
                billing,
            )?;
            if !index_names.insert(g.index_name.clone()) {
                return Err(invalid(format!("Duplicate index name: {}", g.index_name)));
            }
            used.extend(idx.key.names().map(str::to_string));
            gsis.push(idx);
        }
        if list.len() > MAX_GSIS {
            return Err(invalid(format!(
                "GlobalSecondaryIndex count exceeds the per-table limit of {MAX_GSIS}"
            )));
        }
    }
    let unused = defs.iter().any(|d| !used.contains(&d.attribute_name));
    if unused {
        if lsis.is_empty() && gsis.is_empty() {
            return Err(invalid(
                "Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions",
            ));
        }
        let mut keys_used: Vec<&str> = Vec::new();
        for u in &used {
            if !keys_used.contains(&u.as_str()) {
                keys_used.push(u);
            }
        }
        let all = defs
            .iter()
            .map(|d| d.attribute_name.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        return Err(invalid(format!(
            "Some AttributeDefinitions are not used. AttributeDefinitions: [{all}], keys used: [{}]",
            keys_used.join(", ")
        )));
    }
    let attributes = defs
        .iter()
        .map(|d| {
            let ty = ScalarType::parse(&d.attribute_type)
                .ok_or_else(|| invalid(format!("Unknown AttributeType: {}", d.attribute_type)))?;
            Ok(KeyAttr {
                name: d.attribute_name.clone(),
                ty,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(NewTable {
        billing,
        throughput,
        attributes,
        key,
        gsis,
        lsis,
    })
}

/// Checks `StreamSpecification` of CreateTable; the view type to enable, if any.
pub(crate) fn create_stream(spec: Option<&StreamSpecification>) -> Result<Option<String>> {
    match spec {
        None => Ok(None),
        Some(s) if s.stream_enabled => match &s.stream_view_type {
            Some(v) => Ok(Some(v.clone())),
            None => Err(invalid(
                "Table is being created with a stream enabled, UpdateViewType is required",
            )),
        },
        Some(s) if s.stream_view_type.is_some() => Err(invalid(
            "Table is being created with a stream disabled, UpdateViewType should not be specified",
        )),
        Some(_) => Ok(None),
    }
}

/// Checks `SSESpecification`; the KMS key ARN when encryption with KMS is on.
pub(crate) fn sse(spec: &SseSpecification, account: &str, region: &str) -> Result<Option<String>> {
    let enabled = spec.enabled.unwrap_or(false);
    if !enabled {
        if spec.sse_type.is_some() {
            return Err(invalid("SSEType can not be specified if Enabled is false"));
        }
        if spec.kms_master_key_id.is_some() {
            return Err(invalid(
                "KMSMasterKeyId can not be specified if Enabled is false",
            ));
        }
        return Ok(None);
    }
    if spec.sse_type.as_deref() == Some("AES256") {
        return Err(invalid("SSEType AES256 is not supported"));
    }
    let key = match &spec.kms_master_key_id {
        Some(k) if k.starts_with("arn:") => k.clone(),
        Some(k) => lamina_core::arn(
            "kms",
            region,
            account,
            &format!("key/{}", k.trim_start_matches("alias/")),
        ),
        // the AWS managed key `alias/aws/dynamodb`; a fixed id, as the key is one per account
        None => lamina_core::arn(
            "kms",
            region,
            account,
            "key/00000000-0000-4000-8000-64796e616d6f",
        ),
    };
    Ok(Some(key))
}

/// Checks tags for a resource that will then hold `existing + new` keys.
pub(crate) fn check_tags(tags: &[Tag], existing: usize) -> Result<()> {
    let mut seen = BTreeSet::new();
    for t in tags {
        if t.key.starts_with("aws:") {
            return Err(DdbError::Validation(format!(
                "Tag Key cannot be prefixed with aws:, Key: {}",
                t.key
            )));
        }
        if !seen.insert(t.key.as_str()) {
            return Err(DdbError::Validation(format!(
                "Duplicate Tag Keys provided as input: Duplicate Tag Key found {}",
                t.key
            )));
        }
    }
    if existing + tags.len() > MAX_TAGS {
        return Err(DdbError::Validation(
            "Number of Tags exceed the current limit for the provided ResourceArn".into(),
        ));
    }
    Ok(())
}
