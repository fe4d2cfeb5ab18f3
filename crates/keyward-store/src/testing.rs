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
                // Byte order, whatever the server's default locale: the read model compares strings
                // byte by byte, and the SQL lists it is tested against must agree.
                let create =
                    format!("CREATE DATABASE {name} TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'");
                conn.execute(sqlx::AssertSqlSafe(create)).await.unwrap_or_else(|e| panic!("create test database: {e}"));
                let _ = conn.close().await;
                let url = DatabaseUrl::Postgres(replace_database(&admin, &name));
                TestDatabase { url, dir: None, pg_name: Some(name) }
            }
        }
    }

    /// A database the caller owns (a throw-away cluster's), used as it is and never dropped.
    pub fn at(url: DatabaseUrl) -> TestDatabase {
        TestDatabase { url, dir: None, pg_name: None }
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
            .execute(&self.pool)
            .await
            .map(|r| r.rows_affected())
            .map_err(|e| e.to_string())
    }

    /// Fetches one text cell, for tests that inspect stored rows.
    pub async fn debug_fetch_bytes_for_tests(&self, sql: &str) -> Result<Vec<Vec<u8>>, String> {
        use sqlx::Row;
        let rows =
            sqlx::query(sqlx::AssertSqlSafe(sql.to_owned())).fetch_all(&self.pool).await.map_err(|e| e.to_string())?;
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

/// A PostgreSQL cluster of the test's own, on a free loopback port, that the test can stop and
/// start (M3: the database away and back). Made with the server's `initdb` and `pg_ctl`, as the
/// `postgres` user when the tests run as root (initdb refuses root). Removed on drop.
pub struct ThrowawayCluster {
    pub url: DatabaseUrl,
    dir: tempfile::TempDir,
    bin: PathBuf,
    port: u16,
    as_postgres: bool,
}

impl std::fmt::Debug for ThrowawayCluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ThrowawayCluster({})", self.url)
    }
}

impl ThrowawayCluster {
    fn pg_bin() -> PathBuf {
        let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
            .map(|d| {
                d.filter_map(|e| e.ok()).map(|e| e.path().join("bin")).filter(|b| b.join("initdb").exists()).collect()
            })
            .unwrap_or_default();
        found.sort();
        found.pop().unwrap_or_else(|| panic!("no PostgreSQL server binaries under /usr/lib/postgresql: install Debian's postgresql package (scripts/test does)"))
    }

    fn run(&self, program: &str, args: &[&str]) -> std::process::Output {
        let exe = self.bin.join(program);
        let mut cmd = if self.as_postgres {
            let mut c = std::process::Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&exe);
            c
        } else {
            std::process::Command::new(&exe)
        };
        cmd.args(args).output().unwrap_or_else(|e| panic!("{program}: {e}"))
    }

    pub fn start_new() -> ThrowawayCluster {
        let bin = Self::pg_bin();
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("temp dir: {e}"));
        // initdb refuses to run as root: then the cluster belongs to the postgres user.
        let root = std::process::Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout.starts_with(b"0\n"));
        if root {
            let chown = std::process::Command::new("chown").arg("postgres").arg(dir.path()).status();
            assert!(chown.is_ok_and(|s| s.success()), "chown the cluster directory to postgres");
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .unwrap_or_else(|e| panic!("free port: {e}"));
        let url = DatabaseUrl::Postgres(format!("postgres://postgres@127.0.0.1:{port}/postgres"));
        let cluster = ThrowawayCluster { url, dir, bin, port, as_postgres: root };
        let data = cluster.data();
        let out = cluster.run("initdb", &["-D", &data, "-U", "postgres", "--auth=trust"]);
        assert!(out.status.success(), "initdb: {}", String::from_utf8_lossy(&out.stderr));
        cluster.start();
        cluster
    }

    fn data(&self) -> String {
        self.dir.path().join("data").display().to_string()
    }

    /// Starts the server and waits until it accepts connections.
    pub fn start(&self) {
        let options =
            format!("-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off", self.port, self.dir.path().display());
        let log = self.dir.path().join("server.log").display().to_string();
        let out = self.run("pg_ctl", &["-D", &self.data(), "-l", &log, "-w", "-o", &options, "start"]);
        assert!(out.status.success(), "pg_ctl start: {}", String::from_utf8_lossy(&out.stderr));
    }

    /// Stops the server at once (`-m immediate`: connections die as in a crash).
    pub fn stop(&self) {
        let out = self.run("pg_ctl", &["-D", &self.data(), "-m", "immediate", "-w", "stop"]);
        assert!(out.status.success(), "pg_ctl stop: {}", String::from_utf8_lossy(&out.stderr));
    }
}

impl Drop for ThrowawayCluster {
    fn drop(&mut self) {
        let _ = self.run("pg_ctl", &["-D", &self.data(), "-m", "immediate", "stop"]);
    }
}

/// Makes every budget lease as if it had expired (M2 tests cannot wait on the database's clock).
pub async fn expire_budget_leases(store: &crate::Store) {
    sqlx::query("UPDATE budget_leases SET expires_at = expires_at - 3600")
        .execute(&store.pool)
        .await
        .unwrap_or_else(|e| panic!("expire leases: {e}"));
}

/// How many rows hold budgets: (leases, minutes). M2 tests check the hour stays bounded.
pub async fn budget_rows(store: &crate::Store) -> (i64, i64) {
    let count = |sql: &'static str| async move {
        let row = sqlx::query(sql).fetch_one(&store.pool).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
        sqlx::Row::get::<i64, _>(&row, "n")
    };
    (count("SELECT COUNT(*) AS n FROM budget_leases").await, count("SELECT COUNT(*) AS n FROM budget_minutes").await)
}

/// Waits until another transaction is blocked on a lock (PostgreSQL: a row of `pg_locks` not yet
/// granted), so a test observes the moment it means to rather than guessing it with a sleep.
/// SQLite shows no such row: a writer waits inside its `BEGIN IMMEDIATE`, so this waits 300 ms.
pub async fn until_a_writer_waits(store: &crate::Store) {
    if store.backend() == Backend::Sqlite {
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        return;
    }
    for _ in 0..500 {
        let row = sqlx::query(
            "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM pg_locks \
             WHERE NOT granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
        )
        .fetch_one(&store.pool)
        .await
        .unwrap_or_else(|e| panic!("pg_locks: {e}"));
        let n: i64 = sqlx::Row::try_get(&row, "n").unwrap_or(0);
        if n > 0 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("no writer ever waited for a lock");
}
