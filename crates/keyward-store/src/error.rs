//! How database faults become [`StoreError`]s: a leaf every storage module imports, so the
//! transaction helpers (`tx.rs`) and row conversions (`convert.rs`) need not import each other.

use keyward_core::error::StoreError;

/// A database fault: logged in full, reported without internals.
pub(crate) fn backend_error(e: sqlx::Error) -> StoreError {
    StoreError::Backend(e.to_string())
}

pub(crate) fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(db) if db.is_unique_violation())
}

/// A stored value that does not parse: the database was written by something other than Keyward.
pub(crate) fn corrupt(what: &str, value: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(format!("stored {what} '{value}' is invalid"))
}
