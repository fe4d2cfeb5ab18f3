//! Console session tokens: 256 random bits, sent to the browser once in a cookie; storage keeps
//! only their SHA-256, so a leaked database opens no session.

use std::fmt;

use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use aws_lc_rs::{digest, hmac};
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

/// An HMAC-SHA-256 tag of `message` under a session's secret (its CSRF token), base64url: binds
/// something the browser carries (a one-time console message) to the session that made it, so a
/// cookie planted by a sibling site is ignored.
pub fn session_tag(secret: &str, message: &[u8]) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret.as_bytes());
    b64::encode(hmac::sign(&key, message).as_ref())
}

/// Whether `tag` is [`session_tag`] of `message` under `secret`, compared in constant time.
pub fn session_tag_matches(secret: &str, message: &[u8], tag: &str) -> bool {
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret.as_bytes());
    b64::decode(tag).is_some_and(|t| hmac::verify(&key, message, &t).is_ok())
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

    #[test]
    fn a_session_tag_holds_only_for_its_secret_and_message() {
        let tag = session_tag("secret-a", b"message");
        assert!(session_tag_matches("secret-a", b"message", &tag));
        assert!(!session_tag_matches("secret-b", b"message", &tag));
        assert!(!session_tag_matches("secret-a", b"messagf", &tag));
        assert!(!session_tag_matches("secret-a", b"message", "not base64!"));
    }
}
