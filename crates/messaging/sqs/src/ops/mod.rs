//! Operation logic, by family, and what they share: queue lookup by URL or ARN.

pub mod batch;
pub mod messages;
pub mod moves;
pub mod queues;
pub mod receive;
pub mod send;

use crate::Sqs;
use crate::error::{Result, SqsError};
use crate::store::{Loaded, QueueRecord, Scope};

/// Who is calling and where.
pub struct Call<'a> {
    pub scope: Scope,
    /// `scheme://host[:port]` the client used.
    pub endpoint: &'a str,
}

/// `{endpoint}/{account}/{name}`, as AWS forms queue URLs.
pub fn queue_url(endpoint: &str, scope: &Scope, name: &str) -> String {
    format!(
        "{}/{}/{}",
        endpoint.trim_end_matches('/'),
        scope.account,
        name
    )
}

/// The scope and queue name a QueueUrl names. The last two path segments are the account and
/// the name (a bare name is accepted too, as AWS does).
pub fn parse_url(call: &Call<'_>, url: &str) -> (Scope, String) {
    let path = url.split(['?', '#']).next().unwrap_or("");
    let mut segs = path.rsplit('/').filter(|s| !s.is_empty());
    let name = segs.next().unwrap_or("").to_string();
    let account = match segs.next() {
        Some(a) if a.len() == 12 && a.bytes().all(|b| b.is_ascii_digit()) => a.to_string(),
        _ => call.scope.account.clone(),
    };
    (
        Scope {
            account,
            region: call.scope.region.clone(),
        },
        name,
    )
}

/// The scope and name of `arn:aws:sqs:{region}:{account}:{name}`.
pub fn parse_arn(arn: &str) -> Option<(Scope, String)> {
    let mut p = arn.splitn(6, ':');
    let (Some("arn"), Some(_), Some("sqs"), Some(region), Some(account), Some(name)) =
        (p.next(), p.next(), p.next(), p.next(), p.next(), p.next())
    else {
        return None;
    };
    if name.is_empty() || name.contains(['/', ':']) {
        return None;
    }
    Some((
        Scope {
            account: account.to_string(),
            region: region.to_string(),
        },
        name.to_string(),
    ))
}

/// The queue a QueueUrl names, or `QueueDoesNotExist`.
pub async fn resolve(
    sqs: &Sqs,
    call: &Call<'_>,
    url: &str,
) -> Result<(Scope, Loaded<QueueRecord>)> {
    let (scope, name) = parse_url(call, url);
    match sqs.table.queue(&scope, &name).await? {
        Some(q) => Ok((scope, q)),
        None => Err(SqsError::QueueDoesNotExist),
    }
}

/// Retries `f` while it fails with a store conflict (a concurrent writer won the race).
pub async fn retry<T, F, Fut>(mut f: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T>>,
{
    let mut attempt = 0u32;
    loop {
        match f().await {
            Err(e) if e.is_conflict() && attempt < 64 => {
                attempt += 1;
                if attempt > 4 {
                    tokio::time::sleep(std::time::Duration::from_millis(u64::from(attempt))).await;
                }
            }
            other => return other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_and_arns() {
        let call = Call {
            scope: Scope {
                account: "000000000000".into(),
                region: "us-east-1".into(),
            },
            endpoint: "http://localhost:4566",
        };
        let (s, n) = parse_url(&call, "http://localhost:4566/123456789012/q1");
        assert_eq!((s.account.as_str(), n.as_str()), ("123456789012", "q1"));
        let (s, n) = parse_url(&call, "q2");
        assert_eq!((s.account.as_str(), n.as_str()), ("000000000000", "q2"));
        assert_eq!(
            queue_url(call.endpoint, &call.scope, "q"),
            "http://localhost:4566/000000000000/q"
        );
        let (s, n) = parse_arn("arn:aws:sqs:eu-west-1:111122223333:dlq").unwrap();
        assert_eq!((s.region.as_str(), n.as_str()), ("eu-west-1", "dlq"));
        assert!(parse_arn("arn:aws:sns:eu-west-1:1:x").is_none());
    }
}
