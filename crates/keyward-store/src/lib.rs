//! SQLite and PostgreSQL storage behind the traits of `keyward_core::ports`.
//!
//! One [`Store`] type serves both backends through sqlx's `Any` driver, so every query is written
//! once: the two dialects agree on `$1` parameters, `RETURNING`, partial indexes and the column
//! types we use (text IDs, `BIGINT` Unix seconds, booleans, blobs). What differs lives in
//! [`backend`]: connection setup, the transaction's `BEGIN`, and the migration folder
//! (`migrations/sqlite`, `migrations/postgres`), where triggers and `NOTIFY` are spelled per dialect.
//!
//! Concurrency rules hold in the database: every rule-bearing write of a team first bumps the team
//! row's `lock_version`, which takes the row lock on PostgreSQL and the write lock on SQLite
//! (`BEGIN IMMEDIATE`), so checks and inserts of one team are serialized (K5, K6). The single
//! download is a conditional update (K9); a partial unique index backs K6.

#[macro_use]
mod sql;

mod app_list;
mod app_rows;
mod app_update;
mod apps;
mod audit;
mod auth;
pub mod backend;
mod backup;
mod budgets;
mod convert;
mod error;
mod feed;
mod health;
mod invitation_rows;
mod invitations;
mod key_capability;
mod key_events;
mod key_rows;
mod keys;
mod member_list;
mod member_rows;
mod member_update;
mod members;
mod persons;
mod resource_rows;
mod resources;
mod review;
mod seed;
mod sessions;
mod signing;
mod team_rows;
mod teams;
mod testers;
mod tx;

pub use backend::{Backend, ChangeSignal, DatabaseUrl};
pub use backup::{backup_schema_version, known_schema_version};

use std::fmt;

use keyward_core::error::StoreError;
use sqlx::AnyPool;

/// A connection pool to Keyward's database, SQLite or PostgreSQL.
#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    url: DatabaseUrl,
    health: std::sync::Arc<health::Health>,
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store").field("backend", &self.backend).finish_non_exhaustive()
    }
}

impl Store {
    /// A read transaction on a connection from [`Store::conn`] (D4: never a long wait while the
    /// database is away).
    pub(crate) async fn begin(&self) -> Result<backend::Tx, StoreError> {
        sqlx::Transaction::begin(self.conn().await?, None).await.map_err(error::backend_error)
    }

    /// Opens (and for SQLite creates) the database. Does not migrate: see [`Store::migrate`].
    pub async fn open(url: &DatabaseUrl) -> Result<Store, StoreError> {
        let (pool, backend) = backend::connect(url).await?;
        let raw = match url {
            DatabaseUrl::Postgres(raw) => raw.as_str(),
            DatabaseUrl::Sqlite(_) => "",
        };
        let health = std::sync::Arc::new(health::Health::new(backend, raw));
        Ok(Store { pool, backend, url: url.clone(), health })
    }

    /// Opens the database and applies pending migrations (idempotent).
    pub async fn open_and_migrate(url: &DatabaseUrl) -> Result<Store, StoreError> {
        let store = Self::open(url).await?;
        store.migrate().await?;
        Ok(store)
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// A signal that fires when another process commits to the change feed (K11). PostgreSQL
    /// delivers `NOTIFY keyward_changes`; SQLite has no such signal, so its tailer relies on the
    /// poll alone.
    pub async fn change_signal(&self) -> ChangeSignal {
        ChangeSignal::listen(&self.url).await
    }

    /// Applies the embedded migrations of this backend that have not run yet. A database that a
    /// newer Keyward has migrated further is refused as it is (D2): this binary cannot know what
    /// the newer schema means.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        let known = known_schema_version(self.backend);
        if let Some(applied) = self.schema_version().await?
            && applied > known
        {
            return Err(keyward_core::error::DomainError::Conflict(format!(
                "the database was migrated by a newer Keyward (schema {applied}; this one knows up to {known}); \
                 run that version, or restore a backup made for this one"
            ))
            .into());
        }
        backend::migrator(self.backend)
            .run(&self.pool)
            .await
            .map_err(|e| StoreError::Backend(format!("migration failed: {e}")))
    }

    /// For readiness checks: one round trip to the database.
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await.map(|_| ()).map_err(error::backend_error)
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

#[cfg(feature = "test-support")]
pub mod testing;
