//! SecureString encryption at rest: AES-256-GCM under the installation's master key, a random
//! 96-bit nonce per value, and the parameter's account, region, name and version as associated
//! data, so a ciphertext cannot be moved to another parameter or version unnoticed.
//!
//! The stored (and, without `WithDecryption`, returned) form is `base64(nonce || ciphertext)`:
//! opaque, like the KMS blob AWS returns.

use crate::error::{Result, SsmError};
use crate::store::Scope;
use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

const NONCE_LEN: usize = 12;

pub struct Crypto {
    cipher: Aes256Gcm,
}

impl std::fmt::Debug for Crypto {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Crypto")
    }
}

fn aad(scope: &Scope, name: &str, version: u64) -> Vec<u8> {
    format!(
        "ssm\0{}\0{}\0{}\0{}",
        scope.account, scope.region, name, version
    )
    .into_bytes()
}

impl Crypto {
    pub fn new(master_key: [u8; 32]) -> Self {
        Self {
            cipher: Aes256Gcm::new(&master_key.into()),
        }
    }

    pub fn encrypt(
        &self,
        scope: &Scope,
        name: &str,
        version: u64,
        plaintext: &str,
    ) -> Result<String> {
        let nonce_bytes = lamina_core::random_bytes::<NONCE_LEN>();
        let nonce = Nonce::from_slice(&nonce_bytes);
        let ad = aad(scope, name, version);
        let ct = self
            .cipher
            .encrypt(
                nonce,
                Payload {
                    msg: plaintext.as_bytes(),
                    aad: &ad,
                },
            )
            .map_err(|_| SsmError::Internal("encryption failed".into()))?;
        let mut out = nonce_bytes.to_vec();
        out.extend_from_slice(&ct);
        Ok(STANDARD.encode(out))
    }

    pub fn decrypt(&self, scope: &Scope, name: &str, version: u64, stored: &str) -> Result<String> {
        let raw = STANDARD
            .decode(stored)
            .map_err(|e| SsmError::Internal(format!("ciphertext: {e}")))?;
        if raw.len() < NONCE_LEN {
            return Err(SsmError::Internal("ciphertext too short".into()));
        }
        let (nonce, ct) = raw.split_at(NONCE_LEN);
        let ad = aad(scope, name, version);
        let pt = self
            .cipher
            .decrypt(Nonce::from_slice(nonce), Payload { msg: ct, aad: &ad })
            .map_err(|_| {
                SsmError::Internal("decryption failed (wrong master key or corrupt value)".into())
            })?;
        String::from_utf8(pt).map_err(|_| SsmError::Internal("decrypted value is not UTF-8".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope() -> Scope {
        Scope {
            account: "123456789012".into(),
            region: "us-east-1".into(),
            user: String::new(),
        }
    }

    #[test]
    fn round_trip_and_binding() {
        let c = Crypto::new([7; 32]);
        let s = scope();
        let a = c.encrypt(&s, "/db/pw", 1, "hunter2").unwrap();
        let b = c.encrypt(&s, "/db/pw", 1, "hunter2").unwrap();
        assert_ne!(a, b, "nonce must be random per value");
        assert!(!a.contains("hunter2"));
        assert_eq!(c.decrypt(&s, "/db/pw", 1, &a).unwrap(), "hunter2");
        assert!(
            c.decrypt(&s, "/db/pw", 2, &a).is_err(),
            "bound to the version"
        );
        assert!(
            c.decrypt(&s, "/db/other", 1, &a).is_err(),
            "bound to the name"
        );
        assert!(Crypto::new([8; 32]).decrypt(&s, "/db/pw", 1, &a).is_err());
        assert!(c.decrypt(&s, "/db/pw", 1, "AAAA").is_err());
    }
}
