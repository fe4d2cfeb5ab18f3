//! Running the server: bind, spawn background work, serve until SIGINT/SIGTERM, drain.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::{AppState, background, router};

#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub listen: SocketAddr,
    /// How often revoked keys past retention are purged (K13).
    pub purge_every: Duration,
    /// How often authentication failures (T14) and last use (K16) are written.
    pub flush_every: Duration,
}

/// Binds and serves until a shutdown signal; in-flight requests finish before it returns.
pub async fn serve(state: AppState, options: ServeOptions, on_bound: impl FnOnce(SocketAddr)) -> std::io::Result<()> {
    let listener = TcpListener::bind(options.listen).await?;
    on_bound(listener.local_addr()?);
    serve_on(listener, state, options, shutdown_signal()).await
}

/// Serves on an already bound listener until `shutdown` completes (tests pass their own).
pub async fn serve_on(
    listener: TcpListener,
    state: AppState,
    options: ServeOptions,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    crate::metrics::install();
    let (stop_tx, stop_rx) = watch::channel(false);
    let tasks = [
        tokio::spawn(background::purge_revoked_keys(state.clone(), options.purge_every, stop_rx.clone())),
        tokio::spawn(crate::auth::tail::tail_changes(state.clone(), stop_rx.clone())),
        tokio::spawn(crate::auth::tail::flush_recorder(state.clone(), options.flush_every, stop_rx)),
    ];
    let result = axum::serve(listener, router(state.clone()).into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown)
        .await;
    let _ = stop_tx.send(true);
    for task in tasks {
        let _ = task.await;
    }
    state.store.close().await;
    tracing::info!("stopped");
    result
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = terminate => {}
    }
    tracing::info!("shutdown signal received; finishing in-flight requests");
}
