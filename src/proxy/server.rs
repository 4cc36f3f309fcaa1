//! Listening: binds the address, accepts connections (HTTP/1.1 and cleartext HTTP/2) and serves
//! each with the service, until shutdown, which lets in-flight requests finish for a few seconds.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use super::Settings;
use super::service::State;
use crate::mutate::Engine;
use crate::scan::Scanner;

/// How long in-flight requests may take to finish after a shutdown signal.
const DRAIN: Duration = Duration::from_secs(5);

/// A running proxy.
pub struct Server {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl Server {
    /// Binds and starts serving in the background.
    pub async fn start(
        settings: Settings,
        engine: Arc<Engine>,
        scanner: Arc<Scanner>,
    ) -> anyhow::Result<Server> {
        settings.validate().map_err(anyhow::Error::msg)?;
        let bind = format!("{}:{}", bracket(&settings.host), settings.port);
        let listener = match TcpListener::bind(&bind).await {
            Ok(l) => l,
            Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => anyhow::bail!(
                "{bind} is already in use (another pretense?); stop it or pick another port with --port"
            ),
            Err(e) => anyhow::bail!("cannot listen on {bind}: {e}"),
        };
        let addr = listener.local_addr()?;
        let state = Arc::new(State::new(settings, engine, scanner)?);
        let (stop, stopped) = oneshot::channel();
        let task = tokio::spawn(accept_loop(listener, state, stopped));
        Ok(Server {
            addr,
            stop: Some(stop),
            task,
        })
    }

    /// The address actually bound (the port is chosen by the OS for port 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting, lets in-flight requests finish (up to a few seconds) and returns.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = (&mut self.task).await;
    }
}

fn bracket(host: &str) -> String {
    if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]")
    } else {
        host.to_string()
    }
}

async fn accept_loop(listener: TcpListener, state: Arc<State>, mut stopped: oneshot::Receiver<()>) {
    let builder = Builder::new(TokioExecutor::new());
    let graceful = GracefulShutdown::new();
    loop {
        let (stream, remote) = tokio::select! {
            _ = &mut stopped => break,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: pause rather than spin.
                    tracing::warn!("accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let state = state.clone();
        let svc = service_fn(move |req| {
            let state = state.clone();
            async move {
                Ok::<_, std::convert::Infallible>(super::service::handle(state, req, remote).await)
            }
        });
        let conn = builder
            .serve_connection(TokioIo::new(stream), svc)
            .into_owned();
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!("connection from {remote} ended: {e}");
            }
        });
    }
    drop(listener);
    if tokio::time::timeout(DRAIN, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("shutdown: requests still running after {DRAIN:?} were cut off");
    }
    let _ = tokio::task::spawn_blocking(move || state.flush()).await;
}
