//! `ReturnConsumedCapacity` for the read and multi-item operations: `NONE` (nothing), `TOTAL`
//! (`TableName` + `CapacityUnits`), `INDEXES` (also the table's and each index's share).

use serde_json::{Map, Value, json};

/// What the caller asked for in `ReturnConsumedCapacity`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    None,
    Total,
    Indexes,
}

impl Mode {
    /// Reads `ReturnConsumedCapacity` from a request (absent: `NONE`).
    pub(crate) fn of(input: &Value) -> Self {
        match input.get("ReturnConsumedCapacity").and_then(Value::as_str) {
            Some("TOTAL") => Mode::Total,
            Some("INDEXES") => Mode::Indexes,
            _ => Mode::None,
        }
    }
}

/// Units consumed on one table: on the table itself and on its indexes.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Consumed {
    pub table_name: String,
    pub table: f64,
    /// (index name, global?, units)
    pub indexes: Vec<(String, bool, f64)>,
}

impl Consumed {
    pub(crate) fn new(table_name: &str) -> Self {
        Self {
            table_name: table_name.to_string(),
            ..Self::default()
        }
    }

    /// Adds units consumed on an index (merged per index name).
    pub(crate) fn add_index(&mut self, name: &str, global: bool, units: f64) {
        match self.indexes.iter_mut().find(|(n, ..)| n == name) {
            Some(e) => e.2 += units,
            None => self.indexes.push((name.to_string(), global, units)),
        }
    }

    pub(crate) fn total(&self) -> f64 {
        self.table + self.indexes.iter().map(|(.., u)| u).sum::<f64>()
    }

    /// The `ConsumedCapacity` object for `mode`, or `None` for `NONE`.
    pub(crate) fn to_json(&self, mode: Mode) -> Option<Value> {
        if mode == Mode::None {
            return None;
        }
        let mut m = Map::new();
        m.insert("TableName".into(), json!(self.table_name));
        m.insert("CapacityUnits".into(), json!(self.total()));
        if mode == Mode::Indexes {
            m.insert("Table".into(), json!({"CapacityUnits": self.table}));
            for (key, global) in [
                ("GlobalSecondaryIndexes", true),
                ("LocalSecondaryIndexes", false),
            ] {
                let of_kind: Map<String, Value> = self
                    .indexes
                    .iter()
                    .filter(|(_, g, _)| *g == global)
                    .map(|(n, _, u)| (n.clone(), json!({"CapacityUnits": u})))
                    .collect();
                if !of_kind.is_empty() {
                    m.insert(key.into(), Value::Object(of_kind));
                }
            }
        }
        Some(Value::Object(m))
    }
}

/// A list of per-table `ConsumedCapacity` objects (batch and transaction answers), in the
/// order the tables were first touched; `None` for `NONE`.
pub(crate) fn list(consumed: &[Consumed], mode: Mode) -> Option<Value> {
    if mode == Mode::None {
        return None;
    }
    Some(Value::Array(
        consumed.iter().filter_map(|c| c.to_json(mode)).collect(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capacity_shapes_per_mode() {
        let mut c = Consumed::new("t");
        c.table = 1.0;
        c.add_index("g", true, 0.5);
        c.add_index("g", true, 0.5);
        c.add_index("l", false, 2.0);
        assert_eq!(c.to_json(Mode::None), None);
        assert_eq!(
            c.to_json(Mode::Total),
            Some(json!({"TableName": "t", "CapacityUnits": 4.0}))
        );
        assert_eq!(
            c.to_json(Mode::Indexes),
            Some(json!({
                "TableName": "t", "CapacityUnits": 4.0, "Table": {"CapacityUnits": 1.0},
                "GlobalSecondaryIndexes": {"g": {"CapacityUnits": 1.0}},
                "LocalSecondaryIndexes": {"l": {"CapacityUnits": 2.0}},
            }))
        );
        assert_eq!(
            Mode::of(&json!({"ReturnConsumedCapacity": "INDEXES"})),
            Mode::Indexes
        );
        assert_eq!(Mode::of(&json!({})), Mode::None);
    }
}
