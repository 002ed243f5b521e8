//! A small SigV4 signer for the load generator (header form, whole-body hash).

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

#[derive(Clone)]
pub struct Signer {
    access_key: String,
    secret: String,
    region: String,
}

/// A request ready to send.
#[derive(Clone, Debug)]
pub struct SignedRequest {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl SignedRequest {
    /// An unsigned request (Lamina's own routes).
    pub fn plain(method: &str, path: &str) -> Self {
        Self { method: method.into(), path: path.into(), headers: vec![], body: vec![] }
    }
}

fn hmac(key: &[u8], data: &str) -> Vec<u8> {
    // HMAC accepts keys of any length.
    let mut m = Hmac::<Sha256>::new_from_slice(key).expect("any key length");
    m.update(data.as_bytes());
    m.finalize().into_bytes().to_vec()
}

impl Signer {
    pub fn new(access_key: &str, secret: &str, region: &str) -> Self {
        Self { access_key: access_key.into(), secret: secret.into(), region: region.into() }
    }

    /// Signs a request whose path has no query string and needs no encoding.
    pub fn sign(&self, method: &str, path: &str, service: &str, headers: &[(&str, &str)], body: Vec<u8>) -> SignedRequest {
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_secs();
        let (date, amz_date) = amz_dates(now);
        let payload_hash = hex::encode(Sha256::digest(&body));
        let host = "localhost";
        let mut hs: Vec<(String, String)> = headers.iter().map(|(k, v)| (k.to_ascii_lowercase(), v.to_string())).collect();
        hs.push(("x-amz-date".into(), amz_date.clone()));
        hs.push(("x-amz-content-sha256".into(), payload_hash.clone()));
        let mut signed: Vec<(String, String)> = hs.clone();
        signed.push(("host".into(), host.into()));
        signed.sort();
        let canonical_headers: String = signed.iter().map(|(k, v)| format!("{k}:{}\n", v.trim())).collect();
        let signed_names = signed.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>().join(";");
        let canonical = format!("{method}\n{path}\n\n{canonical_headers}\n{signed_names}\n{payload_hash}");
        let scope = format!("{date}/{}/{service}/aws4_request", self.region);
        let to_sign = format!("AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}", hex::encode(Sha256::digest(canonical.as_bytes())));
        let k = hmac(format!("AWS4{}", self.secret).as_bytes(), &date);
        let k = hmac(&k, &self.region);
        let k = hmac(&k, service);
        let k = hmac(&k, "aws4_request");
        let sig = hex::encode(hmac(&k, &to_sign));
        hs.push(("host".into(), host.into()));
        hs.push((
            "authorization".into(),
            format!("AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders={signed_names}, Signature={sig}", self.access_key),
        ));
        SignedRequest { method: method.into(), path: path.into(), headers: hs, body }
    }
}

/// (`YYYYMMDD`, `YYYYMMDDTHHMMSSZ`) for a Unix time.
fn amz_dates(secs: u64) -> (String, String) {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // civil-from-days (Howard Hinnant's algorithm)
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    let date = format!("{y:04}{m:02}{d:02}");
    let amz = format!("{date}T{:02}{:02}{:02}Z", rem / 3600, (rem % 3600) / 60, rem % 60);
    (date, amz)
}

#[cfg(test)]
mod tests {
    #[test]
    fn dates() {
        assert_eq!(super::amz_dates(0), ("19700101".into(), "19700101T000000Z".into()));
        assert_eq!(super::amz_dates(1_700_000_000).1, "20231114T221320Z");
    }
}
