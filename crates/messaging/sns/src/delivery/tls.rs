//! TLS for `https` subscriptions: rustls with the ring provider.
//!
//! Server certificates are verified against Mozilla's root programme (the `webpki-roots`
//! set, compiled in), plus the certificates of a PEM file when one is configured
//! (`--sns-ca-file` / `LAMINA_SNS_CA_FILE`: a private CA, or a self-signed endpoint for local
//! testing). `--sns-https-insecure` skips verification altogether (local testing only: any
//! certificate is accepted, signatures of the handshake are still checked).

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use std::path::PathBuf;
use std::sync::Arc;
use tokio_rustls::TlsConnector;

/// How `https` endpoints are trusted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HttpsOptions {
    /// A PEM file of certificates trusted in addition to the webpki roots.
    pub ca_file: Option<PathBuf>,
    /// Accept any server certificate (local testing only).
    pub insecure: bool,
}

/// The TLS connector for `options`, or why it cannot be built (an unreadable CA file).
pub fn connector(options: &HttpsOptions) -> Result<TlsConnector, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("tls: {e}"))?;
    let config = if options.insecure {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AcceptAnyCertificate(provider)))
            .with_no_client_auth()
    } else {
        let mut roots = RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        if let Some(path) = &options.ca_file {
            let what = path.display();
            let mut added = 0;
            for cert in CertificateDer::pem_file_iter(path)
                .map_err(|e| format!("reading the CA file {what}: {e}"))?
            {
                let cert = cert.map_err(|e| format!("reading the CA file {what}: {e}"))?;
                roots
                    .add(cert)
                    .map_err(|e| format!("a certificate in {what} is not usable: {e}"))?;
                added += 1;
            }
            if added == 0 {
                return Err(format!("the CA file {what} holds no PEM certificate"));
            }
        }
        builder.with_root_certificates(roots).with_no_client_auth()
    };
    Ok(TlsConnector::from(Arc::new(config)))
}

/// `--sns-https-insecure`: every server certificate is accepted; the handshake signatures
/// are still verified (with the provider's algorithms), so the session is encrypted to
/// whoever holds the presented key.
#[derive(Debug)]
struct AcceptAnyCertificate(Arc<CryptoProvider>);

impl ServerCertVerifier for AcceptAnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_and_insecure_build_and_a_bad_ca_file_is_reported() {
        assert!(connector(&HttpsOptions::default()).is_ok());
        assert!(
            connector(&HttpsOptions {
                insecure: true,
                ..Default::default()
            })
            .is_ok()
        );
        let e = connector(&HttpsOptions {
            ca_file: Some("/nonexistent/ca.pem".into()),
            insecure: false,
        })
        .err()
        .unwrap();
        assert!(e.contains("/nonexistent/ca.pem"), "{e}");
        let dir = std::env::temp_dir().join(format!("lamina-sns-tls-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let empty = dir.join("empty.pem");
        std::fs::write(&empty, "not a certificate\n").unwrap();
        let e = connector(&HttpsOptions {
            ca_file: Some(empty),
            insecure: false,
        })
        .err()
        .unwrap();
        assert!(e.contains("holds no PEM certificate"), "{e}");
        let _ = std::fs::remove_dir_all(dir);
    }
}
