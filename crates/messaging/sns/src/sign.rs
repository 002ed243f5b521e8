//! Message signing as SNS does it: an RSA key and a self-signed X.509 certificate (served at
//! the `SigningCertURL`), `SignatureVersion` 1 = SHA1withRSA, 2 = SHA256withRSA, over the
//! canonical string of the message's fields in AWS's documented order.
//!
//! The certificate is built by hand in DER (a dozen fixed structures) rather than with an
//! X.509 crate: that keeps the dependency cost to `rsa` + `sha1`.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey, EncodePublicKey};
use rsa::{Pkcs1v15Sign, RsaPrivateKey};
use sha1::Sha1;
use sha2::{Digest, Sha256};

/// DER DigestInfo prefixes (RFC 8017 §9.2 note 1).
const SHA1_PREFIX: &[u8] = &[
    0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a, 0x05, 0x00, 0x04, 0x14,
];
const SHA256_PREFIX: &[u8] = &[
    0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05,
    0x00, 0x04, 0x20,
];
/// sha256WithRSAEncryption, NULL parameters.
const SHA256_WITH_RSA: &[u8] = &[
    0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b, 0x05, 0x00,
];

/// The signing key and its certificate.
pub struct Signer {
    key: RsaPrivateKey,
    cert_der: Vec<u8>,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Signer")
    }
}

/// The DigestInfo that PKCS#1 v1.5 signs.
pub fn digest_info(version: u8, data: &[u8]) -> Vec<u8> {
    if version == 2 {
        let mut v = SHA256_PREFIX.to_vec();
        v.extend_from_slice(&Sha256::digest(data));
        v
    } else {
        let mut v = SHA1_PREFIX.to_vec();
        v.extend_from_slice(&Sha1::digest(data));
        v
    }
}

impl Signer {
    /// A new 2048-bit key and a certificate valid for 20 years from `now_secs`.
    pub fn generate(now_secs: i64) -> Result<Signer, String> {
        let mut rng = rsa::rand_core::OsRng;
        let key = RsaPrivateKey::new(&mut rng, 2048).map_err(|e| format!("rsa keygen: {e}"))?;
        let cert_der = certificate(&key, now_secs)?;
        Ok(Signer { key, cert_der })
    }

    /// From the stored PKCS#8 key and DER certificate.
    pub fn from_der(key_der: &[u8], cert_der: Vec<u8>) -> Result<Signer, String> {
        let key = RsaPrivateKey::from_pkcs8_der(key_der).map_err(|e| format!("rsa key: {e}"))?;
        Ok(Signer { key, cert_der })
    }

    pub fn key_der(&self) -> Result<Vec<u8>, String> {
        self.key
            .to_pkcs8_der()
            .map(|d| d.as_bytes().to_vec())
            .map_err(|e| format!("rsa key: {e}"))
    }

    pub fn cert_der(&self) -> &[u8] {
        &self.cert_der
    }

    pub fn cert_pem(&self) -> String {
        pem("CERTIFICATE", &self.cert_der)
    }

    /// The base64 signature of `canonical` for `SignatureVersion` 1 or 2.
    pub fn sign(&self, version: u8, canonical: &str) -> Result<String, String> {
        let info = digest_info(version, canonical.as_bytes());
        let sig = self
            .key
            .sign(Pkcs1v15Sign::new_unprefixed(), &info)
            .map_err(|e| format!("rsa sign: {e}"))?;
        Ok(STANDARD.encode(sig))
    }

    /// Checks a signature (tests, and a self-check after generation).
    pub fn verify(&self, version: u8, canonical: &str, signature_b64: &str) -> bool {
        let Ok(sig) = STANDARD.decode(signature_b64) else {
            return false;
        };
        let info = digest_info(version, canonical.as_bytes());
        self.key
            .to_public_key()
            .verify(Pkcs1v15Sign::new_unprefixed(), &info, &sig)
            .is_ok()
    }
}

/// The string SNS signs: `name\nvalue\n` for each present field, in AWS's order.
pub fn canonical(fields: &[(&str, Option<&str>)]) -> String {
    let mut out = String::new();
    for (name, value) in fields {
        if let Some(v) = value {
            out.push_str(name);
            out.push('\n');
            out.push_str(v);
            out.push('\n');
        }
    }
    out
}

pub fn pem(label: &str, der: &[u8]) -> String {
    let b64 = STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(chunk));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

fn der(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes: Vec<u8> = len
            .to_be_bytes()
            .iter()
            .copied()
            .skip_while(|b| *b == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend_from_slice(&bytes);
    }
    out.extend_from_slice(content);
    out
}

fn seq(parts: &[&[u8]]) -> Vec<u8> {
    der(0x30, &parts.concat())
}

/// `CN=<cn>` as an X.501 Name.
fn name(cn: &str) -> Vec<u8> {
    let atv = seq(&[&der(0x06, &[0x55, 0x04, 0x03]), &der(0x0c, cn.as_bytes())]);
    seq(&[&der(0x31, &atv)])
}

fn utc_time(secs: i64) -> Result<Vec<u8>, String> {
    let t = time::OffsetDateTime::from_unix_timestamp(secs).map_err(|e| e.to_string())?;
    let s = format!(
        "{:02}{:02}{:02}{:02}{:02}{:02}Z",
        t.year() % 100,
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    );
    Ok(der(0x17, s.as_bytes()))
}

fn certificate(key: &RsaPrivateKey, now_secs: i64) -> Result<Vec<u8>, String> {
    let spki = key
        .to_public_key()
        .to_public_key_der()
        .map_err(|e| format!("public key: {e}"))?;
    let mut serial = lamina_core::random_bytes::<16>();
    serial[0] &= 0x7f; // positive
    let version = der(0xa0, &der(0x02, &[0x02]));
    let subject = name("sns.amazonaws.com");
    let validity = seq(&[
        &utc_time(now_secs - 86_400)?,
        &utc_time(now_secs + 20 * 365 * 86_400)?,
    ]);
    let tbs = seq(&[
        &version,
        &der(0x02, &serial),
        SHA256_WITH_RSA,
        &subject,
        &validity,
        &subject,
        spki.as_bytes(),
    ]);
    let info = {
        let mut v = SHA256_PREFIX.to_vec();
        v.extend_from_slice(&Sha256::digest(&tbs));
        v
    };
    let sig = key
        .sign(Pkcs1v15Sign::new_unprefixed(), &info)
        .map_err(|e| format!("rsa sign: {e}"))?;
    let mut bits = vec![0u8];
    bits.extend_from_slice(&sig);
    Ok(seq(&[&tbs, SHA256_WITH_RSA, &der(0x03, &bits)]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_skips_absent_fields() {
        let c = canonical(&[
            ("Message", Some("hi")),
            ("MessageId", Some("1")),
            ("Subject", None),
            ("Timestamp", Some("t")),
        ]);
        assert_eq!(c, "Message\nhi\nMessageId\n1\nTimestamp\nt\n");
    }

    #[test]
    fn der_lengths() {
        assert_eq!(der(0x04, &[1, 2]), vec![0x04, 2, 1, 2]);
        let long = der(0x04, &[0; 300]);
        assert_eq!(&long[..4], &[0x04, 0x82, 0x01, 0x2c]);
    }

    #[test]
    fn sign_verify_round_trip_and_reload() {
        let s = Signer::generate(1_700_000_000).unwrap();
        for v in [1, 2] {
            let sig = s.sign(v, "Message\nx\n").unwrap();
            assert!(s.verify(v, "Message\nx\n", &sig));
            assert!(!s.verify(v, "Message\ny\n", &sig));
        }
        let again = Signer::from_der(&s.key_der().unwrap(), s.cert_der().to_vec()).unwrap();
        let sig = again.sign(2, "a").unwrap();
        assert!(s.verify(2, "a", &sig));
        let pem = s.cert_pem();
        assert!(pem.starts_with("-----BEGIN CERTIFICATE-----\n"));
        assert!(pem.ends_with("-----END CERTIFICATE-----\n"));
        // the certificate is one DER SEQUENCE spanning all its bytes
        let d = s.cert_der();
        assert_eq!(d[0], 0x30);
        assert_eq!(d[1], 0x82);
        assert_eq!(((d[2] as usize) << 8 | d[3] as usize) + 4, d.len());
    }
}
