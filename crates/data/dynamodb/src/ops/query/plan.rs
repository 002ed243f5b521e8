//! What a Query or Scan reads: the target (table or index) with its key schemas, the `Select`
//! rules, the store range of a key condition, and the `ExclusiveStartKey` checks, with AWS's
//! messages.

use crate::error::{DdbError, Result};
use crate::expr::{CmpOp, Condition, KeyCondition, KeyOp, Operand, Path};
use crate::store::{INDEX, ITEMS, index_prefix, item_prefix};
use crate::table::{IndexMeta, ProjectionType, TableMeta};
use crate::value::{AttrValue, Item, KeySchema, ScalarType, encode_key, item_from_json};
use lamina_storage::{Direction, Range, key::prefix_successor};
use std::ops::Bound;

fn invalid(msg: impl Into<String>) -> DdbError {
    DdbError::Validation(msg.into())
}

pub(crate) use crate::write::key_schema as schema;

/// The table or index a Query/Scan reads.
pub(crate) struct Target<'a> {
    pub table: &'a TableMeta,
    pub index: Option<&'a IndexMeta>,
    pub global: bool,
    /// The table's key.
    pub table_key: KeySchema,
    /// The key the read is ordered by (the index's, or the table's).
    pub key: KeySchema,
}

impl<'a> Target<'a> {
    /// The table, or the index `IndexName` names ("The table does not have the specified
    /// index: <name>").
    pub(crate) fn new(table: &'a TableMeta, index_name: Option<&str>) -> Result<Self> {
        let table_key = schema(&table.key);
        let Some(name) = index_name else {
            return Ok(Self {
                table,
                index: None,
                global: false,
                key: table_key.clone(),
                table_key,
            });
        };
        let index = table.index(name).ok_or_else(|| {
            invalid(format!(
                "The table does not have the specified index: {name}"
            ))
        })?;
        Ok(Self {
            table,
            index: Some(index),
            global: table.is_global(name),
            key: schema(&index.key),
            table_key,
        })
    }

    pub(crate) fn tree(&self) -> &'static str {
        if self.index.is_some() { INDEX } else { ITEMS }
    }

    /// The store prefix of every entry of the target.
    pub(crate) fn prefix(&self) -> Vec<u8> {
        let t = self.table;
        match self.index {
            Some(i) => index_prefix(&t.account, &t.region, &t.table_id, &i.name),
            None => item_prefix(&t.account, &t.region, &t.table_id),
        }
    }

    /// The attributes of a `LastEvaluatedKey` / `ExclusiveStartKey`: the target's key, then
    /// (for an index) the table's key.
    pub(crate) fn position_attrs(&self) -> Vec<(String, ScalarType)> {
        let mut out: Vec<(String, ScalarType)> = self
            .key
            .attributes()
            .map(|(n, t)| (n.to_string(), t))
            .collect();
        if self.index.is_some() {
            for (n, t) in self.table_key.attributes() {
                if !out.iter().any(|(m, _)| m == n) {
                    out.push((n.to_string(), t));
                }
            }
        }
        out
    }

    /// The `LastEvaluatedKey` of an entry (index entries hold both keys).
    pub(crate) fn position_of(&self, item: &Item) -> Item {
        self.position_attrs()
            .into_iter()
            .filter_map(|(n, _)| item.get(&n).map(|v| (n, v.clone())))
            .collect()
    }

    /// The store key of a position: prefix + enc(target key) [+ enc(table key)].
    pub(crate) fn store_key(&self, pos: &Item) -> Result<Vec<u8>> {
        let mut k = self.prefix();
        k.extend(self.key.encode(pos)?);
        if self.index.is_some() {
            k.extend(self.table_key.encode(pos)?);
        }
        Ok(k)
    }

    /// The `ddb.items` key of the table item an entry (index entry or item) belongs to.
    pub(crate) fn store_key_of_table_item(&self, entry: &Item) -> Result<Vec<u8>> {
        let t = self.table;
        let mut k = item_prefix(&t.account, &t.region, &t.table_id);
        k.extend(self.table_key.encode(entry)?);
        Ok(k)
    }

    /// Whether the index copies every attribute (or this is the table).
    pub(crate) fn projects_all(&self) -> bool {
        self.index
            .is_none_or(|i| i.projection.kind == ProjectionType::All)
    }

    /// Whether the index holds top-level attribute `attr`.
    pub(crate) fn projects(&self, attr: &str) -> bool {
        self.index.is_none_or(|i| i.projects(attr, &self.table.key))
    }

    /// Reads `ExclusiveStartKey`: exactly the position attributes with their types.
    pub(crate) fn start_key(&self, v: &serde_json::Value) -> Result<Item> {
        const BAD: &str = "The provided starting key is invalid: ";
        let key = item_from_json(v).map_err(|e| invalid(format!("{BAD}{e}")))?;
        let attrs = self.position_attrs();
        if self.index.is_some() && key.len() != attrs.len() {
            return Err(invalid(
                "Exclusive Start Key must have same size as table's key schema",
            ));
        }
        let matches = key.len() == attrs.len()
            && attrs
                .iter()
                .all(|(n, t)| key.get(n).and_then(ScalarType::of) == Some(*t));
        if !matches {
            return Err(invalid(format!(
                "{BAD}{}",
                crate::value::rules::KEY_SCHEMA_MISMATCH
            )));
        }
        Ok(key)
    }
}

/// The `Select` of a request, resolved against the projection parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Select {
    All,
    AllProjected,
    Specific,
    Count,
}

/// Applies AWS's rules for `Select` with `ProjectionExpression` / `AttributesToGet`.
/// `prefix` is `"1 validation error detected: "` for Query (AWS words them so there) and
/// empty for Scan.
pub(crate) fn select(
    select: Option<&str>,
    projection: bool,
    attributes_to_get: bool,
    index: bool,
    prefix: &str,
) -> Result<Select> {
    let err = |m: String| Err(invalid(format!("{prefix}{m}")));
    let (sel, what) = match select {
        None if projection || attributes_to_get => return Ok(Select::Specific),
        None if index => return Ok(Select::AllProjected),
        None => return Ok(Select::All),
        Some("SPECIFIC_ATTRIBUTES") if projection || attributes_to_get => {
            return Ok(Select::Specific);
        }
        Some("SPECIFIC_ATTRIBUTES") => {
            return err(
                "Must specify the AttributesToGet or ProjectionExpression when choosing to get SPECIFIC_ATTRIBUTES".into(),
            );
        }
        Some("ALL_PROJECTED_ATTRIBUTES") if !index => {
            return err(
                "ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName".into(),
            );
        }
        Some("ALL_PROJECTED_ATTRIBUTES") => (Select::AllProjected, "ALL_PROJECTED_ATTRIBUTES"),
        Some("COUNT") => (Select::Count, "only the Count"),
        _ => (Select::All, "ALL_ATTRIBUTES"),
    };
    if attributes_to_get {
        return err(format!(
            "Cannot specify the AttributesToGet when choosing to get {what}"
        ));
    }
    if projection {
        return err(format!(
            "Cannot specify the ProjectionExpression when choosing to get {what}"
        ));
    }
    Ok(sel)
}

/// "Select type ALL_ATTRIBUTES is not supported for global secondary index ..." when a GSI
/// that does not project everything is read with `Select: ALL_ATTRIBUTES`.
pub(crate) fn check_all_attributes(target: &Target<'_>, sel: Select) -> Result<()> {
    if let (Select::All, Some(i), true) = (sel, target.index, target.global)
        && i.projection.kind != ProjectionType::All
    {
        return Err(invalid(format!(
            "One or more parameter values were invalid: Select type ALL_ATTRIBUTES is not supported for global secondary index {} because its projection type is not ALL",
            i.name
        )));
    }
    Ok(())
}

/// Checks the value types of a key condition against the key schema.
pub(crate) fn check_key_types(cond: &KeyCondition, key: &KeySchema) -> Result<()> {
    let mismatch = || {
        invalid(
            "One or more parameter values were invalid: Condition parameter type does not match schema type",
        )
    };
    if ScalarType::of(&cond.hash_value) != Some(key.hash.1) {
        return Err(mismatch());
    }
    let (Some((_, op)), Some((_, ty))) = (&cond.range, &key.range) else {
        return Ok(());
    };
    let values: Vec<&AttrValue> = match op {
        KeyOp::Cmp(_, v) | KeyOp::BeginsWith(v) => vec![v],
        KeyOp::Between(lo, hi) => vec![lo, hi],
    };
    if values.iter().any(|v| ScalarType::of(v) != Some(*ty)) {
        return Err(mismatch());
    }
    if let KeyOp::BeginsWith(_) = op
        && *ty == ScalarType::N
    {
        return Err(invalid(
            "Invalid KeyConditionExpression: Incorrect operand type for operator or function; operator or function: begins_with, operand type: N",
        ));
    }
    if let KeyOp::Between(lo, hi) = op
        && crate::value::key::encode_key_to_vec(lo)? > crate::value::key::encode_key_to_vec(hi)?
    {
        let show = |v: &AttrValue| match v.to_json() {
            serde_json::Value::Object(m) => m
                .iter()
                .map(|(k, v)| format!("{{{k}:{}}}", v.as_str().unwrap_or_default()))
                .collect::<String>(),
            _ => String::new(),
        };
        return Err(invalid(format!(
            "Invalid KeyConditionExpression: The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: {}, upper bound operand: AttributeValue: {}",
            show(lo),
            show(hi)
        )));
    }
    Ok(())
}

fn successor_or_unbounded(k: &[u8]) -> Bound<Vec<u8>> {
    match prefix_successor(k) {
        Some(s) => Bound::Excluded(s),
        None => Bound::Unbounded,
    }
}

/// The store range holding exactly the entries a key condition selects, under `prefix`.
pub(crate) fn key_range(prefix: &[u8], cond: &KeyCondition) -> Result<Range> {
    let mut p = prefix.to_vec();
    encode_key(&cond.hash_value, &mut p)?;
    let with = |v: &AttrValue| -> Result<Vec<u8>> {
        let mut k = p.clone();
        encode_key(v, &mut k)?;
        Ok(k)
    };
    let whole = Range::prefix(&p);
    let Some((_, op)) = &cond.range else {
        return Ok(whole);
    };
    Ok(match op {
        KeyOp::Cmp(CmpOp::Lt, v) => Range {
            start: whole.start,
            end: Bound::Excluded(with(v)?),
        },
        KeyOp::Cmp(CmpOp::Le, v) => Range {
            start: whole.start,
            end: successor_or_unbounded(&with(v)?),
        },
        KeyOp::Cmp(CmpOp::Gt, v) => Range {
            start: match prefix_successor(&with(v)?) {
                Some(s) => Bound::Included(s),
                None => return Ok(Range::between(&p, &p)),
            },
            end: whole.end,
        },
        KeyOp::Cmp(CmpOp::Ge, v) => Range {
            start: Bound::Included(with(v)?),
            end: whole.end,
        },
        KeyOp::Between(lo, hi) => Range {
            start: Bound::Included(with(lo)?),
            end: successor_or_unbounded(&with(hi)?),
        },
        KeyOp::BeginsWith(v) => {
            let mut k = p.clone();
            k.extend(crate::value::key::encode_prefix(v)?);
            Range::prefix(&k)
        }
        // `=` (and `<>`, which parsing rejects): the entries with exactly this sort key.
        KeyOp::Cmp(_, v) => Range::prefix(&with(v)?),
    })
}

/// Narrows `range` to the entries after `pos` in reading order (`ExclusiveStartKey`).
pub(crate) fn after(mut range: Range, pos: Vec<u8>, dir: Direction) -> Range {
    let later_than = |b: &Bound<Vec<u8>>, forward: bool| match b {
        Bound::Unbounded => true,
        Bound::Included(x) | Bound::Excluded(x) => {
            if forward {
                pos >= *x
            } else {
                pos <= *x
            }
        }
    };
    match dir {
        Direction::Forward if later_than(&range.start, true) => {
            range.start = Bound::Excluded(pos);
        }
        Direction::Reverse if later_than(&range.end, false) => {
            range.end = Bound::Excluded(pos);
        }
        _ => {}
    }
    range
}

/// Every path a condition reads (depth-bounded: parsed conditions are bounded by AWS's
/// 4 KB expression limit and legacy ones are balanced trees).
pub(crate) fn condition_paths<'c>(c: &'c Condition, out: &mut Vec<&'c Path>) {
    fn operand<'c>(o: &'c Operand, out: &mut Vec<&'c Path>) {
        match o {
            Operand::Path(p) => out.push(p),
            Operand::Size(inner) => operand(inner, out),
            Operand::Value(_) => {}
        }
    }
    match c {
        Condition::Cmp(_, a, b) | Condition::BeginsWith(a, b) | Condition::Contains(a, b) => {
            operand(a, out);
            operand(b, out);
        }
        Condition::Between(a, b, d) => {
            for o in [a, b, d] {
                operand(o, out);
            }
        }
        Condition::In(a, list) => {
            operand(a, out);
            list.iter().for_each(|o| operand(o, out));
        }
        Condition::And(l, r) | Condition::Or(l, r) => {
            condition_paths(l, out);
            condition_paths(r, out);
        }
        Condition::Not(x) => condition_paths(x, out),
        Condition::Exists(p) | Condition::NotExists(p) | Condition::AttrType(p, _) => out.push(p),
        Condition::True => {}
    }
}

/// Query filters may not read key attributes of the queried key: "Filter Expression can only
/// contain non-primary key attributes: Primary key attribute: pk" (`QueryFilter` for the
/// legacy form).
pub(crate) fn check_filter_keys(filter: &Condition, key: &KeySchema, param: &str) -> Result<()> {
    let mut paths = Vec::new();
    condition_paths(filter, &mut paths);
    if let Some(p) = paths.iter().find(|p| key.is_key(p.top())) {
        return Err(invalid(format!(
            "{param} can only contain non-primary key attributes: Primary key attribute: {}",
            p.top()
        )));
    }
    Ok(())
}
