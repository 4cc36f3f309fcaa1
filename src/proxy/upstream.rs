//! The upstream HTTP client: pooled hyper-util client over rustls (the bundled webpki roots, the
//! system's roots, and `[upstream] ca_bundle` for TLS-inspecting networks), HTTP/1.1 and HTTP/2 by
//! ALPN, `HTTPS_PROXY` / `HTTP_PROXY` / `NO_PROXY` honoured through a CONNECT tunnel, and a connect
//! timeout. First-byte and idle timeouts are applied by the caller around the request and the body.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use http::Uri;
use hyper_util::client::legacy::Client as HyperClient;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::connect::proxy::Tunnel;
use hyper_util::client::proxy::matcher::Matcher;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpStream;

use super::Body;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Errors building the client.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot read ca_bundle {path}: {source}")]
    CaBundle {
        path: String,
        source: std::io::Error,
    },
    #[error("ca_bundle {path} holds no usable PEM certificate")]
    CaBundleEmpty { path: String },
    #[error("TLS set-up failed: {0}")]
    Tls(String),
}

/// Connects directly, or through a CONNECT tunnel when the proxy environment says so.
#[derive(Clone)]
pub struct ProxyAwareConnector {
    direct: HttpConnector,
    matcher: Arc<Matcher>,
}

impl tower_service::Service<Uri> for ProxyAwareConnector {
    type Response = TokioIo<TcpStream>;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.direct.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, dst: Uri) -> Self::Future {
        let mut direct = self.direct.clone();
        match self.matcher.intercept(&dst) {
            Some(proxy) => {
                let mut tunnel = Tunnel::new(proxy.uri().clone(), direct);
                if let Some(auth) = proxy.basic_auth() {
                    tunnel = tunnel.with_auth(auth.clone());
                }
                Box::pin(async move { tunnel.call(dst).await.map_err(Into::into) })
            }
            None => Box::pin(async move { direct.call(dst).await.map_err(Into::into) }),
        }
    }
}

/// The shared upstream client.
pub type Client = HyperClient<hyper_rustls::HttpsConnector<ProxyAwareConnector>, Body>;

/// Builds the client. `ca_bundle` is a PEM file path (empty for none).
pub fn build(connect_timeout: Duration, ca_bundle: &str) -> Result<Client, Error> {
    // Both ring and aws-lc could be linked by some dependency; pin the process default to ring.
    let _ = rustls::crypto::ring::default_provider().install_default();

    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    let native = rustls_native_certs::load_native_certs();
    for cert in native.certs {
        let _ = roots.add(cert);
    }
    if !ca_bundle.is_empty() {
        let pem = std::fs::read(ca_bundle).map_err(|source| Error::CaBundle {
            path: ca_bundle.into(),
            source,
        })?;
        let mut added = 0;
        for cert in rustls_pemfile::certs(&mut &pem[..]).flatten() {
            if roots.add(cert).is_ok() {
                added += 1;
            }
        }
        if added == 0 {
            return Err(Error::CaBundleEmpty {
                path: ca_bundle.into(),
            });
        }
    }
    let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| Error::Tls(e.to_string()))?
    .with_root_certificates(roots)
    .with_no_client_auth();

    let mut http = HttpConnector::new();
    http.enforce_http(false);
    http.set_connect_timeout(Some(connect_timeout));
    http.set_nodelay(true);
    let connector = ProxyAwareConnector {
        direct: http,
        matcher: Arc::new(Matcher::from_env()),
    };
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_or_http()
        .enable_all_versions()
        .wrap_connector(connector);
    Ok(HyperClient::builder(TokioExecutor::new())
        .pool_idle_timeout(Duration::from_secs(90))
        .pool_max_idle_per_host(32)
        .build(https))
}
