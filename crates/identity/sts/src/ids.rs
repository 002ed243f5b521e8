//! Identifiers STS hands out: access key ids, secrets, session tokens and role ids.
//!
//! Access key ids carry the account they belong to, as AWS's do: the 16 characters after the
//! four-letter prefix are base32 (`A-Z2-7`) of 80 bits whose bits 46..7 hold the account
//! number. `GetAccessKeyInfo` and [`crate::Credentials::lookup`] read the account back from
//! the key alone, so a key can be found under its account's prefix without an index.

use lamina_core::{random_alnum, random_bytes};
use sha2::{Digest, Sha256};

const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const BASE64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
/// The 40 bits of a key that hold the account number (bits 46..7 of the first 48).
const ACCOUNT_MASK: u64 = 0x7fff_ffff_ff80;

/// Prefix of temporary (session) access key ids.
pub const TEMPORARY_KEY_PREFIX: &str = "ASIA";
/// Prefix of role ids.
pub const ROLE_ID_PREFIX: &str = "AROA";

/// A new access key id: `prefix` (four letters) followed by 16 base32 characters that encode
/// `account` (12 digits) and 47 random bits.
pub fn access_key_id(prefix: &str, account: &str) -> String {
    // Accounts are validated as 12 digits before they get here; 0 keeps the function total.
    let acct: u64 = account.parse().unwrap_or(0) & (ACCOUNT_MASK >> 7);
    let rand = random_bytes::<5>();
    let head = (acct << 7) | u64::from(rand[0] & 0x7f);
    let mut raw = [0u8; 10];
    raw[..6].copy_from_slice(&head.to_be_bytes()[2..]);
    raw[6..].copy_from_slice(&rand[1..]);
    let mut out = String::with_capacity(20);
    out.push_str(prefix);
    out.push_str(&base32_encode(&raw));
    out
}

/// The 12-digit account an access key id made by [`access_key_id`] (or by AWS) belongs to;
/// `None` if the id does not have that form.
pub fn account_of_access_key(id: &str) -> Option<String> {
    let body = id.get(4..)?;
    // `get(4..)` succeeded, so byte 4 is a char boundary and `id[..4]` cannot panic.
    if id.len() != 20 || !id[..4].bytes().all(|b| b.is_ascii_uppercase()) {
        return None;
    }
    let raw = base32_decode(body)?;
    let mut head = [0u8; 8];
    head[2..].copy_from_slice(&raw[..6]);
    let acct = (u64::from_be_bytes(head) & ACCOUNT_MASK) >> 7;
    (acct <= 999_999_999_999).then(|| format!("{acct:012}"))
}

/// A secret access key: 40 characters of the base64 alphabet, as AWS's.
pub fn secret_access_key() -> String {
    random_alnum(40, BASE64)
}

/// An opaque session token. AWS's are long base64 strings whose length varies; clients treat
/// them as opaque, so this is random base64 of a similar size.
pub fn session_token() -> String {
    // "IQoJb3JpZ2luX2Vj" is how current AWS session tokens start; tools that sniff the
    // prefix to tell session tokens apart see the familiar one.
    let mut t = String::from("IQoJb3JpZ2luX2Vj");
    t.push_str(&random_alnum(400, BASE64));
    t.push_str("==");
    t
}

/// The role id of a role ARN: `AROA` + 17 base32 characters, stable for the ARN (derived
/// from its SHA-256), so repeated AssumeRole calls report the same id until IAM keeps real
/// role ids.
pub fn role_id(role_arn: &str) -> String {
    let digest = Sha256::digest(role_arn.as_bytes());
    let mut id = String::from(ROLE_ID_PREFIX);
    id.push_str(&base32_encode(&digest[..15])[..17]);
    id
}

/// Base32 without padding; `raw.len()` must be a multiple of 5 (callers pass 10 or 15).
fn base32_encode(raw: &[u8]) -> String {
    let mut out = String::with_capacity(raw.len() * 8 / 5);
    for chunk in raw.chunks(5) {
        let mut buf = [0u8; 8];
        buf[3..3 + chunk.len()].copy_from_slice(chunk);
        let v = u64::from_be_bytes(buf);
        for i in (0..8).rev() {
            out.push(BASE32[((v >> (i * 5)) & 31) as usize] as char);
        }
    }
    out
}

/// Decodes 16 base32 characters into 10 bytes.
fn base32_decode(s: &str) -> Option<[u8; 10]> {
    if s.len() != 16 {
        return None;
    }
    let mut out = [0u8; 10];
    for (n, chunk) in s.as_bytes().chunks(8).enumerate() {
        let mut v: u64 = 0;
        for &c in chunk {
            let d = BASE32.iter().position(|&b| b == c)? as u64;
            v = (v << 5) | d;
        }
        out[n * 5..n * 5 + 5].copy_from_slice(&v.to_be_bytes()[3..]);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_key_id_encodes_account() {
        for account in [
            "000000000000",
            "123456789012",
            "999999999999",
            "000000000001",
        ] {
            let id = access_key_id(TEMPORARY_KEY_PREFIX, account);
            assert_eq!(id.len(), 20, "{id}");
            assert!(id.starts_with("ASIA"));
            assert!(
                id[4..]
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()),
                "{id}"
            );
            assert_eq!(account_of_access_key(&id).as_deref(), Some(account), "{id}");
        }
        assert_ne!(
            access_key_id(TEMPORARY_KEY_PREFIX, "123456789012"),
            access_key_id(TEMPORARY_KEY_PREFIX, "123456789012")
        );
    }

    #[test]
    fn decoding_rejects_what_is_not_a_key() {
        // AWS's documentation key is well formed base32, so it decodes to some account.
        assert!(account_of_access_key("AKIAIOSFODNN7EXAMPLE").is_some());
        assert_eq!(account_of_access_key("test"), None);
        assert_eq!(
            account_of_access_key("ASIA0000000000000000"),
            None,
            "0 and 1 are not base32"
        );
        assert_eq!(account_of_access_key("ASIAÉAAAAAAAAAAAAAA"), None);
    }

    #[test]
    fn secrets_and_tokens_look_like_aws() {
        let s = secret_access_key();
        assert_eq!(s.len(), 40);
        assert_ne!(s, secret_access_key());
        let t = session_token();
        assert!(t.len() > 300);
        assert_ne!(t, session_token());
    }

    #[test]
    fn role_id_is_stable_per_arn() {
        let a = role_id("arn:aws:iam::123456789012:role/app");
        assert_eq!(a, role_id("arn:aws:iam::123456789012:role/app"));
        assert_ne!(a, role_id("arn:aws:iam::123456789012:role/other"));
        assert_eq!(a.len(), 21);
        assert!(a.starts_with("AROA"));
        assert!(
            a.bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        );
    }
}
