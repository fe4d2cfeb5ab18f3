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

/// What an insert guarded by a unique index did. `Taken` is the caller's to explain: the same
/// clash means "the name is taken" to one writer and "this seed entry clashes" to another.
#[must_use]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Inserted {
    Done,
    Taken,
}

impl Inserted {
    /// `Err(taken())` when the row was refused as taken.
    pub(crate) fn or_taken(self, taken: impl FnOnce() -> StoreError) -> Result<(), StoreError> {
        match self {
            Inserted::Done => Ok(()),
            Inserted::Taken => Err(taken()),
        }
    }
}

/// An insert's outcome: a unique violation is [`Inserted::Taken`], any other fault an error.
pub(crate) fn inserted<T>(result: Result<T, sqlx::Error>) -> Result<Inserted, StoreError> {
    match result {
        Ok(_) => Ok(Inserted::Done),
        Err(e) if is_unique_violation(&e) => Ok(Inserted::Taken),
        Err(e) => Err(backend_error(e)),
    }
}
