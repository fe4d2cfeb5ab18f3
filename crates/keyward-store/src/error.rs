//! How database faults become [`StoreError`]s: a leaf every storage module imports, so the
//! transaction helpers (`tx.rs`) and row conversions (`convert.rs`) need not import each other.

use keyward_core::error::StoreError;

/// A database fault: logged in full, reported without internals. One that says the database
/// cannot be reached (D4) is [`StoreError::Unavailable`]: no connection, a connection lost, the
/// server shutting down or not yet accepting (SQLSTATE class 08, 57P01–57P03).
pub(crate) fn backend_error(e: sqlx::Error) -> StoreError {
    if unreachable(&e) { StoreError::Unavailable(e.to_string()) } else { StoreError::Backend(e.to_string()) }
}

fn unreachable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Io(_) | sqlx::Error::Tls(_) | sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed => true,
        sqlx::Error::Database(db) => {
            db.code().is_some_and(|code| code.starts_with("08") || ["57P01", "57P02", "57P03"].contains(&&*code))
        }
        _ => false,
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn d4_only_faults_of_reaching_the_database_are_unavailable() {
        let refused = sqlx::Error::Io(std::io::Error::from(std::io::ErrorKind::ConnectionRefused));
        assert!(matches!(backend_error(refused), StoreError::Unavailable(_)));
        assert!(matches!(backend_error(sqlx::Error::PoolTimedOut), StoreError::Unavailable(_)));
        assert!(matches!(backend_error(sqlx::Error::RowNotFound), StoreError::Backend(_)));
        assert!(matches!(backend_error(sqlx::Error::Protocol("bad".into())), StoreError::Backend(_)));
    }
}
