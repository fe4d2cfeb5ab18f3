//! Password hashing and checking off the async workers. Argon2id takes tens of milliseconds of CPU
//! and about 19 MiB of memory per call, so every call runs on the blocking pool behind a small
//! semaphore: a flood of sign-ins waits its turn instead of stalling the API's workers or holding
//! gigabytes of argon2 memory at once. The queue is bounded too: beyond [`MAX_WAITING`] callers,
//! or after waiting [`MAX_WAIT`], the caller is told the server is busy.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use keyward_core::secret::PasswordHash;
use keyward_token::password::{hash_password, verify_password};
use tokio::sync::{Semaphore, SemaphorePermit};

/// Concurrent argon2 computations per process.
const AT_ONCE: usize = 2;
/// Callers that may wait for a turn.
pub const MAX_WAITING: usize = 64;
/// The longest a caller waits for a turn.
pub const MAX_WAIT: Duration = Duration::from_secs(10);

#[derive(Debug, Clone)]
pub struct Passwords {
    permits: Arc<Semaphore>,
    waiting: Arc<AtomicUsize>,
}

impl Default for Passwords {
    fn default() -> Self {
        Passwords { permits: Arc::new(Semaphore::new(AT_ONCE)), waiting: Arc::default() }
    }
}

/// Why hashing failed (busy, no entropy, or the blocking task died); never the password.
#[derive(Debug, PartialEq, Eq)]
pub enum HashFailed {
    Busy,
    Fault,
}

/// Counts a waiting caller for as long as it lives.
struct Waiting(Arc<AtomicUsize>);

impl Drop for Waiting {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Passwords {
    async fn turn(&self) -> Result<SemaphorePermit<'_>, HashFailed> {
        if self.waiting.fetch_add(1, Ordering::SeqCst) >= MAX_WAITING {
            self.waiting.fetch_sub(1, Ordering::SeqCst);
            return Err(HashFailed::Busy);
        }
        let _waiting = Waiting(self.waiting.clone());
        match tokio::time::timeout(MAX_WAIT, self.permits.acquire()).await {
            Ok(Ok(permit)) => Ok(permit),
            Ok(Err(_)) => Err(HashFailed::Fault),
            Err(_) => Err(HashFailed::Busy),
        }
    }

    pub async fn hash(&self, password: String) -> Result<PasswordHash, HashFailed> {
        let _permit = self.turn().await?;
        tokio::task::spawn_blocking(move || hash_password(&password).map_err(|_| HashFailed::Fault))
            .await
            .map_err(|_| HashFailed::Fault)?
    }

    /// Checks `password` against `hash`, or against a decoy when the account has no password, so
    /// both answers take as long. `Err(Busy)` when too many checks are waiting.
    pub async fn verify(&self, password: String, hash: Option<PasswordHash>) -> Result<bool, HashFailed> {
        let _permit = self.turn().await?;
        let known = hash.is_some();
        let hash = match hash.or_else(|| decoy().clone()) {
            Some(h) => h,
            None => return Ok(false),
        };
        let ok = tokio::task::spawn_blocking(move || verify_password(&password, &hash)).await.unwrap_or(false);
        Ok(ok && known)
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
        assert_eq!(p.verify("correct horse".into(), Some(hash.clone())).await, Ok(true));
        assert_eq!(p.verify("wrong horse".into(), Some(hash)).await, Ok(false));
        assert_eq!(p.verify("keyward decoy password".into(), None).await, Ok(false), "the decoy never signs anyone in");
    }

    #[tokio::test]
    async fn at_most_two_hashes_run_at_once() {
        let p = Passwords::default();
        let held: Vec<_> = (0..AT_ONCE).map(|_| p.permits.clone().try_acquire_owned().expect("permit")).collect();
        assert!(p.permits.try_acquire().is_err(), "a third caller waits");
        drop(held);
        assert!(p.permits.try_acquire().is_ok());
    }

    #[tokio::test]
    async fn a_full_queue_answers_busy_at_once() {
        let p = Passwords::default();
        p.waiting.store(MAX_WAITING, Ordering::SeqCst);
        assert_eq!(p.hash("x".repeat(12)).await.err(), Some(HashFailed::Busy));
        assert_eq!(p.waiting.load(Ordering::SeqCst), MAX_WAITING, "the refused caller left no trace");
    }
}
