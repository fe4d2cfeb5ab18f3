//! Running the server: bind, spawn background work, serve until SIGINT/SIGTERM, drain.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;

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
    // Not axum::serve, which waits for ever for a connection that never finishes its request: the
    // proxy's fast path when the upstream is plain HTTP, hyper for everything else, and a bounded
    // drain at shutdown either way.
    listen(listener, make, shutdown).await;
    background.stop(&state).await;
    Ok(())
}

/// Accepts connections until `shutdown` completes, then lets every connection finish its request
/// in progress (hyper's connections finish gracefully), for at most [`DRAIN_LIMIT`], before
/// returning.
async fn listen(listener: TcpListener, make: MakeFront, shutdown: impl Future<Output = ()>) {
    let (stop, stopped) = watch::channel(false);
    let mut connections = JoinSet::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    let _ = stream.set_nodelay(true);
                    connections.spawn(crate::gateway::wire::connection::serve(make.front(peer), stream, peer, stopped.clone()));
                    // Ended connections are let go here, so the set holds only open ones.
                    while connections.try_join_next().is_some() {}
                }
                Err(e) => {
                    // Out of file descriptors and the like: wait rather than spin (as axum::serve).
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            },
        }
    }
    drop(listener);
    let _ = stop.send(true);
    let drained = tokio::time::timeout(DRAIN_LIMIT, async { while connections.join_next().await.is_some() {} }).await;
    // As for HTTPS (`serve_tls`): connections not finished in 30 s are cut, so that none is still
    // admitting or forwarding once the background work has stopped and written what it holds.
    if drained.is_err() {
        tracing::warn!(open = connections.len(), "connections still open 30 s after the shutdown signal are cut");
        connections.abort_all();
        while connections.join_next().await.is_some() {}
    }
}

/// How long connections may take to finish once the server stops.
const DRAIN_LIMIT: Duration = Duration::from_secs(30);

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
