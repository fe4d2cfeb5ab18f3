//! Key material and tokens.
//!
//! - [`keypair`]: the P-256 key pair made at the single download (K9), its PKCS#8 PEM export and
//!   the public half Keyward keeps.
//! - [`key_id`]: random Key IDs (K8).
//! - [`sign`]: ES256 JWT signing, for the CLI's `keyward token` and for tests.
//! - [`password`]: argon2id password hashing for console logins.
//!
//! - [`verify`]: the T-rules, the in-memory key table and the verified-token cache.

pub mod b64;
pub mod codesign;
pub mod key_id;
pub mod keypair;
pub mod password;
pub mod session;
pub mod sign;
pub mod tls;
pub mod uploaded;
pub mod verify;

pub use keypair::{GeneratedKey, PrivateKeyPem, PublicKey};

/// Failures of the cryptographic machinery (a broken RNG, a malformed key file).
#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    #[error("the system random number generator failed")]
    Rng,
    #[error("could not generate a P-256 key pair")]
    KeyGeneration,
    #[error("not a PKCS#8 P-256 private key: {0}")]
    InvalidPrivateKey(&'static str),
    #[error("not a P-256 public key")]
    InvalidPublicKey,
    #[error("signing failed")]
    Signing,
    #[error("password hashing failed")]
    Password,
}
