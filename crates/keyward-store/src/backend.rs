//! What differs between SQLite and PostgreSQL: connecting, beginning a write transaction, and the
//! migration set. Nothing outside this module branches on the backend.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use keyward_core::error::StoreError;
use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::migrate::Migrator;
use sqlx::{AnyPool, Executor};

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/postgres");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
        })
    }
}

/// A database location: `sqlite://PATH` or `postgres://…`.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    Sqlite(PathBuf),
    Postgres(String),
}

impl DatabaseUrl {
    /// The default SQLite file inside a data directory.
    pub fn in_data_dir(dir: &Path) -> Self {
        DatabaseUrl::Sqlite(dir.join("keyward.db"))
    }

    pub fn backend(&self) -> Backend {
        match self {
            DatabaseUrl::Sqlite(_) => Backend::Sqlite,
            DatabaseUrl::Postgres(_) => Backend::Postgres,
        }
    }

    /// The URL with any password replaced, for logs and messages.
    pub fn redacted(&self) -> String {
        match self {
            DatabaseUrl::Sqlite(p) => format!("sqlite://{}", p.display()),
            DatabaseUrl::Postgres(url) => redact_password(url),
        }
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl FromStr for DatabaseUrl {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if let Some(path) = s.strip_prefix("sqlite://").or_else(|| s.strip_prefix("sqlite:")) {
            let path = path.split('?').next().unwrap_or_default();
            if path.is_empty() {
                return Err("a sqlite:// URL needs a file path, e.g. sqlite://./keyward-data/keyward.db".into());
            }
            Ok(DatabaseUrl::Sqlite(PathBuf::from(path)))
        } else if s.starts_with("postgres://") || s.starts_with("postgresql://") {
            Ok(DatabaseUrl::Postgres(s.to_owned()))
        } else {
            Err(format!("'{}' is not a database URL; use sqlite://PATH or postgres://…", redact_password(s)))
        }
    }
}

fn redact_password(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

pub(crate) async fn connect(url: &DatabaseUrl) -> Result<(AnyPool, Backend), StoreError> {
    install_default_drivers();
    let fail = |e: sqlx::Error| StoreError::Backend(format!("cannot open the database at {}: {e}", url.redacted()));
    match url {
        DatabaseUrl::Sqlite(path) => {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(|e| {
                    StoreError::Backend(format!("cannot create the data directory {}: {e}", dir.display()))
                })?;
            }
            let pool = AnyPoolOptions::new()
                .max_connections(8)
                .acquire_timeout(Duration::from_secs(30))
                .after_connect(|conn, _meta| {
                    Box::pin(async move {
                        // WAL: readers never block the writer; synchronous=NORMAL is durable across a
                        // process crash (not a power loss), the trade-off most embedded servers make.
                        conn.execute("PRAGMA journal_mode = WAL").await?;
                        conn.execute("PRAGMA synchronous = NORMAL").await?;
                        conn.execute("PRAGMA foreign_keys = ON").await?;
                        conn.execute("PRAGMA busy_timeout = 10000").await?;
                        Ok(())
                    })
                })
                .connect(&format!("sqlite://{}?mode=rwc", path.display()))
                .await
                .map_err(fail)?;
            Ok((pool, Backend::Sqlite))
        }
        DatabaseUrl::Postgres(raw) => {
            // M3: nothing waits on an unreachable database for long: a connection within 5 s, a
            // statement within 10 s; requests then fail (or, past max_feed_staleness, fail closed).
            let pool = AnyPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(5))
                .after_connect(|conn, _meta| {
                    Box::pin(async move {
                        conn.execute("SET statement_timeout = 10000").await?;
                        Ok(())
                    })
                })
                .connect(raw)
                .await
                .map_err(fail)?;
            Ok((pool, Backend::Postgres))
        }
    }
}

pub(crate) fn migrator(backend: Backend) -> &'static Migrator {
    match backend {
        Backend::Sqlite => &SQLITE_MIGRATIONS,
        Backend::Postgres => &POSTGRES_MIGRATIONS,
    }
}

/// A transaction on either backend. Every write runs in one, opened by `Store::begin_write`
/// with [`begin_write_statement`].
pub(crate) type Tx = sqlx::Transaction<'static, sqlx::Any>;

/// M2: whether the nodes of an installation share each key's budget through the database. Only
/// PostgreSQL serves several nodes; SQLite's one node counts in memory.
pub(crate) fn shares_budgets(backend: Backend) -> bool {
    backend == Backend::Postgres
}

/// The statement that opens a write transaction. SQLite takes the database write lock at once, so
/// a transaction never has to upgrade a read snapshot (which can fail under concurrency);
/// PostgreSQL locks rows as the transaction touches them.
pub(crate) fn begin_write_statement(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "BEGIN IMMEDIATE",
        Backend::Postgres => "BEGIN",
    }
}

/// M1: feed appends are serialized until commit, so the order in which `seq` values are drawn is the
/// order in which they become visible, and a reader that asks for `seq > position` can never pass a
/// number whose transaction has yet to commit. PostgreSQL: a transaction-scoped advisory lock taken
/// before the feed insert, released by COMMIT after the rows are visible (re-entrant within one
/// transaction). SQLite: write transactions already run one at a time (`BEGIN IMMEDIATE`).
///
/// No deadlock: after its first feed append a transaction takes no further row lock that another
/// transaction could hold while waiting for this one (each write locks its team first; the seed,
/// which touches many teams, takes this lock before anything else).
pub(crate) async fn lock_feed(tx: &mut Tx) -> Result<(), StoreError> {
    if tx.backend_name() == "PostgreSQL" {
        sqlx::query("SELECT pg_advisory_xact_lock(7316461528105367553)")
            .execute(&mut **tx)
            .await
            .map_err(crate::error::backend_error)?;
    }
    Ok(())
}

/// M2: leases of one key's budget are granted one at a time (a transaction-scoped advisory lock on
/// the key; SQLite's write transactions are serial already).
pub(crate) async fn lock_budget(tx: &mut Tx, key: &keyward_core::ids::KeyId) -> Result<(), StoreError> {
    if tx.backend_name() == "PostgreSQL" {
        sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
            .bind(format!("keyward-budget:{key}"))
            .execute(&mut **tx)
            .await
            .map_err(crate::error::backend_error)?;
    }
    Ok(())
}

/// The database's clock, in Unix seconds: budget leases are timed by it, not by the nodes'.
pub(crate) async fn database_now(tx: &mut Tx) -> Result<i64, StoreError> {
    let sql = if tx.backend_name() == "PostgreSQL" {
        "SELECT CAST(EXTRACT(EPOCH FROM clock_timestamp()) AS BIGINT) AS now"
    } else {
        "SELECT CAST(strftime('%s', 'now') AS BIGINT) AS now"
    };
    let row = sqlx::query(sql).fetch_one(&mut **tx).await.map_err(crate::error::backend_error)?;
    crate::convert::get(&row, "now")
}

/// Wakes a change-feed tailer early (see [`crate::Store::change_signal`]).
pub struct ChangeSignal {
    listener: Option<sqlx::postgres::PgListener>,
}

impl fmt::Debug for ChangeSignal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChangeSignal").field("listening", &self.listener.is_some()).finish()
    }
}

impl ChangeSignal {
    pub(crate) async fn listen(url: &DatabaseUrl) -> ChangeSignal {
        let listener = match url {
            DatabaseUrl::Sqlite(_) => None,
            DatabaseUrl::Postgres(raw) => match sqlx::postgres::PgListener::connect(raw).await {
                Ok(mut l) => match l.listen("keyward_changes").await {
                    Ok(()) => Some(l),
                    Err(e) => {
                        tracing::warn!(error = %e, "LISTEN keyward_changes failed; relying on polling");
                        None
                    }
                },
                Err(e) => {
                    tracing::warn!(error = %e, "cannot open a LISTEN connection; relying on polling");
                    None
                }
            },
        };
        ChangeSignal { listener }
    }

    /// Returns after a notification or after `timeout`, whichever comes first.
    pub async fn wait(&mut self, timeout: Duration) {
        match &mut self.listener {
            Some(listener) => {
                let started = tokio::time::Instant::now();
                if let Ok(Err(e)) = tokio::time::timeout(timeout, listener.recv()).await {
                    // The connection is down (the database away): it reconnects on the next recv;
                    // meanwhile wait out the poll interval rather than spin.
                    tracing::debug!(error = %e, "LISTEN connection interrupted; it reconnects");
                    tokio::time::sleep_until(started + timeout).await;
                }
            }
            None => tokio::time::sleep(timeout).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_urls_parse_and_redact() {
        assert_eq!("sqlite://data/k.db".parse::<DatabaseUrl>(), Ok(DatabaseUrl::Sqlite("data/k.db".into())));
        let pg: DatabaseUrl = "postgres://u:secret@h/db".parse().expect("valid");
        assert_eq!(pg.redacted(), "postgres://u:***@h/db");
        assert!(!format!("{pg:?}").contains("secret"));
        assert!("mysql://x".parse::<DatabaseUrl>().is_err());
        assert!("sqlite://".parse::<DatabaseUrl>().is_err());
    }
}
