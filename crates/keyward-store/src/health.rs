//! D4: whether this node can reach its database, so that requests needing it fail at once with a
//! 503 instead of each waiting for a pool connection that will not come. Only the probe decides:
//! a `SELECT 1` every quarter second on a connection of its own (so a busy pool never looks like
//! an outage; a refused connection is seen at once), given 700 ms, or at once when a query failed
//! to reach the database
//! (`Store::suspect`). While the database is away, getting a connection fails at once, and a wait
//! for one already begun ends when the probe decides; nothing else is cut short, so a write that
//! has its connection finishes or fails by itself. Only a database server goes away: SQLite, a
//! local file, never does.

use std::time::Duration;

use keyward_core::error::StoreError;
use sqlx::{AnyConnection, Connection};
use tokio::sync::{Notify, watch};

use crate::{Backend, Store};

/// How often the probe asks, and how long it waits for an answer.
const PROBE_EVERY: Duration = Duration::from_millis(250);
const PROBE_WAIT: Duration = Duration::from_millis(700);

/// Shared by every clone of a [`Store`]. The watch holds whether the database is away: one
/// value, changed only by the probe.
#[derive(Debug)]
pub(crate) struct Health {
    away: watch::Sender<bool>,
    /// Wakes the probe before its next turn.
    suspect: Notify,
    /// Where the probe connects (PostgreSQL only): a connection of its own, outside the pool.
    probe: Option<String>,
}

impl Health {
    pub(crate) fn new(backend: Backend, url: &str) -> Health {
        let probe = (backend == Backend::Postgres).then(|| url.to_owned());
        Health { away: watch::Sender::new(false), suspect: Notify::new(), probe }
    }
}

/// One `SELECT 1` on `held`, reconnecting once if it is closed or broken (a refused connection
/// fails at once: no pool retries it), each step given 700 ms. Whether the database answered.
async fn answers(url: &str, held: &mut Option<AnyConnection>) -> bool {
    for _ in 0..2 {
        if held.is_none() {
            *held = tokio::time::timeout(PROBE_WAIT, AnyConnection::connect(url)).await.ok().and_then(Result::ok);
            if held.is_none() {
                return false;
            }
        }
        if let Some(conn) = held.as_mut() {
            let ping = sqlx::query("SELECT 1").execute(&mut *conn);
            if matches!(tokio::time::timeout(PROBE_WAIT, ping).await, Ok(Ok(_))) {
                return true;
            }
        }
        *held = None;
    }
    false
}

/// What a query answers while the database is away.
pub(crate) fn away_error() -> StoreError {
    StoreError::Unavailable("the database is unreachable".into())
}

impl Store {
    /// Whether this node believes its database away.
    pub fn is_away(&self) -> bool {
        *self.health.away.borrow()
    }

    /// Flips to `true` when the database goes away, to `false` when it is back.
    pub fn away_signal(&self) -> watch::Receiver<bool> {
        self.health.away.subscribe()
    }

    /// A query could not reach the database: the probe asks it now rather than at its next turn.
    pub fn suspect(&self) {
        self.health.suspect.notify_one();
    }

    /// A connection from the pool, unless the database is known away, or is found away while
    /// this waits for one.
    pub(crate) async fn conn(&self) -> Result<sqlx::pool::PoolConnection<sqlx::Any>, StoreError> {
        let mut away = self.health.away.subscribe();
        if *away.borrow_and_update() {
            return Err(away_error());
        }
        tokio::select! {
            conn = self.pool.acquire() => conn.map_err(crate::error::backend_error),
            Ok(_) = away.wait_for(|away| *away) => Err(away_error()),
        }
    }

    /// The probe, until `shutdown` flips (PostgreSQL; on SQLite it returns at once).
    pub async fn watch_health(&self, mut shutdown: watch::Receiver<bool>) {
        let Some(url) = self.health.probe.clone() else { return };
        let mut held = None;
        loop {
            let answered = answers(&url, &mut held).await;
            self.health.away.send_if_modified(|away| {
                if *away == answered {
                    *away = !answered;
                    if answered {
                        tracing::info!("the database answers again");
                    } else {
                        tracing::warn!(
                            "the database is unreachable; requests that need it answer 503 until it is back"
                        );
                    }
                    true
                } else {
                    false
                }
            });
            tokio::select! {
                _ = tokio::time::sleep(PROBE_EVERY) => {}
                _ = self.health.suspect.notified() => {}
                _ = shutdown.changed() => return,
            }
        }
    }
}
