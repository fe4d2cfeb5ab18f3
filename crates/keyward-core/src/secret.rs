//! Secrets that pass through the domain. Their `Debug` prints nothing secret, so they cannot leak
//! through a log line or a panic message.

use std::fmt;

/// An argon2id password hash (PHC string). Only storage and the verifier read it.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash(String);

impl PasswordHash {
    pub fn new(phc: String) -> Self {
        Self(phc)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordHash(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_hash_debug_is_redacted() {
        let h = PasswordHash::new("$argon2id$v=19$secret".into());
        assert!(!format!("{h:?}").contains("secret"));
    }
}
