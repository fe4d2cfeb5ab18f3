//! Throw-away databases for tests: a fresh SQLite file in a temp directory, or a fresh database on
//! the test PostgreSQL server (`KEYWARD_TEST_POSTGRES_URL`, else `postgres://postgres@127.0.0.1:5432/postgres`),
//! dropped when the guard goes.

use std::path::PathBuf;

use sqlx::{Connection, Executor, PgConnection};

use crate::{Backend, DatabaseUrl};

/// The PostgreSQL server tests use (an admin URL whose database may be any existing one).
pub fn postgres_admin_url() -> String {
    std::env::var("KEYWARD_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

/// Both backends, for suites that must pass on each.
pub const BACKENDS: [Backend; 2] = [Backend::Sqlite, Backend::Postgres];

/// A fresh, empty database; deleted on drop.
pub struct TestDatabase {
    pub url: DatabaseUrl,
    dir: Option<tempfile::TempDir>,
    pg_name: Option<String>,
}

impl std::fmt::Debug for TestDatabase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TestDatabase({})", self.url)
    }
}

impl TestDatabase {
    pub async fn new(backend: Backend) -> TestDatabase {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("temp dir: {e}"));
                let url = DatabaseUrl::Sqlite(dir.path().join("keyward.db"));
                TestDatabase { url, dir: Some(dir), pg_name: None }
            }
            Backend::Postgres => {
                let admin = postgres_admin_url();
                let name = format!("keyward_test_{}", uuid::Uuid::new_v4().simple());
                let mut conn = PgConnection::connect(&admin).await.unwrap_or_else(|e| {
                    panic!("no PostgreSQL at {admin} ({e}); run scripts/test, which provides one, or set KEYWARD_TEST_POSTGRES_URL")
                });
                conn.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .await
                    .unwrap_or_else(|e| panic!("create test database: {e}"));
                let _ = conn.close().await;
                let url = DatabaseUrl::Postgres(replace_database(&admin, &name));
                TestDatabase { url, dir: None, pg_name: Some(name) }
            }
        }
    }

    /// The data directory (SQLite only).
    pub fn dir(&self) -> Option<PathBuf> {
        self.dir.as_ref().map(|d| d.path().to_path_buf())
    }

    /// The URL as `--database-url` takes it.
    pub fn url_string(&self) -> String {
        match &self.url {
            DatabaseUrl::Sqlite(p) => format!("sqlite://{}", p.display()),
            DatabaseUrl::Postgres(u) => u.clone(),
        }
    }
}

fn replace_database(url: &str, db: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let base = match base[scheme_end..].find('/') {
        Some(slash) => &base[..scheme_end + slash],
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{db}?{q}"),
        None => format!("{base}/{db}"),
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Some(name) = self.pg_name.take() {
            let admin = postgres_admin_url();
            // Drop runs outside any runtime guarantee, so use a small runtime on its own thread.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread().enable_all().build();
                if let Ok(rt) = rt {
                    rt.block_on(async move {
                        if let Ok(mut conn) = PgConnection::connect(&admin).await {
                            let _ = conn
                                .execute(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")))
                                .await;
                        }
                    });
                }
            })
            .join();
        }
    }
}

impl crate::Store {
    /// Runs raw SQL, for tests that prove the database itself refuses something (K4, K11).
    pub async fn debug_execute_for_tests(&self, sql: &str) -> Result<u64, String> {
        sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()))
            .execute(self.pool())
            .await
            .map(|r| r.rows_affected())
            .map_err(|e| e.to_string())
    }

    /// Fetches one text cell, for tests that inspect stored rows.
    pub async fn debug_fetch_bytes_for_tests(&self, sql: &str) -> Result<Vec<Vec<u8>>, String> {
        use sqlx::Row;
        let rows =
            sqlx::query(sqlx::AssertSqlSafe(sql.to_owned())).fetch_all(self.pool()).await.map_err(|e| e.to_string())?;
        Ok(rows.iter().filter_map(|r| r.try_get::<Option<Vec<u8>>, _>(0).ok().flatten()).collect())
    }
}

/// A write transaction left open right after its change-feed append, to test what readers see
/// while it is in flight (M1). Commit it with [`OpenFeedWrite::commit`]; dropping it rolls back.
pub struct OpenFeedWrite(crate::tx::Tx);

impl std::fmt::Debug for OpenFeedWrite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OpenFeedWrite")
    }
}

impl OpenFeedWrite {
    /// Begins a write transaction and appends `change` to the feed, as every writer does.
    pub async fn begin(store: &crate::Store, change: &keyward_core::change::Change) -> OpenFeedWrite {
        let mut tx = store.begin_write().await.unwrap_or_else(|e| panic!("begin: {e}"));
        crate::tx::change(&mut tx, change, time::OffsetDateTime::now_utc())
            .await
            .unwrap_or_else(|e| panic!("append: {e}"));
        OpenFeedWrite(tx)
    }

    pub async fn commit(self) {
        crate::tx::commit(self.0).await.unwrap_or_else(|e| panic!("commit: {e}"));
    }
}
