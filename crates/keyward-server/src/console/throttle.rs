//! Sign-in throttling, in any 15 minutes: at most 5 password checks for one account from one client
//! address, 50 for one account from everywhere, and 20 from one client address (IPv6 counted by
//! /64, what one subscriber usually holds).
//!
//! An attempt is counted *before* its password is checked ([`Throttle::begin`]) and given back
//! only when it succeeds, so concurrent guesses cannot all be evaluated while the first ones are
//! still hashing: the sixth concurrent guess from one address is refused without a check.
//!
//! Counting per account *and* address means a stranger's failures do not lock the owner out from
//! their own address; only a guesser with ten or more addresses reaches the account-wide limit.
//!
//! Memory is bounded: expired attempts are dropped as entries are touched and whenever a map is
//! full; each map holds at most [`MAX_ENTRIES`] keys, and account keys are cut to the longest email
//! address (254 bytes). A map full of live entries sheds an arbitrary tenth of them rather than
//! refusing everyone: flooding it to erase one entry costs tens of thousands of attempts from
//! thousands of addresses.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

const WINDOW: Duration = Duration::from_secs(15 * 60);
const PER_ACCOUNT_AND_IP: usize = 5;
const PER_ACCOUNT: usize = 50;
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

    /// Live attempts of `key`; makes room first when the key is new and the map is full.
    fn live(&mut self, key: &str, now: Instant) -> usize {
        if let Some(queue) = self.attempts.get_mut(key) {
            Self::prune(queue, now);
            return queue.len();
        }
        if self.attempts.len() >= MAX_ENTRIES {
            self.attempts.retain(|_, q| {
                Self::prune(q, now);
                !q.is_empty()
            });
            if self.attempts.len() >= MAX_ENTRIES {
                tracing::warn!("the sign-in throttle is full of live entries; shedding a tenth of them");
                let shed: Vec<String> = self.attempts.keys().take(MAX_ENTRIES / 10).cloned().collect();
                for k in shed {
                    self.attempts.remove(&k);
                }
            }
        }
        0
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
    /// `account` and `account|address`.
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

/// The address as counted: IPv4 as is, IPv6 by its /64.
fn address_key(ip: &str) -> String {
    match ip.parse::<IpAddr>() {
        Ok(IpAddr::V6(v6)) if v6.to_ipv4_mapped().is_none() => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        Ok(IpAddr::V6(v6)) => v6.to_ipv4_mapped().map(|v4| v4.to_string()).unwrap_or_default(),
        _ => ip.to_owned(),
    }
}

impl Throttle {
    /// Counts an attempt for this account and address, or refuses it when any limit is reached.
    pub fn begin(&self, account: &str, ip: &str) -> Option<Attempt> {
        let now = Instant::now();
        let account = account_key(account);
        let ip = address_key(ip);
        let pair = format!("{account}|{ip}");
        let Ok(mut maps) = self.maps.lock() else { return None };
        let allowed = maps.accounts.live(&pair, now) < PER_ACCOUNT_AND_IP
            && maps.accounts.live(&account, now) < PER_ACCOUNT
            && maps.ips.live(&ip, now) < PER_IP;
        if !allowed {
            return None;
        }
        maps.accounts.push(&pair, now);
        maps.accounts.push(&account, now);
        maps.ips.push(&ip, now);
        Some(Attempt { account, ip, at: now })
    }

    /// The password was right: the attempt no longer counts, and the account's earlier failures
    /// are forgiven (the IP's are not).
    pub fn succeeded(&self, attempt: Attempt) {
        if let Ok(mut maps) = self.maps.lock() {
            maps.accounts.attempts.remove(&format!("{}|{}", attempt.account, attempt.ip));
            maps.accounts.release(&attempt.account, attempt.at);
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
    fn five_attempts_lock_the_account_from_that_address_only() {
        let t = Throttle::default();
        for _ in 0..5 {
            let _failed = t.begin("a@x.test", "10.0.0.1").expect("allowed");
        }
        assert!(t.begin("a@x.test", "10.0.0.1").is_none());
        assert!(t.begin("a@x.test", "10.0.0.2").is_some(), "the owner, elsewhere, is not locked out");
        assert!(t.begin("b@x.test", "10.0.0.1").is_some());
    }

    #[test]
    fn fifty_attempts_lock_the_account_everywhere() {
        let t = Throttle::default();
        for n in 0..50 {
            let _failed = t.begin("a@x.test", &format!("10.0.{n}.1")).expect("allowed");
        }
        assert!(t.begin("a@x.test", "10.9.9.9").is_none());
    }

    #[test]
    fn ipv6_addresses_count_by_their_64() {
        let t = Throttle::default();
        for n in 0..20 {
            let _failed = t.begin(&format!("{n}@x.test"), &format!("2001:db8:1:2::{n:x}")).expect("allowed");
        }
        assert!(t.begin("fresh@x.test", "2001:db8:1:2:ffff::1").is_none(), "same /64");
        assert!(t.begin("fresh@x.test", "2001:db8:1:3::1").is_some(), "another /64");
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
    fn the_maps_are_bounded_and_a_full_map_sheds_rather_than_refuses() {
        let t = Throttle::default();
        for n in 0..MAX_ENTRIES {
            let _a = t.begin(&format!("{n}@x.test"), &format!("10.{}.{}.{}", n >> 16, (n >> 8) & 255, n & 255));
        }
        let (accounts, ips) = t.entries();
        assert!(accounts <= MAX_ENTRIES && ips <= MAX_ENTRIES);
        assert!(t.begin("one-more@x.test", "192.0.2.1").is_some(), "full: shed, not refused");
        let (accounts, ips) = t.entries();
        assert!(accounts <= MAX_ENTRIES && ips <= MAX_ENTRIES);
    }
}
