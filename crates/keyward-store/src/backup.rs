//! D1: a consistent copy of a running SQLite installation, and what a copy holds. SQLite's
//! `VACUUM INTO` reads one snapshot (WAL mode lets `serve` go on writing meanwhile) and writes a
//! standalone database file. PostgreSQL is backed up with its own tools (`pg_dump`).

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use keyward_core::error::{DomainError, StoreError};

use crate::error::backend_error;
use crate::{Backend, Store, backend};

impl Store {
    /// Writes a consistent copy of the whole database to `file`, which must not exist yet. The
    /// copy is written beside it as `FILE.partial`, flushed to disk, then linked to its name, so
    /// `file` is either absent or whole; it is readable by its owner alone (it holds password and
    /// session hashes and the signing CA's private key).
    pub async fn backup_to(&self, file: &Path) -> Result<(), StoreError> {
        let refuse = |why: String| StoreError::from(DomainError::Conflict(why));
        if self.backend != Backend::Sqlite {
            return Err(refuse("a PostgreSQL installation is backed up with pg_dump (see docs/operations.md)".into()));
        }
        let file = std::path::absolute(file).map_err(|e| refuse(format!("cannot use {}: {e}", file.display())))?;
        if file.exists() {
            return Err(refuse(format!("{} exists already; choose a new file", file.display())));
        }
        let mut partial_name = file.clone().into_os_string();
        partial_name.push(".partial");
        let partial = std::path::PathBuf::from(partial_name);
        // (A `file:` name would be read as a URI by SQLite; an absolute path never is.)
        let target = partial.to_str().ok_or_else(|| refuse("the file name is not UTF-8".into()))?.to_owned();
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&partial)
            .map_err(|e| refuse(format!("cannot create {}: {e}", partial.display())))?;
        let copied = self.vacuum_into(&target).await.and_then(|()| {
            let done = std::fs::OpenOptions::new().append(true).open(&partial).and_then(|mut f| {
                f.flush()?;
                f.sync_all()
            });
            done.and_then(|()| std::fs::hard_link(&partial, &file))
                .map_err(|e| refuse(format!("cannot write {}: {e}", file.display())))
        });
        let _ = std::fs::remove_file(&partial); // linked to its name, or not worth keeping
        if copied.is_ok()
            && let Some(dir) = file.parent()
        {
            let _ = std::fs::File::open(dir).and_then(|d| d.sync_all());
        }
        copied
    }

    async fn vacuum_into(&self, target: &str) -> Result<(), StoreError> {
        let mut conn = self.conn().await?;
        sqlx::query("VACUUM INTO $1").bind(target.to_owned()).execute(&mut *conn).await.map_err(backend_error)?;
        Ok(())
    }

    /// The newest migration applied to this database, or `None` when it is not Keyward's.
    pub async fn schema_version(&self) -> Result<Option<i64>, StoreError> {
        let applied = sqlx::query("SELECT CAST(MAX(version) AS BIGINT) AS v FROM _sqlx_migrations")
            .fetch_one(&mut *self.conn().await?)
            .await;
        match applied {
            Ok(row) => Ok(sqlx::Row::try_get::<Option<i64>, _>(&row, "v").unwrap_or(None)),
            Err(sqlx::Error::Database(_)) => Ok(None), // no such table: not Keyward's
            Err(e) => Err(backend_error(e)),
        }
    }
}

/// The newest migration this binary knows for `backend`.
pub fn known_schema_version(backend: Backend) -> i64 {
    backend::migrator(backend).iter().map(|m| m.version).max().unwrap_or(0)
}

/// The schema version of the Keyward database in `path`, when it is one and SQLite's integrity
/// check finds it whole; read on one connection of its own (no pool: a file that is not a
/// database fails at once, and nothing is created or changed).
pub async fn backup_schema_version(path: &Path) -> Option<i64> {
    use sqlx::{Connection, Row};
    let options = sqlx::sqlite::SqliteConnectOptions::new().filename(path).create_if_missing(false);
    let mut conn = sqlx::SqliteConnection::connect_with(&options).await.ok()?;
    let verdict: String = sqlx::query("PRAGMA integrity_check").fetch_one(&mut conn).await.ok()?.try_get(0).ok()?;
    let version = match verdict.as_str() {
        "ok" => sqlx::query("SELECT MAX(version) FROM _sqlx_migrations")
            .fetch_one(&mut conn)
            .await
            .ok()
            .and_then(|row| row.try_get::<Option<i64>, _>(0).ok().flatten()),
        _ => None,
    };
    let _ = conn.close().await;
    version
}
