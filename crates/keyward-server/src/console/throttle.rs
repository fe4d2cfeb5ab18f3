//! Sign-in throttling: at most 5 password checks per account and 20 per client IP in any 15
//! minutes.
//!
//! An attempt is counted *before* its password is checked ([`Throttle::begin`]) and given back
//! only when it succeeds, so concurrent guesses cannot all be evaluated while the first ones are
//! still hashing: the sixth concurrent guess for an account is refused without a check.
//!
//! Memory is bounded: expired attempts are dropped as entries are touched and whenever a map is
//! full; each map holds at most [`MAX_ENTRIES`] keys, and account keys are cut to the longest
//! email address (254 bytes). When a map is full of live entries, new keys are refused (fail
//! closed) and a warning is logged: filling it takes [`MAX_ENTRIES`] / 20 client addresses.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

const WINDOW: Duration = Duration::from_secs(15 * 60);
const PER_ACCOUNT: usize = 5;
const PER_IP: usize = 20;
/// Keys per map (accounts, IPs).
pub const MAX_ENTRIES: usize = 100_000;
/// The longest email address (RFC 5321).
const MAX_ACCOUNT_BYTES: usize = 254;

#[derive(Debug, Default)]
struct Window {
    attempts: HashMap<String, VecDeque<Instant>>,
}

impl Window {
    fn prune(queue: &mut VecDeque<Instant>, now: Instant) {
        while queue.front().is_some_and(|t| now.duration_since(*t) > WINDOW) {
            queue.pop_front();
        }
    }

    /// Live attempts of `key`, or `None` when the key is new and the map is full.
    fn live(&mut self, key: &str, now: Instant) -> Option<usize> {
        if let Some(queue) = self.attempts.get_mut(key) {
            Self::prune(queue, now);
            return Some(queue.len());
        }
        if self.attempts.len() >= MAX_ENTRIES {
            self.attempts.retain(|_, q| {
                Self::prune(q, now);
                !q.is_empty()
            });
            if self.attempts.len() >= MAX_ENTRIES {
                return None;
            }
        }
        Some(0)
    }

    fn push(&mut self, key: &str, now: Instant) {
        self.attempts.entry(key.to_owned()).or_default().push_back(now);
    }

    /// Gives back one attempt made at `at`.
    fn release(&mut self, key: &str, at: Instant) {
        if let Some(queue) = self.attempts.get_mut(key) {
            if let Some(i) = queue.iter().position(|t| *t == at) {
                queue.remove(i);
            }
            if queue.is_empty() {
                self.attempts.remove(key);
            }
        }
    }
}

#[derive(Debug, Default)]
struct Maps {
    accounts: Window,
    ips: Window,
}

#[derive(Debug, Default)]
pub struct Throttle {
    maps: Mutex<Maps>,
}

/// A counted attempt; hand it back with [`Throttle::succeeded`] when the password was right.
#[derive(Debug)]
#[must_use]
pub struct Attempt {
    account: String,
    ip: String,
    at: Instant,
}

fn account_key(account: &str) -> String {
    let mut end = account.len().min(MAX_ACCOUNT_BYTES);
    while !account.is_char_boundary(end) {
        end -= 1;
    }
    account[..end].to_owned()
}

impl Throttle {
    /// Counts an attempt for this account and IP, or refuses it when either is at its limit.
    pub fn begin(&self, account: &str, ip: &str) -> Option<Attempt> {
        let now = Instant::now();
        let account = account_key(account);
        let Ok(mut maps) = self.maps.lock() else { return None };
        let a = maps.accounts.live(&account, now);
        let i = maps.ips.live(ip, now);
        match (a, i) {
            (Some(a), Some(i)) if a < PER_ACCOUNT && i < PER_IP => {
                maps.accounts.push(&account, now);
                maps.ips.push(ip, now);
                Some(Attempt { account, ip: ip.to_owned(), at: now })
            }
            (None, _) | (_, None) => {
                tracing::warn!("sign-in throttle is full of live entries; refusing new accounts and addresses");
                None
            }
            _ => None,
        }
    }

    /// The password was right: the attempt no longer counts, and the account's earlier failures
    /// are forgiven (the IP's are not).
    pub fn succeeded(&self, attempt: Attempt) {
        if let Ok(mut maps) = self.maps.lock() {
            maps.accounts.attempts.remove(&attempt.account);
            maps.ips.release(&attempt.ip, attempt.at);
        }
    }

    /// Keys held, for tests and metrics.
    pub fn entries(&self) -> (usize, usize) {
        self.maps.lock().map(|m| (m.accounts.attempts.len(), m.ips.attempts.len())).unwrap_or((0, 0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_attempts_lock_the_account_but_not_others() {
        let t = Throttle::default();
        for _ in 0..5 {
            let _failed = t.begin("a@x.test", "10.0.0.1").expect("allowed");
        }
        assert!(t.begin("a@x.test", "10.0.0.2").is_none());
        assert!(t.begin("b@x.test", "10.0.0.1").is_some());
    }

    #[test]
    fn attempts_count_before_the_check_so_concurrent_guesses_are_capped() {
        let t = Throttle::default();
        for _ in 0..4 {
            let _failed = t.begin("a@x.test", "10.0.0.1").expect("allowed");
        }
        // 40 guesses in flight at once: only one is ever evaluated.
        let admitted: Vec<_> = (0..40).filter_map(|_| t.begin("a@x.test", "10.0.0.1")).collect();
        assert_eq!(admitted.len(), 1);
    }

    #[test]
    fn a_success_gives_its_attempt_back_and_forgives_the_account() {
        let t = Throttle::default();
        for _ in 0..4 {
            let _failed = t.begin("a@x.test", "10.0.0.1").expect("allowed");
        }
        let ok = t.begin("a@x.test", "10.0.0.1").expect("allowed");
        t.succeeded(ok);
        assert!(t.begin("a@x.test", "10.0.0.1").is_some());
    }

    #[test]
    fn twenty_attempts_lock_the_ip() {
        let t = Throttle::default();
        for n in 0..20 {
            let _failed = t.begin(&format!("{n}@x.test"), "10.0.0.9").expect("allowed");
        }
        assert!(t.begin("fresh@x.test", "10.0.0.9").is_none());
    }

    #[test]
    fn account_keys_are_no_longer_than_an_email() {
        let t = Throttle::default();
        let long = "é".repeat(10_000);
        let attempt = t.begin(&long, "10.0.0.1").expect("allowed");
        assert!(attempt.account.len() <= MAX_ACCOUNT_BYTES);
    }

    #[test]
    fn the_maps_are_bounded() {
        let t = Throttle::default();
        for n in 0..MAX_ENTRIES {
            let _a = t.begin(&format!("{n}@x.test"), &format!("ip{}", n / 10));
        }
        assert!(t.entries().0 <= MAX_ENTRIES);
        assert!(t.begin("one-more@x.test", "ip-new").is_none(), "full of live entries: refused, not grown");
        assert!(t.entries().0 <= MAX_ENTRIES);
    }
}
