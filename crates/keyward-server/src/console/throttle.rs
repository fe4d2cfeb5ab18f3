//! Sign-in throttling: after 5 failed attempts within 15 minutes for an account, or 20 from one IP,
//! sign-in is refused until the oldest failure leaves the window.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

const WINDOW: Duration = Duration::from_secs(15 * 60);
const PER_ACCOUNT: usize = 5;
const PER_IP: usize = 20;

#[derive(Debug, Default)]
pub struct Throttle {
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl Throttle {
    fn count(map: &mut HashMap<String, VecDeque<Instant>>, key: &str, now: Instant) -> usize {
        let entry = map.entry(key.to_owned()).or_default();
        while entry.front().is_some_and(|t| now.duration_since(*t) > WINDOW) {
            entry.pop_front();
        }
        entry.len()
    }

    /// Whether another attempt is allowed for this account and IP.
    pub fn allowed(&self, account: &str, ip: &str) -> bool {
        let now = Instant::now();
        let Ok(mut map) = self.failures.lock() else { return false };
        Self::count(&mut map, &format!("account:{account}"), now) < PER_ACCOUNT
            && Self::count(&mut map, &format!("ip:{ip}"), now) < PER_IP
    }

    pub fn failed(&self, account: &str, ip: &str) {
        let now = Instant::now();
        if let Ok(mut map) = self.failures.lock() {
            map.entry(format!("account:{account}")).or_default().push_back(now);
            map.entry(format!("ip:{ip}")).or_default().push_back(now);
        }
    }

    pub fn succeeded(&self, account: &str) {
        if let Ok(mut map) = self.failures.lock() {
            map.remove(&format!("account:{account}"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_failures_lock_the_account_but_not_others() {
        let t = Throttle::default();
        for _ in 0..5 {
            assert!(t.allowed("a@x.test", "10.0.0.1"));
            t.failed("a@x.test", "10.0.0.1");
        }
        assert!(!t.allowed("a@x.test", "10.0.0.2"));
        assert!(t.allowed("b@x.test", "10.0.0.1"));
    }
}
