//! Password hashing and checking off the async workers. Argon2id takes tens of milliseconds of CPU
//! and about 19 MiB of memory per call, so every call runs on the blocking pool behind a small
//! semaphore: a flood of sign-ins waits its turn instead of stalling the API's workers or holding
//! gigabytes of argon2 memory at once.

use std::sync::{Arc, OnceLock};

use keyward_core::secret::PasswordHash;
use keyward_token::password::{hash_password, verify_password};
use tokio::sync::Semaphore;

/// Concurrent argon2 computations per process.
const AT_ONCE: usize = 2;

#[derive(Debug, Clone)]
pub struct Passwords {
    permits: Arc<Semaphore>,
}

impl Default for Passwords {
    fn default() -> Self {
        Passwords { permits: Arc::new(Semaphore::new(AT_ONCE)) }
    }
}

/// Why hashing failed (no entropy, or the blocking task died); never the password.
#[derive(Debug)]
pub struct HashFailed;

impl Passwords {
    pub async fn hash(&self, password: String) -> Result<PasswordHash, HashFailed> {
        let _permit = self.permits.acquire().await.map_err(|_| HashFailed)?;
        tokio::task::spawn_blocking(move || hash_password(&password).map_err(|_| HashFailed))
            .await
            .map_err(|_| HashFailed)?
    }

    /// Checks `password` against `hash`, or against a decoy when the account has no password, so
    /// both answers take as long.
    pub async fn verify(&self, password: String, hash: Option<PasswordHash>) -> bool {
        let Ok(_permit) = self.permits.acquire().await else { return false };
        let known = hash.is_some();
        let hash = match hash.or_else(|| decoy().clone()) {
            Some(h) => h,
            None => return false,
        };
        let ok = tokio::task::spawn_blocking(move || verify_password(&password, &hash)).await.unwrap_or(false);
        ok && known
    }
}

/// Verified when the account does not exist.
fn decoy() -> &'static Option<PasswordHash> {
    static DECOY: OnceLock<Option<PasswordHash>> = OnceLock::new();
    DECOY.get_or_init(|| hash_password("keyward decoy password").ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_unknown_accounts_never_pass() {
        let p = Passwords::default();
        let hash = p.hash("correct horse".into()).await.expect("hashes");
        assert!(p.verify("correct horse".into(), Some(hash.clone())).await);
        assert!(!p.verify("wrong horse".into(), Some(hash)).await);
        assert!(!p.verify("keyward decoy password".into(), None).await, "the decoy never signs anyone in");
    }

    #[tokio::test]
    async fn at_most_two_hashes_run_at_once() {
        let p = Passwords::default();
        let held: Vec<_> = (0..AT_ONCE).map(|_| p.permits.clone().try_acquire_owned().expect("permit")).collect();
        assert!(p.permits.try_acquire().is_err(), "a third caller waits");
        drop(held);
        assert!(p.permits.try_acquire().is_ok());
    }
}
