//! Written behind, never on the request path: authentication failures (T14) and last use (K16).
//! Requests only push into bounded in-memory buffers; a background task flushes them.

use std::collections::HashMap;
use std::sync::Mutex;

use keyward_core::auth::AuthFailureRecord;
use keyward_core::error::StoreError;
use keyward_core::ids::KeyId;
use keyward_core::key::truncate_to_minute;
use keyward_core::ports::{AuthStore, KeyStore};
use keyward_store::Store;
use time::OffsetDateTime;

/// Most failures buffered between flushes; beyond it (a flood of forged tokens) they are dropped.
const MAX_BUFFERED_FAILURES: usize = 10_000;

/// An hour (Unix seconds / 3600), a gateway route area, and the requests a key made there.
type AreaHour = (i64, String, u64);

#[derive(Debug, Default)]
pub struct Recorder {
    failures: Mutex<Vec<AuthFailureRecord>>,
    /// Last minute each key was used, and whether it is not yet written.
    last_used: Mutex<HashMap<KeyId, (i64, bool)>>,
    /// Requests per key and hour not yet written (the console's chart).
    /// Per key a short list of (hour, requests): counting allocates nothing once a key is in.
    usage: Mutex<HashMap<KeyId, Vec<(i64, u64)>>>,
    /// Requests per key, gateway route area and hour not yet written (the key details page). Per
    /// key a short list of (hour, area, requests): counting allocates nothing once a key is in.
    area_usage: Mutex<HashMap<KeyId, Vec<AreaHour>>>,
}

impl Recorder {
    pub fn failure(&self, record: AuthFailureRecord) {
        if let Ok(mut f) = self.failures.lock()
            && f.len() < MAX_BUFFERED_FAILURES
        {
            f.push(record);
        }
    }

    /// K16: remembers the minute; at most one write per key and minute follows.
    pub fn used(&self, key: &KeyId, now: i64) {
        self.add_uses(key, now.div_euclid(3600), 1);
        let minute = now - now.rem_euclid(60);
        if let Ok(mut map) = self.last_used.lock() {
            match map.get_mut(key) {
                Some((m, _)) if *m >= minute => {}
                Some(entry) => *entry = (minute, true),
                None => {
                    map.insert(key.clone(), (minute, true));
                }
            }
        }
    }

    /// A request through the gateway, in a route's `area` (spec section 10).
    pub fn used_in_area(&self, key: &KeyId, area: &str, now: i64) {
        self.add_area_uses(key, area, now.div_euclid(3600), 1);
    }

    fn add_uses(&self, key: &KeyId, hour: i64, requests: u64) {
        let Ok(mut usage) = self.usage.lock() else { return };
        match usage.get_mut(key) {
            Some(counts) => match counts.iter_mut().find(|(h, _)| *h == hour) {
                Some((_, n)) => *n += requests,
                None => counts.push((hour, requests)),
            },
            None => {
                usage.insert(key.clone(), vec![(hour, requests)]);
            }
        }
    }

    fn add_area_uses(&self, key: &KeyId, area: &str, hour: i64, requests: u64) {
        let Ok(mut usage) = self.area_usage.lock() else { return };
        match usage.get_mut(key) {
            Some(counts) => match counts.iter_mut().find(|(h, a, _)| *h == hour && a == area) {
                Some((_, _, n)) => *n += requests,
                None => counts.push((hour, area.to_owned(), requests)),
            },
            None => {
                usage.insert(key.clone(), vec![(hour, area.to_owned(), requests)]);
            }
        }
    }

    /// Writes what is buffered. Failures to write are logged by the caller and retried next time.
    pub async fn flush(&self, store: &Store) -> Result<(), StoreError> {
        let failures = self.failures.lock().map(|mut f| std::mem::take(&mut *f)).unwrap_or_default();
        store.record_auth_failures(&failures).await?;
        let uses: Vec<(KeyId, OffsetDateTime)> = match self.last_used.lock() {
            Ok(mut map) => map
                .iter_mut()
                .filter(|(_, (_, dirty))| *dirty)
                .filter_map(|(k, (minute, dirty))| {
                    *dirty = false;
                    OffsetDateTime::from_unix_timestamp(*minute).ok().map(|t| (k.clone(), truncate_to_minute(t)))
                })
                .collect(),
            Err(_) => Vec::new(),
        };
        store.record_last_used(&uses).await?;
        let usage: Vec<(KeyId, i64, u64)> = self
            .usage
            .lock()
            .map(|mut u| {
                u.drain().flat_map(|(k, counts)| counts.into_iter().map(move |(h, n)| (k.clone(), h, n))).collect()
            })
            .unwrap_or_default();
        if let Err(e) = store.record_usage(&usage).await {
            // Counted again next time rather than lost.
            for (k, h, n) in usage {
                self.add_uses(&k, h, n);
            }
            return Err(e);
        }
        let areas: Vec<(KeyId, String, i64, u64)> = self
            .area_usage
            .lock()
            .map(|mut u| {
                u.drain()
                    .flat_map(|(k, counts)| counts.into_iter().map(move |(h, a, n)| (k.clone(), a, h, n)))
                    .collect()
            })
            .unwrap_or_default();
        if let Err(e) = store.record_area_usage(&areas).await {
            for (k, a, h, n) in areas {
                self.add_area_uses(&k, &a, h, n);
            }
            return Err(e);
        }
        Ok(())
    }
}
