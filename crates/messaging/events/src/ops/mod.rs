//! Operation logic, by family, plus what the families share: bus names, read-modify-write of
//! a rule, and opaque page tokens.

pub mod buses;
pub mod put_events;
pub mod rules;
pub mod tags;
pub mod targets;

use crate::Inner;
use crate::error::{EventsError, Result};
use crate::store::{self, DEFAULT_BUS, RuleRecord, Scope};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use lamina_storage::{StoreError, WriteBatch};
use serde::{Deserialize, Serialize};

/// How often a read-modify-write is retried on a precondition conflict.
const MAX_ATTEMPTS: usize = 64;

/// The bus a request names (`EventBusName`, a name or an ARN), `default` when absent.
pub fn bus_name(given: Option<&str>) -> String {
    match given {
        None | Some("") => DEFAULT_BUS.to_string(),
        Some(s) => match s.strip_prefix("arn:") {
            Some(_) => s
                .rsplit_once("event-bus/")
                .map_or(s, |(_, n)| n)
                .to_string(),
            None => s.to_string(),
        },
    }
}

/// Fails unless the bus exists (`default` always does).
pub async fn require_bus(inner: &Inner, s: &Scope, bus: &str) -> Result<()> {
    if bus == DEFAULT_BUS || inner.table.bus(s, bus).await?.is_some() {
        Ok(())
    } else {
        Err(EventsError::bus_not_found(bus))
    }
}

/// Read-modify-write of one existing rule; `f` returns the new record (`None`: delete it) and
/// the result. Retried on concurrent change.
pub async fn update_rule<R>(
    inner: &Inner,
    s: &Scope,
    bus: &str,
    rule: &str,
    mut f: impl FnMut(&RuleRecord) -> Result<(Option<RuleRecord>, R)>,
) -> Result<R> {
    for _ in 0..MAX_ATTEMPTS {
        let Some(l) = inner.table.rule(s, bus, rule).await? else {
            return Err(EventsError::rule_not_found(rule, bus));
        };
        let (new, out) = f(&l.record)?;
        let k = store::rule_key(s, bus, rule);
        let mut b = WriteBatch::new();
        b.require_equals(store::RULES, k.clone(), l.raw);
        match new {
            Some(r) => b.put(store::RULES, k, store::encode(&r)?),
            None => b.delete(store::RULES, k),
        };
        match inner.table.commit(b).await {
            Ok(()) => return Ok(out),
            Err(StoreError::Conflict { .. }) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(EventsError::Concurrent)
}

#[derive(Serialize, Deserialize)]
struct Token {
    v: u32,
    op: String,
    after: String,
}

pub fn encode_token(op: &str, after: &str) -> String {
    let t = Token {
        v: 1,
        op: op.into(),
        after: after.into(),
    };
    // Serializing a struct of strings cannot fail.
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(&t).unwrap_or_default())
}

pub fn decode_token(op: &str, token: &str) -> Result<String> {
    let raw = URL_SAFE_NO_PAD
        .decode(token)
        .map_err(|_| EventsError::InvalidNextToken)?;
    let t: Token = serde_json::from_slice(&raw).map_err(|_| EventsError::InvalidNextToken)?;
    if t.v != 1 || t.op != op {
        return Err(EventsError::InvalidNextToken);
    }
    Ok(t.after)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bus_names_and_tokens() {
        assert_eq!(bus_name(None), "default");
        assert_eq!(bus_name(Some("b")), "b");
        assert_eq!(
            bus_name(Some("arn:aws:events:us-east-1:1:event-bus/orders")),
            "orders"
        );
        let t = encode_token("rules", "x");
        assert_eq!(decode_token("rules", &t).unwrap(), "x");
        assert!(decode_token("targets", &t).is_err());
        assert!(decode_token("rules", "!!").is_err());
    }
}
