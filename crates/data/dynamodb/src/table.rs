//! `TableMeta`: the persisted description of a table (key schema, attribute definitions,
//! billing, indexes, stream, SSE, TTL, tags) and its rendering as a `TableDescription`.
//!
//! Persisted as JSON with `"v": 1` under `ddb.tables` (see `store`). The items engineer reads
//! the key schema with [`TableMeta::key_schema`] and each index's key and projection with
//! [`IndexMeta::key_schema`] / [`IndexMeta::projects`].

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

/// The format version written into every `TableMeta`.
pub const FORMAT: u32 = 1;

/// The type of a key attribute (`AttributeDefinitions[].AttributeType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ScalarType {
    S,
    N,
    B,
}

impl ScalarType {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "S" => Some(ScalarType::S),
            "N" => Some(ScalarType::N),
            "B" => Some(ScalarType::B),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ScalarType::S => "S",
            ScalarType::N => "N",
            ScalarType::B => "B",
        }
    }
}

/// One key attribute: its name and type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyAttr {
    pub name: String,
    #[serde(rename = "type")]
    pub ty: ScalarType,
}

/// The key of a table or an index: a HASH attribute and an optional RANGE attribute.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyDef {
    pub hash: KeyAttr,
    #[serde(default)]
    pub range: Option<KeyAttr>,
}

impl KeyDef {
    /// The key attribute names, HASH first.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.hash.name.as_str()).chain(self.range.as_ref().map(|r| r.name.as_str()))
    }

    pub fn is_key(&self, attr: &str) -> bool {
        self.names().any(|n| n == attr)
    }

    /// The `KeySchema` list of the wire format.
    pub fn to_json(&self) -> Value {
        let mut v = vec![json!({"AttributeName": self.hash.name, "KeyType": "HASH"})];
        if let Some(r) = &self.range {
            v.push(json!({"AttributeName": r.name, "KeyType": "RANGE"}));
        }
        Value::Array(v)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ProjectionType {
    KeysOnly,
    Include,
    All,
}

impl ProjectionType {
    pub fn as_str(self) -> &'static str {
        match self {
            ProjectionType::KeysOnly => "KEYS_ONLY",
            ProjectionType::Include => "INCLUDE",
            ProjectionType::All => "ALL",
        }
    }
}

/// Which attributes an index copies from the table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Projection {
    pub kind: ProjectionType,
    /// For `INCLUDE`: the non-key attributes projected, in request order.
    #[serde(default)]
    pub non_key: Vec<String>,
}

/// Provisioned read/write capacity; zeros for on-demand tables, as AWS reports them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Throughput {
    pub read: i64,
    pub write: i64,
    #[serde(default)]
    pub last_increase: Option<f64>,
    #[serde(default)]
    pub last_decrease: Option<f64>,
    #[serde(default)]
    pub decreases_today: i64,
}

impl Throughput {
    pub fn new(read: i64, write: i64) -> Self {
        Self {
            read,
            write,
            ..Self::default()
        }
    }

    /// Applies new capacities, recording when they went up or down.
    pub fn change(&mut self, read: i64, write: i64, now: f64) {
        if read > self.read || write > self.write {
            self.last_increase = Some(now);
        }
        if read < self.read || write < self.write {
            self.last_decrease = Some(now);
            self.decreases_today += 1;
        }
        self.read = read;
        self.write = write;
    }

    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        if let Some(t) = self.last_increase {
            m.insert("LastIncreaseDateTime".into(), json!(t));
        }
        if let Some(t) = self.last_decrease {
            m.insert("LastDecreaseDateTime".into(), json!(t));
        }
        m.insert("NumberOfDecreasesToday".into(), json!(self.decreases_today));
        m.insert("ReadCapacityUnits".into(), json!(self.read));
        m.insert("WriteCapacityUnits".into(), json!(self.write));
        Value::Object(m)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum BillingMode {
    Provisioned,
    PayPerRequest,
}

impl BillingMode {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "PROVISIONED" => Some(BillingMode::Provisioned),
            "PAY_PER_REQUEST" => Some(BillingMode::PayPerRequest),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            BillingMode::Provisioned => "PROVISIONED",
            BillingMode::PayPerRequest => "PAY_PER_REQUEST",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum IndexStatus {
    Creating,
    Updating,
    Deleting,
    Active,
}

impl IndexStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            IndexStatus::Creating => "CREATING",
            IndexStatus::Updating => "UPDATING",
            IndexStatus::Deleting => "DELETING",
            IndexStatus::Active => "ACTIVE",
        }
    }
}

/// A global or local secondary index.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndexMeta {
    pub name: String,
    pub key: KeyDef,
    pub projection: Projection,
    /// Global indexes on provisioned tables only.
    #[serde(default)]
    pub throughput: Option<Throughput>,
    /// Global indexes only (local indexes are always usable).
    pub status: IndexStatus,
    /// True while a GSI added by UpdateTable is being filled from existing items.
    #[serde(default)]
    pub backfilling: bool,
}

impl IndexMeta {
    /// The index's own key (HASH and optional RANGE).
    #[allow(dead_code)] // read by the item write path and Query
    pub fn key_schema(&self) -> &KeyDef {
        &self.key
    }

    /// Whether the index holds attribute `attr` of an item of a table keyed by `table_key`.
    /// Key attributes of the table and of the index are always projected.
    #[allow(dead_code)] // read by the item write path
    pub fn projects(&self, attr: &str, table_key: &KeyDef) -> bool {
        if self.key.is_key(attr) || table_key.is_key(attr) {
            return true;
        }
        match self.projection.kind {
            ProjectionType::All => true,
            ProjectionType::KeysOnly => false,
            ProjectionType::Include => self.projection.non_key.iter().any(|a| a == attr),
        }
    }

    pub fn projection_json(&self) -> Value {
        let mut m = Map::new();
        m.insert(
            "ProjectionType".into(),
            json!(self.projection.kind.as_str()),
        );
        if self.projection.kind == ProjectionType::Include {
            m.insert("NonKeyAttributes".into(), json!(self.projection.non_key));
        }
        Value::Object(m)
    }
}

/// The table's stream settings. `label` survives disabling, as `LatestStreamLabel` does.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreamMeta {
    pub enabled: bool,
    #[serde(default)]
    pub view_type: Option<String>,
    /// The label of the latest stream (`2024-01-31T12:34:56.789`), if one was ever enabled.
    #[serde(default)]
    pub label: Option<String>,
}

/// Server-side encryption with a KMS key (`SSESpecification.Enabled: true`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SseMeta {
    pub kms_key_arn: String,
}

/// Time to live: the attribute holding the expiry (epoch seconds) and whether it is on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TtlMeta {
    pub attribute: String,
    pub enabled: bool,
}

/// The persisted table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TableMeta {
    pub v: u32,
    pub name: String,
    /// Random per CreateTable (16 hex chars); the prefix of the table's items, index entries
    /// and stream records, so a re-created table never sees old data.
    pub table_id: String,
    /// The `TableId` AWS reports (a UUID).
    pub uuid: String,
    pub account: String,
    pub region: String,
    /// Creation time, epoch seconds.
    pub created: f64,
    /// `AttributeDefinitions`, in request order.
    pub attributes: Vec<KeyAttr>,
    pub key: KeyDef,
    pub billing: BillingMode,
    /// When the billing mode last became PAY_PER_REQUEST (`BillingModeSummary`).
    #[serde(default)]
    pub billing_changed: Option<f64>,
    pub throughput: Throughput,
    #[serde(default)]
    pub gsis: Vec<IndexMeta>,
    #[serde(default)]
    pub lsis: Vec<IndexMeta>,
    #[serde(default)]
    pub stream: StreamMeta,
    #[serde(default)]
    pub sse: Option<SseMeta>,
    #[serde(default)]
    pub deletion_protection: bool,
    #[serde(default)]
    pub table_class: Option<String>,
    /// Tag key → value.
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    #[serde(default)]
    pub ttl: Option<TtlMeta>,
}

/// Item counts and sizes shown by DescribeTable.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    pub items: u64,
    pub bytes: u64,
    /// Index name → (entries, bytes).
    pub indexes: BTreeMap<String, (u64, u64)>,
}

impl TableMeta {
    /// The table's primary key.
    #[allow(dead_code)] // read by the item operations
    pub fn key_schema(&self) -> &KeyDef {
        &self.key
    }

    pub fn arn(&self) -> String {
        lamina_core::arn(
            "dynamodb",
            &self.region,
            &self.account,
            &format!("table/{}", self.name),
        )
    }

    pub fn index_arn(&self, index: &str) -> String {
        format!("{}/index/{index}", self.arn())
    }

    /// `LatestStreamArn`, once a stream was ever enabled.
    pub fn stream_arn(&self) -> Option<String> {
        self.stream
            .label
            .as_ref()
            .map(|l| format!("{}/stream/{l}", self.arn()))
    }

    /// A global or local index by name.
    pub fn index(&self, name: &str) -> Option<&IndexMeta> {
        self.indexes().find(|i| i.name == name)
    }

    /// Every index, global first.
    pub fn indexes(&self) -> impl Iterator<Item = &IndexMeta> {
        self.gsis.iter().chain(self.lsis.iter())
    }

    #[allow(dead_code)] // read by Query (GSIs allow no consistent reads)
    pub fn is_global(&self, name: &str) -> bool {
        self.gsis.iter().any(|i| i.name == name)
    }

    /// The type of a defined attribute.
    #[allow(dead_code)] // read by the item key checks
    pub fn attribute_type(&self, name: &str) -> Option<ScalarType> {
        self.attributes
            .iter()
            .find(|a| a.name == name)
            .map(|a| a.ty)
    }

    /// Enables the stream with a new label, later than any earlier one.
    pub fn enable_stream(&mut self, view_type: &str, now_millis: u64) {
        let mut label = stream_label(now_millis);
        if let Some(old) = &self.stream.label {
            // labels compare as text (fixed width); never reuse or go back
            let mut ms = now_millis;
            while label <= *old {
                ms += 1;
                label = stream_label(ms);
            }
        }
        self.stream = StreamMeta {
            enabled: true,
            view_type: Some(view_type.to_string()),
            label: Some(label),
        };
    }

    /// The `TableDescription` with `TableStatus` = `status` (CREATING in CreateTable's answer,
    /// UPDATING in UpdateTable's, DELETING in DeleteTable's, ACTIVE otherwise).
    pub fn describe(&self, status: &str, counts: &Counts) -> Value {
        let mut m = Map::new();
        let attrs: Vec<Value> = self
            .attributes
            .iter()
            .map(|a| json!({"AttributeName": a.name, "AttributeType": a.ty.as_str()}))
            .collect();
        m.insert("AttributeDefinitions".into(), Value::Array(attrs));
        m.insert("TableName".into(), json!(self.name));
        m.insert("KeySchema".into(), self.key.to_json());
        m.insert("TableStatus".into(), json!(status));
        m.insert("CreationDateTime".into(), json!(self.created));
        m.insert("ProvisionedThroughput".into(), self.throughput.to_json());
        m.insert("TableSizeBytes".into(), json!(counts.bytes));
        m.insert("ItemCount".into(), json!(counts.items));
        m.insert("TableArn".into(), json!(self.arn()));
        m.insert("TableId".into(), json!(self.uuid));
        if self.billing == BillingMode::PayPerRequest || self.billing_changed.is_some() {
            let mut b = Map::new();
            b.insert("BillingMode".into(), json!(self.billing.as_str()));
            if let Some(t) = self.billing_changed {
                b.insert("LastUpdateToPayPerRequestDateTime".into(), json!(t));
            }
            m.insert("BillingModeSummary".into(), Value::Object(b));
        }
        let index_counts = |name: &str| counts.indexes.get(name).copied().unwrap_or((0, 0));
        if !self.lsis.is_empty() {
            let lsis: Vec<Value> = self
                .lsis
                .iter()
                .map(|i| {
                    let (n, bytes) = index_counts(&i.name);
                    json!({
                        "IndexName": i.name,
                        "KeySchema": i.key.to_json(),
                        "Projection": i.projection_json(),
                        "IndexSizeBytes": bytes,
                        "ItemCount": n,
                        "IndexArn": self.index_arn(&i.name),
                    })
                })
                .collect();
            m.insert("LocalSecondaryIndexes".into(), Value::Array(lsis));
        }
        if !self.gsis.is_empty() {
            let gsis: Vec<Value> = self
                .gsis
                .iter()
                .map(|i| {
                    let (n, bytes) = index_counts(&i.name);
                    let mut g = Map::new();
                    g.insert("IndexName".into(), json!(i.name));
                    g.insert("KeySchema".into(), i.key.to_json());
                    g.insert("Projection".into(), i.projection_json());
                    let shown = if status == "CREATING" {
                        IndexStatus::Creating
                    } else {
                        i.status
                    };
                    g.insert("IndexStatus".into(), json!(shown.as_str()));
                    if i.backfilling {
                        g.insert("Backfilling".into(), json!(true));
                    }
                    let tp = i.throughput.clone().unwrap_or_default();
                    g.insert("ProvisionedThroughput".into(), tp.to_json());
                    g.insert("IndexSizeBytes".into(), json!(bytes));
                    g.insert("ItemCount".into(), json!(n));
                    g.insert("IndexArn".into(), json!(self.index_arn(&i.name)));
                    Value::Object(g)
                })
                .collect();
            m.insert("GlobalSecondaryIndexes".into(), Value::Array(gsis));
        }
        if self.stream.enabled {
            m.insert(
                "StreamSpecification".into(),
                json!({"StreamEnabled": true, "StreamViewType": self.stream.view_type}),
            );
        }
        if let (Some(label), Some(arn)) = (&self.stream.label, self.stream_arn()) {
            m.insert("LatestStreamLabel".into(), json!(label));
            m.insert("LatestStreamArn".into(), json!(arn));
        }
        if let Some(sse) = &self.sse {
            m.insert(
                "SSEDescription".into(),
                json!({"Status": "ENABLED", "SSEType": "KMS", "KMSMasterKeyArn": sse.kms_key_arn}),
            );
        }
        if let Some(class) = &self.table_class {
            m.insert("TableClassSummary".into(), json!({"TableClass": class}));
        }
        m.insert(
            "DeletionProtectionEnabled".into(),
            json!(self.deletion_protection),
        );
        Value::Object(m)
    }
}

/// A stream label the way AWS prints it: the UTC time `YYYY-MM-DDTHH:MM:SS.mmm`.
pub fn stream_label(epoch_millis: u64) -> String {
    let secs = epoch_millis / 1000;
    let ms = epoch_millis % 1000;
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let (y, mo, d) = civil_from_days(days);
    format!(
        "{y:04}-{mo:02}-{d:02}T{:02}:{:02}:{:02}.{ms:03}",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

/// Days since 1970-01-01 → (year, month, day) in the proleptic Gregorian calendar
/// (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
impl TableMeta {
    /// A table description for other modules' tests.
    pub(crate) fn sample_for_tests() -> Self {
        tests::sample()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(super) fn sample() -> TableMeta {
        let s = |n: &str| KeyAttr {
            name: n.into(),
            ty: ScalarType::S,
        };
        TableMeta {
            v: FORMAT,
            name: "Music".into(),
            table_id: "0123456789abcdef".into(),
            uuid: "6f6b0a5e-0000-4000-8000-000000000000".into(),
            account: "000000000000".into(),
            region: "us-east-1".into(),
            created: 1_700_000_000.5,
            attributes: vec![s("Artist"), s("Song"), s("Genre")],
            key: KeyDef {
                hash: s("Artist"),
                range: Some(s("Song")),
            },
            billing: BillingMode::PayPerRequest,
            billing_changed: None,
            throughput: Throughput::default(),
            gsis: vec![IndexMeta {
                name: "ByGenre".into(),
                key: KeyDef {
                    hash: s("Genre"),
                    range: None,
                },
                projection: Projection {
                    kind: ProjectionType::Include,
                    non_key: vec!["Year".into()],
                },
                throughput: None,
                status: IndexStatus::Active,
                backfilling: false,
            }],
            lsis: vec![],
            stream: StreamMeta::default(),
            sse: None,
            deletion_protection: false,
            table_class: None,
            tags: BTreeMap::new(),
            ttl: None,
        }
    }

    #[test]
    fn labels_are_utc_iso_with_millis() {
        assert_eq!(stream_label(0), "1970-01-01T00:00:00.000");
        assert_eq!(stream_label(1_709_210_096_789), "2024-02-29T12:34:56.789");
        assert_eq!(stream_label(951_782_400_000), "2000-02-29T00:00:00.000");
    }

    #[test]
    fn a_new_stream_gets_a_later_label_even_in_the_same_millisecond() {
        let mut t = sample();
        t.enable_stream("NEW_IMAGE", 1_000);
        let first = t.stream_arn().expect("arn");
        t.stream.enabled = false;
        t.enable_stream("KEYS_ONLY", 1_000);
        let second = t.stream_arn().expect("arn");
        assert_ne!(first, second);
        assert!(second > first);
        assert_eq!(
            second,
            "arn:aws:dynamodb:us-east-1:000000000000:table/Music/stream/1970-01-01T00:00:01.001"
        );
    }

    #[test]
    fn projection_rules() {
        let t = sample();
        let gsi = t.index("ByGenre").expect("index");
        assert!(gsi.projects("Genre", t.key_schema()));
        assert!(gsi.projects("Artist", t.key_schema()));
        assert!(gsi.projects("Year", t.key_schema()));
        assert!(!gsi.projects("Album", t.key_schema()));
    }

    #[test]
    fn description_has_what_sdks_read() {
        let t = sample();
        let d = t.describe("CREATING", &Counts::default());
        assert_eq!(d["TableStatus"], "CREATING");
        assert_eq!(
            d["TableArn"],
            "arn:aws:dynamodb:us-east-1:000000000000:table/Music"
        );
        assert_eq!(d["KeySchema"][1]["KeyType"], "RANGE");
        assert_eq!(d["BillingModeSummary"]["BillingMode"], "PAY_PER_REQUEST");
        assert_eq!(d["ProvisionedThroughput"]["ReadCapacityUnits"], 0);
        let g = &d["GlobalSecondaryIndexes"][0];
        assert_eq!(g["IndexStatus"], "CREATING");
        assert_eq!(g["Projection"]["NonKeyAttributes"][0], "Year");
        assert_eq!(
            g["IndexArn"],
            "arn:aws:dynamodb:us-east-1:000000000000:table/Music/index/ByGenre"
        );
        assert!(d.get("StreamSpecification").is_none());
        assert_eq!(
            t.describe("ACTIVE", &Counts::default())["GlobalSecondaryIndexes"][0]["IndexStatus"],
            "ACTIVE"
        );
    }

    #[test]
    fn meta_round_trips_through_json() {
        let t = sample();
        let bytes = serde_json::to_vec(&t).expect("encode");
        let back: TableMeta = serde_json::from_slice(&bytes).expect("decode");
        assert_eq!(back, t);
        let v: Value = serde_json::from_slice(&bytes).expect("json");
        assert_eq!(v["v"], 1);
    }
}
