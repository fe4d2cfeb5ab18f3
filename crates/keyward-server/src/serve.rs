//! Running the server: bind, spawn background work, serve until SIGINT/SIGTERM, drain.

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
}

/// Binds and serves until a shutdown signal; in-flight requests finish before it returns.
pub async fn serve(
    state: AppState,
    options: ServeOptions,
    on_bound: impl FnOnce(SocketAddr),
) -> std::io::Result<()> {
    let listener = TcpListener::bind(options.listen).await?;
    let local = listener.local_addr()?;
    on_bound(local);
    let (stop_tx, stop_rx) = watch::channel(false);
    let purge = tokio::spawn(background::purge_revoked_keys(
        state.clone(),
        options.purge_every,
        stop_rx,
    ));
    let result = axum::serve(
        listener,
        router(state.clone()).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await;
    let _ = stop_tx.send(true);
    let _ = purge.await;
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
