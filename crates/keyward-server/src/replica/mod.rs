//! This node's replica of the data: the verifier's tables (keys, teams, members) and the read model
//! (every app and member, [`Catalog`]), loaded at start and kept true by the change feed (K11,
//! M1), so authentication and `/v1` reads never wait on the database. [`tail`] reads the feed in
//! the background; [`Replica::apply_written`] after this node's own writes.

pub(crate) mod tail;

use std::collections::{BTreeSet, HashSet};
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};

use keyward_core::access::AccessState;
use keyward_core::auth::{AuthKeyRecord, AuthTeamRecord};
use keyward_core::catalog::Catalog;
use keyward_core::change::Change;
use keyward_core::error::StoreError;
use keyward_core::ids::{AppId, MemberId, TeamId};
use keyward_core::member::Member;
use keyward_core::ports::{AuthStore, ChangeFeed, ResourceStore};
use keyward_core::resource_index::ResourceIndex;
use keyward_core::settings::Settings;
use keyward_store::Store;
use keyward_token::verify::{AuthTable, KeyEnd, KeyEntry, MemberEntry, TeamEntry, Verifier, VerifierConfig};

/// This node's copy of who may authenticate and of what reads serve, shared by all its requests.
#[derive(Debug)]
pub struct Replica {
    /// T1–T15 against the key tables, with the verified-token cache.
    pub verifier: Verifier,
    /// The read model: every app and member, served to `GET /v1/apps…` and `GET /v1/users/{id}`
    /// from memory and exactly as fresh as the verifier's tables, since one feed keeps both (#13).
    catalog: std::sync::RwLock<Catalog>,
    /// Apple's wider API (spec R2): every resource, by team and type, with reverse links.
    resources: std::sync::RwLock<ResourceIndex>,
    /// The change-feed position the tables reflect.
    position: AtomicI64,
    /// M3: when the feed was last read successfully (`now_ms`).
    feed_read_at: AtomicI64,
    /// Whether the last feed read failed (to log the outage once, not every poll).
    feed_failing: AtomicBool,
    /// Serializes catch-ups so changes are applied in feed order.
    sync_lock: tokio::sync::Mutex<()>,
    /// Entries were dropped without the feed ([`Replica::apply_written`]): the next successful read
    /// reloads the whole snapshot first, so nothing dropped stays dropped.
    reload_pending: AtomicBool,
}

/// Milliseconds on a monotonic clock (a wall clock stepping back must not make the feed look fresh).
fn now_ms() -> i64 {
    static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    i64::try_from(START.get_or_init(std::time::Instant::now).elapsed().as_millis()).unwrap_or(i64::MAX)
}

/// The longest one catch-up may take: a database that stops answering mid-read (a black-holed
/// network) must not hold the sync lock, and with it every later catch-up, for minutes.
const SYNC_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

fn key_entry(r: AuthKeyRecord) -> Option<KeyEntry> {
    match KeyEntry::new(r.key_id.clone(), r.team_id, r.kind, r.roles, r.member_id, &r.public_key) {
        Ok(e) => Some(e.ending(KeyEnd::of(r.expires_at, r.revoke_at)).managing_keys(r.key_manager)),
        Err(e) => {
            tracing::error!(key = %r.key_id, error = %e, "stored public key does not parse; the key cannot authenticate");
            None
        }
    }
}

fn team_entry(r: &AuthTeamRecord) -> TeamEntry {
    TeamEntry {
        issuer_id: r.issuer_id,
        approved: r.access == AccessState::Approved,
        rate_limit_per_hour: r.rate_limit_per_hour,
    }
}

fn member_entry(m: &Member) -> MemberEntry {
    MemberEntry {
        team_id: m.team_id,
        roles: m.roles,
        all_apps_visible: m.all_apps_visible,
        visible_apps: m.visible_apps.iter().copied().collect::<HashSet<_>>(),
    }
}

impl Replica {
    /// Loads every active key, team, member and app from storage.
    pub async fn load(store: &Store, settings: &Settings) -> Result<Replica, StoreError> {
        let config = VerifierConfig {
            audience: settings.token_audience.clone(),
            clock_skew_seconds: i64::from(settings.clock_skew_seconds),
            ..VerifierConfig::default()
        };
        let replica = Replica {
            verifier: Verifier::new(config),
            catalog: std::sync::RwLock::new(Catalog::default()),
            resources: std::sync::RwLock::new(ResourceIndex::default()),
            position: AtomicI64::new(0),
            feed_read_at: AtomicI64::new(now_ms()),
            feed_failing: AtomicBool::new(false),
            sync_lock: tokio::sync::Mutex::new(()),
            reload_pending: AtomicBool::new(false),
        };
        replica.reload_locked(store).await?;
        Ok(replica)
    }

    /// Replaces the tables with a fresh snapshot (test mode's reset), in turn with the feed's
    /// readers: a change applied meanwhile could otherwise land in the tables being replaced.
    pub async fn reload(&self, store: &Store) -> Result<(), StoreError> {
        let _guard = self.sync_lock.lock().await;
        self.reload_locked(store).await
    }

    async fn reload_locked(&self, store: &Store) -> Result<(), StoreError> {
        let snapshot = store.auth_snapshot().await?;
        // A page at a time: the raw rows of one page, never of all, are held while parsing.
        let mut all_resources = Vec::new();
        loop {
            let after = all_resources.last().map(|r: &keyward_core::resource::Resource| (r.kind.clone(), r.id.clone()));
            let page = store.resources_after(after, 2000).await?;
            let done = page.len() < 2000;
            all_resources.extend(page);
            if done {
                break;
            }
        }
        let mut table = AuthTable::default();
        for t in &snapshot.teams {
            table.teams.insert(t.team_id, team_entry(t));
        }
        for k in snapshot.keys {
            if let Some(e) = key_entry(k) {
                table.keys.insert(e.key_id.clone(), e.into());
            }
        }
        let mut catalog = Catalog::default();
        for m in snapshot.members {
            table.members.insert(m.id, member_entry(&m).into());
            catalog.put_member(m);
        }
        for app in snapshot.apps {
            catalog.put_app(app);
        }
        self.verifier.replace_all(table);
        let mut resources = ResourceIndex::default();
        for r in all_resources {
            resources.put(r);
        }
        // The old copies are freed after the locks are released, not while readers wait.
        let old = std::mem::replace(&mut *self.catalog_mut(), catalog);
        drop(old);
        let old = std::mem::replace(&mut *self.resources_mut(), resources);
        drop(old);
        self.position.store(snapshot.feed_position, Ordering::SeqCst);
        self.feed_read_at.store(now_ms(), Ordering::SeqCst);
        Ok(())
    }

    /// K11: applies every change committed since the last sync. Called by the feed tailer, and by
    /// request handlers right after their own writes, so a revocation takes effect on this node
    /// before the revoking call returns.
    pub async fn sync(&self, store: &Store) -> Result<usize, StoreError> {
        let _guard = self.sync_lock.lock().await;
        let started = now_ms();
        let result = tokio::time::timeout(SYNC_WAIT, self.sync_locked(store))
            .await
            .unwrap_or_else(|_| Err(StoreError::Backend("reading the change feed timed out".into())));
        match &result {
            Ok(_) => {
                // Fresh as of when this read began: changes committed since are in the next one.
                self.feed_read_at.fetch_max(started, Ordering::SeqCst);
                if self.feed_failing.swap(false, Ordering::SeqCst) {
                    tracing::info!(position = self.position(), "the change feed is readable again; caught up");
                }
            }
            Err(e) => {
                if let StoreError::Unavailable(_) = e {
                    store.suspect();
                }
                if !self.feed_failing.swap(true, Ordering::SeqCst) {
                    tracing::warn!(error = %e, "cannot read the change feed; retrying (tokens are refused once it is too stale)");
                }
            }
        }
        result
    }

    async fn sync_locked(&self, store: &Store) -> Result<usize, StoreError> {
        // Cleared only once the reload has finished: a reload cut short (by an error, or by
        // `SYNC_WAIT` dropping this future) is tried again at the next read.
        if self.reload_pending.load(Ordering::SeqCst) {
            self.reload_locked(store).await?;
            self.reload_pending.store(false, Ordering::SeqCst);
        }
        let mut applied = 0;
        loop {
            let after = self.position.load(Ordering::SeqCst);
            let entries = store.changes_since(after).await?;
            if entries.is_empty() {
                return Ok(applied);
            }
            // Keys and teams one by one; members and apps, which a seed or a script can change by
            // the thousand, re-read with one query each per batch.
            let mut members = BTreeSet::new();
            let mut apps = BTreeSet::new();
            let mut resources = BTreeSet::new();
            for entry in &entries {
                match &entry.change {
                    Change::Member { member_id, .. } => {
                        members.insert(*member_id);
                    }
                    Change::App { team_id, app_id } => {
                        apps.insert((*team_id, *app_id));
                    }
                    Change::Resource { resource_type, id, .. } => {
                        resources.insert((resource_type.clone(), id.clone()));
                    }
                    other => self.apply(store, other).await?,
                }
            }
            self.apply_members(store, &members.into_iter().collect::<Vec<_>>()).await?;
            self.apply_apps(store, &apps.into_iter().collect::<Vec<_>>()).await?;
            self.apply_resources(store, &resources.into_iter().collect::<Vec<_>>()).await?;
            applied += entries.len();
            if let Some(last) = entries.last() {
                self.position.store(last.seq, Ordering::SeqCst);
            }
        }
    }

    /// After a committed write that changes who may authenticate (revocation, member removal or
    /// change, API access, a download) or what the read model serves (an app): this node's tables
    /// take it before the caller answers, as spec section 4 requires, and the caller's next read
    /// sees its own write. Normally by reading the feed now. If the feed cannot be read, what the
    /// write changed is dropped from the verifier's tables here, refused until the feed is read
    /// again (failing closed), the read model keeps what it had, and the next successful read
    /// reloads everything. Never an error: the write has committed, and reporting it as failed
    /// would invite repeating it.
    pub async fn apply_written(&self, store: &Store, changes: &[Change]) {
        let Err(e) = self.sync(store).await else { return };
        let _guard = self.sync_lock.lock().await;
        for change in changes {
            match change {
                Change::KeyDownloaded { key_id, .. } | Change::KeyRevoked { key_id, .. } => {
                    self.verifier.remove_key(key_id);
                }
                Change::TeamAccess { team_id } => self.verifier.set_team(*team_id, None),
                Change::Member { member_id, .. } => self.verifier.set_member(*member_id, None),
                // Reads keep what they had until the reload: stale for a moment rather than absent.
                Change::App { .. } | Change::Resource { .. } => {}
            }
        }
        self.reload_pending.store(true, Ordering::SeqCst);
        tracing::warn!(
            error = %e,
            changes = changes.len(),
            "the change feed could not be read after a write; what the write changed is refused here until it is"
        );
    }

    /// M3: milliseconds since the feed was last read successfully.
    pub fn feed_age_ms(&self) -> i64 {
        now_ms() - self.feed_read_at.load(Ordering::SeqCst)
    }

    /// Re-reads the changed object, so applying a change twice is harmless.
    async fn apply(&self, store: &Store, change: &Change) -> Result<(), StoreError> {
        match change {
            Change::KeyDownloaded { key_id, .. } | Change::KeyRevoked { key_id, .. } => {
                match store.auth_key(key_id).await? {
                    Some(record) => {
                        if let Some(e) = key_entry(record) {
                            self.verifier.upsert_key(e);
                        }
                    }
                    None => self.verifier.remove_key(key_id),
                }
            }
            Change::TeamAccess { team_id } => {
                let team = store.auth_team(*team_id).await?;
                self.verifier.set_team(*team_id, team.as_ref().map(team_entry));
            }
            Change::Member { member_id, .. } => self.apply_members(store, &[*member_id]).await?,
            Change::App { team_id, app_id } => self.apply_apps(store, &[(*team_id, *app_id)]).await?,
            Change::Resource { resource_type, id, .. } => {
                self.apply_resources(store, &[(resource_type.clone(), id.clone())]).await?;
            }
        }
        Ok(())
    }

    /// Re-reads these members: present ones replace their entries, missing ones are removed.
    async fn apply_members(&self, store: &Store, ids: &[MemberId]) -> Result<(), StoreError> {
        let found = store.auth_members(ids).await?;
        let mut gone: HashSet<MemberId> = ids.iter().copied().collect();
        for m in &found {
            gone.remove(&m.id);
            self.verifier.set_member(m.id, Some(member_entry(m)));
        }
        for id in &gone {
            self.verifier.set_member(*id, None);
        }
        let mut catalog = self.catalog_mut();
        for m in found {
            catalog.put_member(m);
        }
        for id in gone {
            catalog.remove_member(id);
        }
        Ok(())
    }

    /// Re-reads these apps: present ones replace their entries, missing ones are removed.
    async fn apply_apps(&self, store: &Store, ids: &[(TeamId, AppId)]) -> Result<(), StoreError> {
        let found = store.auth_apps(&ids.iter().map(|(_, a)| *a).collect::<Vec<_>>()).await?;
        let present: HashSet<AppId> = found.iter().map(|a| a.id).collect();
        let mut catalog = self.catalog_mut();
        for (team, id) in ids.iter().filter(|(_, id)| !present.contains(id)) {
            catalog.remove_app(*team, *id);
        }
        for app in found {
            catalog.put_app(app);
        }
        Ok(())
    }

    /// Re-reads these resources: present ones replace their entries, missing ones are removed.
    async fn apply_resources(&self, store: &Store, keys: &[(String, String)]) -> Result<(), StoreError> {
        if keys.is_empty() {
            return Ok(());
        }
        let found = store.resources(keys).await?;
        let present: HashSet<(String, String)> = found.iter().map(|r| (r.kind.clone(), r.id.clone())).collect();
        let mut index = self.resources_mut();
        for (kind, id) in keys.iter().filter(|k| !present.contains(*k)) {
            index.remove(kind, id);
        }
        for r in found {
            index.put(r);
        }
        Ok(())
    }

    /// Apple's wider API's resources, to read; held only while copying out what a request needs.
    pub fn resources(&self) -> std::sync::RwLockReadGuard<'_, ResourceIndex> {
        self.resources.read().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn resources_mut(&self) -> std::sync::RwLockWriteGuard<'_, ResourceIndex> {
        self.resources.write().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The read model, to read. Held only while copying out what a request needs (the items are
    /// `Arc`s), never across an `await`.
    pub fn catalog(&self) -> std::sync::RwLockReadGuard<'_, Catalog> {
        self.catalog.read().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn catalog_mut(&self) -> std::sync::RwLockWriteGuard<'_, Catalog> {
        self.catalog.write().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub fn position(&self) -> i64 {
        self.position.load(Ordering::SeqCst)
    }
}
