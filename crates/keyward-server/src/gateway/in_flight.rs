//! #24, gateway gaps: an optional cap on each key's requests in flight to the upstream. One key
//! that opens hundreds of slow requests would otherwise hold every connection the upstream has;
//! beyond the cap the gateway answers 429 in Apple's shape at once, without asking the upstream.
//!
//! A request holds its slot until its response body has been sent or dropped (a download in
//! progress is a request in flight), and only on the node that serves it: the cap is per node.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use keyward_core::ids::KeyId;

/// Each key's requests in flight on this node, against the cap.
#[derive(Debug)]
pub struct InFlight {
    max: usize,
    counts: Mutex<HashMap<KeyId, usize>>,
}

/// One request's place; given back when dropped.
#[derive(Debug)]
pub(crate) struct Slot {
    of: Arc<InFlight>,
    key: KeyId,
}

impl InFlight {
    pub fn new(max: usize) -> Arc<InFlight> {
        Arc::new(InFlight { max, counts: Mutex::new(HashMap::new()) })
    }

    /// A slot for `key`, or `None` when it has `max` requests in flight already.
    pub(crate) fn take(self: &Arc<Self>, key: &KeyId) -> Option<Slot> {
        let mut counts = self.counts.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let n = counts.entry(key.clone()).or_insert(0);
        if *n >= self.max {
            return None;
        }
        *n += 1;
        Some(Slot { of: self.clone(), key: key.clone() })
    }

    /// Requests `key` has in flight (for tests and metrics).
    pub fn of(&self, key: &KeyId) -> usize {
        self.counts.lock().map(|c| c.get(key).copied().unwrap_or(0)).unwrap_or(0)
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut counts = self.of.counts.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(n) = counts.get_mut(&self.key) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                counts.remove(&self.key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_holds_at_most_max_slots_and_gets_them_back_when_dropped() {
        let cap = InFlight::new(2);
        let (a, b) = (KeyId::parse("AAAAAAAAAA").expect("id"), KeyId::parse("BBBBBBBBBB").expect("id"));
        let first = cap.take(&a).expect("first");
        let second = cap.take(&a).expect("second");
        assert!(cap.take(&a).is_none(), "a third is refused");
        assert!(cap.take(&b).is_some(), "another key has its own");
        drop(first);
        assert_eq!(cap.of(&a), 1);
        assert!(cap.take(&a).is_some(), "a finished request frees its slot");
        drop(second);
        assert_eq!(cap.of(&a), 0);
        assert!(cap.counts.lock().expect("lock").is_empty(), "a key with nothing in flight leaves no entry behind");
    }
}
