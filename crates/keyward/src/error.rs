//! How the CLI fails: one clear sentence on stderr and the exit code of spec section 9
//! (1: the action was refused or failed, 2: bad usage).

use keyward_core::error::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// A rule was broken, something was not found, or the work failed; nothing was written.
    #[error("{0}")]
    Refused(String),
    /// The command line or configuration is wrong.
    #[error("{0}")]
    Usage(String),
}

impl CliError {
    pub fn exit_code(&self) -> i32 {
        match self {
            CliError::Refused(_) => 1,
            CliError::Usage(_) => 2,
        }
    }
}

/// A storage failure as one sentence.
pub fn message(e: StoreError) -> String {
    match e {
        StoreError::Rule(rule) => rule.to_string(),
        StoreError::Backend(detail) => format!("the database failed: {detail}"),
        StoreError::Unavailable(detail) => format!("the database cannot be reached: {detail}"),
    }
}

impl From<StoreError> for CliError {
    fn from(e: StoreError) -> Self {
        CliError::Refused(message(e))
    }
}

impl From<keyward_core::DomainError> for CliError {
    fn from(e: keyward_core::DomainError) -> Self {
        CliError::Usage(e.to_string())
    }
}

impl From<keyward_core::role::UnknownRole> for CliError {
    fn from(e: keyward_core::role::UnknownRole) -> Self {
        CliError::Usage(e.to_string())
    }
}
