//! The rustls client configuration for service upstreams.

use std::sync::Arc;

use rustls::RootCertStore;

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot read CA file {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("CA file {path} contains no usable PEM certificate")]
    NoCertificates { path: String },
    #[error("TLS configuration: {0}")]
    Rustls(#[from] rustls::Error),
}

/// Which certificate authorities upstream servers are checked against.
#[derive(Debug, Clone, Default)]
pub struct UpstreamRoots {
    /// Skip the bundled Mozilla roots (tests with their own CA).
    pub without_webpki: bool,
    /// Extra CA certificates, DER.
    pub extra: Vec<rustls_pki_types::CertificateDer<'static>>,
}

impl UpstreamRoots {
    /// Adds every certificate in a PEM file.
    pub fn add_pem_file(&mut self, path: &std::path::Path) -> Result<(), TlsError> {
        let data = std::fs::read(path).map_err(|source| TlsError::Read { path: path.display().to_string(), source })?;
        if self.add_pem(&data) == 0 {
            return Err(TlsError::NoCertificates { path: path.display().to_string() });
        }
        Ok(())
    }

    /// Adds every certificate in PEM text; returns how many were found.
    pub fn add_pem(&mut self, pem: &[u8]) -> usize {
        let certs: Vec<_> = rustls_pemfile::certs(&mut &pem[..]).filter_map(Result::ok).collect();
        let n = certs.len();
        self.extra.extend(certs);
        n
    }

    pub fn client_config(&self) -> Result<Arc<rustls::ClientConfig>, TlsError> {
        let mut roots = RootCertStore::empty();
        if !self.without_webpki {
            roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        }
        for cert in &self.extra {
            roots.add(cert.clone())?;
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_root_certificates(roots)
            .with_no_client_auth();
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Arc::new(config))
    }
}
