//! Console session tokens: 256 random bits, sent to the browser once in a cookie; storage keeps
//! only their SHA-256, so a leaked database opens no session.

use std::fmt;

use aws_lc_rs::digest;
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use zeroize::Zeroizing;

use crate::{CryptoError, b64};

/// A session token as the cookie carries it. `Debug` prints nothing of it.
pub struct SessionToken(Zeroizing<String>);

impl SessionToken {
    pub fn generate() -> Result<SessionToken, CryptoError> {
        Ok(SessionToken(Zeroizing::new(random_token()?)))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// What storage keeps.
    pub fn hash(&self) -> String {
        hash_token(&self.0)
    }
}

impl fmt::Debug for SessionToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionToken(<redacted>)")
    }
}

/// 32 random bytes, base64url (also the CSRF token of a session).
pub fn random_token() -> Result<String, CryptoError> {
    let mut bytes = Zeroizing::new([0u8; 32]);
    SystemRandom::new().fill(bytes.as_mut()).map_err(|_| CryptoError::Rng)?;
    Ok(b64::encode(bytes.as_ref()))
}

/// The hex SHA-256 of a token presented by a browser.
pub fn hash_token(token: &str) -> String {
    digest::digest(&digest::SHA256, token.as_bytes()).as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_tokens_are_random_hashed_and_redacted() {
        let a = SessionToken::generate().expect("rng");
        let b = SessionToken::generate().expect("rng");
        assert_ne!(a.expose(), b.expose());
        assert_eq!(a.expose().len(), 43, "256 bits in base64url");
        assert_eq!(a.hash(), hash_token(a.expose()));
        assert_eq!(a.hash().len(), 64);
        assert!(!format!("{a:?}").contains(a.expose()));
    }
}
