//! Running the server: bind, spawn background work, serve until SIGINT/SIGTERM, drain.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::front::MakeFront;
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
    let background = Background::start(&state, &options);
    let make = MakeFront::new(state.clone(), router(state.clone()));
    // gateway::wire accepts: the proxy's fast path when the upstream is plain HTTP, hyper for
    // everything else, and a bounded drain at shutdown either way (axum::serve waits forever for
    // a connection that never finishes its request).
    crate::gateway::wire::listen(listener, make, shutdown).await;
    background.stop(&state).await;
    Ok(())
}

/// Serves HTTPS with the given certificate chain and key (PEM files) until SIGINT/SIGTERM.
pub async fn serve_tls(
    state: AppState,
    options: ServeOptions,
    cert_pem: &std::path::Path,
    key_pem: &std::path::Path,
    on_bound: impl FnOnce(SocketAddr),
) -> std::io::Result<()> {
    let config = axum_server::tls_rustls::RustlsConfig::from_pem_file(cert_pem, key_pem).await?;
    let handle = axum_server::Handle::new();
    let server = axum_server::bind_rustls(options.listen, config)
        .handle(handle.clone())
        .serve(MakeFront::new(state.clone(), router(state.clone())));
    let background = Background::start(&state, &options);
    let stopper = handle.clone();
    tokio::spawn(async move {
        shutdown_signal().await;
        stopper.graceful_shutdown(Some(Duration::from_secs(30)));
    });
    let served = tokio::spawn(server);
    if let Some(addr) = handle.listening().await {
        on_bound(addr);
    }
    let result = served.await.map_err(std::io::Error::other).and_then(|r| r);
    background.stop(&state).await;
    result
}

/// The background work of a serving process: K13 purge, X4's end of grace periods, metrics upkeep,
/// the change-feed tailer, build processing (F2), webhook delivery (F5), write-behind, and
/// (PostgreSQL) the database probe (D4).
struct Background {
    stop: watch::Sender<bool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Background {
    fn start(state: &AppState, options: &ServeOptions) -> Background {
        crate::metrics::install();
        let (stop, stop_rx) = watch::channel(false);
        let tasks = vec![
            tokio::spawn(background::purge_revoked_keys(state.clone(), options.purge_every, stop_rx.clone())),
            tokio::spawn(background::revoke_rotated_out_keys(state.clone(), stop_rx.clone())),
            tokio::spawn(background::announce_key_ends(state.clone(), stop_rx.clone())),
            tokio::spawn(crate::metrics::upkeep(stop_rx.clone())),
            tokio::spawn(crate::replica::tail::tail_changes(state.clone(), stop_rx.clone())),
            tokio::spawn(crate::asc::process_builds(state.clone(), stop_rx.clone())),
            tokio::spawn(crate::asc::deliver_webhooks(state.clone(), stop_rx.clone())),
            tokio::spawn(background::write_behind(state.clone(), options.flush_every, stop_rx.clone())),
        ];
        // D4: a database server can go away; an embedded SQLite file cannot.
        let mut tasks = tasks;
        tasks.push(tokio::spawn(crate::database_guard::report(state.store.clone(), stop_rx.clone())));
        if state.store.backend() == keyward_store::Backend::Postgres {
            let store = state.store.clone();
            tasks.push(tokio::spawn(async move { store.watch_health(stop_rx).await }));
        }
        Background { stop, tasks }
    }

    async fn stop(self, state: &AppState) {
        let _ = self.stop.send(true);
        for task in self.tasks {
            let _ = task.await;
        }
        state.store.close().await;
        tracing::info!("stopped");
    }
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
