//! Operation logic by family, plus what the families share: the caller's scope, ids, and
//! loading/updating the definition document of one REST API.

pub mod definitions;
pub mod deployments;
pub mod domains;
pub mod keys;
pub mod methods;
pub mod resources;
pub mod restapis;

use super::error::{ApiGwError, Result};
use super::store::{self, ApiDoc, Db, Scope};
use super::types::PatchOperation;
use serde::Deserialize;

const ID_ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";

/// A new lowercase alphanumeric id of `len` characters (REST APIs use 10).
pub fn new_id(len: usize) -> String {
    lamina_core::random_alnum(len, ID_ALPHABET)
}

pub fn now() -> f64 {
    // API Gateway reports whole seconds.
    lamina_core::now_epoch_seconds().floor()
}

/// What every operation works with.
pub struct Cx<'a> {
    pub db: &'a Db,
    pub scope: Scope,
}

impl Cx<'_> {
    pub fn api_key(&self, api_id: &str) -> Vec<u8> {
        self.scope.key(&[api_id])
    }

    pub fn api_not_found(&self, api_id: &str) -> ApiGwError {
        ApiGwError::api_not_found(&self.scope.account, api_id)
    }

    pub async fn load_api(&self, api_id: &str) -> Result<ApiDoc> {
        self.db
            .get(store::APIS, &self.api_key(api_id))
            .await?
            .ok_or_else(|| self.api_not_found(api_id))
    }

    /// Read-modify-write of an API's definition.
    pub async fn update_api<R>(
        &self,
        api_id: &str,
        f: impl FnMut(&mut ApiDoc) -> Result<R>,
    ) -> Result<R> {
        self.db
            .update(
                store::APIS,
                &self.api_key(api_id),
                || self.api_not_found(api_id),
                f,
            )
            .await
    }
}

/// Inputs that only name an API.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiRef {
    pub rest_api_id: String,
}

/// Update* inputs carry their patch operations here.
#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct Patch {
    pub patch_operations: Vec<PatchOperation>,
}

/// Limit/position paging over an in-memory list (positions are the index, as a string).
pub fn page<T>(
    items: Vec<T>,
    position: Option<&str>,
    limit: Option<i64>,
) -> (Vec<T>, Option<String>) {
    let start = position.and_then(|p| p.parse::<usize>().ok()).unwrap_or(0);
    let limit = limit
        .filter(|l| *l > 0)
        .map_or(500, |l| l.min(500) as usize);
    let total = items.len();
    let out: Vec<T> = items.into_iter().skip(start).take(limit).collect();
    let next = (start + out.len() < total).then(|| (start + out.len()).to_string());
    (out, next)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

/// `(year, month, day)` of a day number since 1970-01-01.
pub fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719468;
    let era = z.div_euclid(146097);
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (
        if m <= 2 {
            yoe + era * 400 + 1
        } else {
            yoe + era * 400
        },
        m,
        d,
    )
}

/// `yyyy-MM-dd` → days since the epoch.
pub fn parse_date(s: &str) -> Option<i64> {
    let mut it = s.splitn(3, '-');
    let y: i64 = it.next()?.parse().ok()?;
    let m: i64 = it.next()?.parse().ok()?;
    let d: i64 = it.next()?.parse().ok()?;
    ((1..=12).contains(&m) && (1..=31).contains(&d) && s.len() == 10)
        .then(|| days_from_civil(y, m, d))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v1_civil_dates() {
        assert_eq!(parse_date("1970-01-01"), Some(0));
        assert_eq!(parse_date("2024-03-01"), Some(19783));
        assert_eq!(civil_from_days(19783), (2024, 3, 1));
        assert_eq!(parse_date("2024-13-01"), None);
        let (a, b) = (
            parse_date("2024-02-28").unwrap(),
            parse_date("2024-03-01").unwrap(),
        );
        assert_eq!(b - a, 2);
    }
}
