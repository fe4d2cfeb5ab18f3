//! Token verification: the T-rules of spec section 4 in one function, [`Verifier::verify`].
//!
//! Hot path: hash the token and look it up in the verified-token cache (T15); on a hit only the
//! time checks and the scope check run. On a miss: parse (T2–T3), find the key by `kid` in the
//! in-memory table (T4), verify the ES256 signature with the public key parsed once (T5), check the
//! claims (T6–T13), cache. No storage round trip either way.

mod cache;
mod claims;
mod failure;
mod json;
pub mod scope;
mod table;

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use aws_lc_rs::signature::ParsedPublicKey;
use keyward_core::ids::{IssuerId, KeyId, MemberId, TeamId};
use keyward_core::key::KeyKind;
use keyward_core::role::RoleSet;
use serde_json::Value;

pub use failure::AuthFailure;
pub use scope::{RequestTarget, Scope};
pub use table::{AuthTable, KeyEnd, KeyEntry, MemberEntry, TeamEntry};

use crate::b64;
use cache::{Cached, TokenCache};

/// Longest token accepted (T2).
pub const MAX_TOKEN_BYTES: usize = 8192;
/// T11: the usual maximum lifetime, and the one for scoped long-lived tokens.
pub const MAX_LIFETIME: i64 = 1200;
pub const MAX_LONG_LIFETIME: i64 = 180 * 24 * 3600;

/// Who a valid token speaks for.
#[derive(Debug, Clone)]
pub struct Principal {
    pub key_id: KeyId,
    pub kind: KeyKind,
    pub team_id: TeamId,
    pub issuer_id: IssuerId,
    /// Individual keys: the member, whose current roles and apps apply (K14).
    pub member_id: Option<MemberId>,
    /// Team key: its roles. Individual key: the member's roles when verified (the cache entry is
    /// purged whenever the member changes).
    pub roles: RoleSet,
    /// A4: the apps an individual key sees; `None` means all apps.
    pub visible_apps: Option<Arc<HashSet<keyward_core::ids::AppId>>>,
    pub scope: Option<Arc<Scope>>,
    pub exp: i64,
    pub rate_limit_per_hour: Option<u32>,
    /// X3, X4: the key's end, checked on every request, cache hits included.
    pub key_end: Option<KeyEnd>,
    /// X1: the key holds `KEY_MANAGER` (cached principals are dropped when it changes).
    pub key_manager: bool,
}

/// A refused token: the reason, and the key it named when that key is known (T14).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    pub failure: AuthFailure,
    pub key_id: Option<KeyId>,
}

impl From<AuthFailure> for Rejection {
    fn from(failure: AuthFailure) -> Self {
        Rejection { failure, key_id: None }
    }
}

#[derive(Debug, Clone)]
pub struct VerifierConfig {
    /// T6.
    pub audience: String,
    /// T8–T10, T13.
    pub clock_skew_seconds: i64,
    /// Bounded cache size (T15): entries, and bytes of the scopes they hold.
    pub cache_capacity: usize,
    pub cache_bytes: usize,
}

impl Default for VerifierConfig {
    fn default() -> Self {
        Self {
            audience: "appstoreconnect-v1".into(),
            clock_skew_seconds: 60,
            cache_capacity: 100_000,
            cache_bytes: 64 * 1024 * 1024,
        }
    }
}

/// Whether a verification was answered from the cache (for metrics).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Path {
    CacheHit,
    Verified,
}

/// T15 under concurrency: a verification reads the table, checks the signature, then caches the
/// principal. A revocation (or member, role or access change) that lands between the read and the
/// insert purges the cache *before* the stale principal arrives, so the insert must not happen.
/// Every table change bumps `generation` while it holds the table's write lock, before it purges;
/// a verification notes the generation under the table's read lock and inserts only if it is
/// unchanged, checked under the cache's lock. An insert that wins that check happens before the
/// purge that follows the bump, and is purged by it.
#[derive(Debug)]
pub struct Verifier {
    table: RwLock<AuthTable>,
    generation: AtomicU64,
    cache: TokenCache,
    config: VerifierConfig,
}

/// A key's kind and the roles it acts with now ([`Verifier::key_standing`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standing {
    pub kind: KeyKind,
    pub roles: RoleSet,
}

impl Verifier {
    pub fn new(config: VerifierConfig) -> Self {
        Self {
            table: RwLock::new(AuthTable::default()),
            generation: AtomicU64::new(0),
            cache: TokenCache::new(config.cache_capacity, config.cache_bytes),
            config,
        }
    }

    /// Verifies `token` for a request at `now` (Unix seconds), for the configured audience (T6).
    pub fn verify(
        &self,
        token: &str,
        now: i64,
        target: &RequestTarget<'_>,
    ) -> Result<(Arc<Principal>, Path), Rejection> {
        self.verify_for(&self.config.audience, token, now, target)
    }

    /// [`Verifier::verify`] for another audience: the gateway's routes have their policy's (spec
    /// section 10). The cache is keyed on the audience with the token, so a token accepted for one
    /// audience is never a cache hit for another.
    pub fn verify_for(
        &self,
        audience: &str,
        token: &str,
        now: i64,
        target: &RequestTarget<'_>,
    ) -> Result<(Arc<Principal>, Path), Rejection> {
        if token.is_empty() {
            return Err(AuthFailure::EmptyToken.into());
        }
        if token.len() > MAX_TOKEN_BYTES {
            return Err(AuthFailure::TooLong { bytes: token.len() }.into());
        }
        let h = cache::hash(audience, token);
        if let Some(hit) = self.cache.get(&h) {
            let p = &hit.principal;
            let fail = |failure| Rejection { failure, key_id: Some(p.key_id.clone()) };
            KeyEnd::check(p.key_end, now).map_err(fail)?;
            claims::check_time(p.exp, hit.iat, hit.nbf, now, self.config.clock_skew_seconds).map_err(fail)?;
            claims::check_scope(p.scope.as_deref(), target).map_err(fail)?;
            return Ok((hit.principal, Path::CacheHit));
        }
        self.verify_miss(audience, token, h, now, target, || {})
    }

    /// [`Verifier::verify`] with `between` run after the table was read and before the cache
    /// insert: the window a concurrent revocation can land in. For tests of that race.
    #[doc(hidden)]
    pub fn verify_then(
        &self,
        token: &str,
        now: i64,
        target: &RequestTarget<'_>,
        between: impl FnOnce(),
    ) -> Result<(Arc<Principal>, Path), Rejection> {
        let audience = &self.config.audience;
        self.verify_miss(audience, token, cache::hash(audience, token), now, target, between)
    }

    fn verify_miss(
        &self,
        audience: &str,
        token: &str,
        h: cache::TokenHash,
        now: i64,
        target: &RequestTarget<'_>,
        between: impl FnOnce(),
    ) -> Result<(Arc<Principal>, Path), Rejection> {
        let (principal, iat, nbf, generation) = self.verify_uncached(audience, token, now, target)?;
        between();
        let principal = Arc::new(principal);
        let entry = Cached { principal: principal.clone(), iat, nbf };
        self.cache.insert_if(h, entry, now, || self.generation.load(Ordering::SeqCst) == generation);
        Ok((principal, Path::Verified))
    }

    /// The principal, its `iat` and `nbf`, and the table generation it was read at.
    fn verify_uncached(
        &self,
        audience: &str,
        token: &str,
        now: i64,
        target: &RequestTarget<'_>,
    ) -> Result<(Principal, Option<i64>, Option<i64>, u64), Rejection> {
        let mut parts = token.split('.');
        let (Some(h64), Some(p64), Some(s64), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
            return Err(AuthFailure::NotThreeSegments { segments: token.split('.').count() }.into());
        };
        let header = decode_object(h64, "header")?;
        // T3: alg exactly ES256; kid a string; typ JWT when present; no crit. jku/jwk/x5u/x5c are ignored.
        match header.get("alg") {
            Some(Value::String(alg)) if alg == "ES256" => {}
            Some(other) => return Err(AuthFailure::AlgNotEs256 { alg: value_text(other) }.into()),
            None => return Err(AuthFailure::AlgNotEs256 { alg: "absent".into() }.into()),
        }
        let Some(Value::String(kid)) = header.get("kid") else {
            return Err(AuthFailure::KidNotString.into());
        };
        match header.get("typ") {
            None => {}
            Some(Value::String(t)) if t == "JWT" => {}
            Some(other) => return Err(AuthFailure::TypNotJwt { typ: value_text(other) }.into()),
        }
        if header.contains_key("crit") {
            return Err(AuthFailure::CritPresent.into());
        }
        // T4: the key must be known, active and downloaded; its team approved.
        let (key, team, member, generation) = {
            let table = self.table.read().map_err(|_| Rejection::from(AuthFailure::UnknownKey { kid: kid.clone() }))?;
            let generation = self.generation.load(Ordering::SeqCst);
            let key = KeyId::parse(kid).ok().and_then(|k| table.keys.get(&k).cloned());
            let Some(key) = key else {
                return Err(AuthFailure::UnknownKey { kid: kid.clone() }.into());
            };
            let team = table.teams.get(&key.team_id).cloned();
            let member = key.member_id.and_then(|m| table.members.get(&m).cloned());
            (key, team, member, generation)
        };
        let fail = |failure| Rejection { failure, key_id: Some(key.key_id.clone()) };
        let team = match team {
            Some(t) if t.approved => t,
            _ => return Err(fail(AuthFailure::AccessNotApproved)),
        };
        // T5: 64-byte r||s over the ASCII "header.payload".
        let signature = b64::decode(s64)
            .filter(|_| !s64.contains('='))
            .ok_or_else(|| fail(AuthFailure::BadBase64 { part: "signature" }))?;
        let signing_input = &token[..h64.len() + 1 + p64.len()];
        check_signature(&key.public, signing_input.as_bytes(), &signature).map_err(fail)?;
        // X3, X4: from the second the key ends, on every node, whatever the token says. After the
        // signature, so that only the key's holder learns that, and when, it ended.
        KeyEnd::check(key.end, now).map_err(fail)?;
        let payload = decode_object(p64, "payload").map_err(|r| fail(r.failure))?;
        let checked = claims::check_claims(&payload, &key, &team, now, audience, &self.config, target).map_err(fail)?;
        let (roles, visible_apps) = match key.kind {
            KeyKind::Team => (key.roles, None),
            KeyKind::Individual => match &member {
                Some(m) => (m.roles, (!m.all_apps_visible).then(|| Arc::new(m.visible_apps.clone()))),
                None => return Err(fail(AuthFailure::UnknownKey { kid: kid.clone() })),
            },
        };
        let principal = Principal {
            key_id: key.key_id.clone(),
            kind: key.kind,
            team_id: key.team_id,
            issuer_id: team.issuer_id,
            member_id: key.member_id,
            roles,
            visible_apps,
            scope: checked.scope.map(Arc::new),
            exp: checked.exp,
            rate_limit_per_hour: team.rate_limit_per_hour,
            key_end: key.end,
            key_manager: key.key_manager,
        };
        Ok((principal, checked.iat, checked.nbf, generation))
    }

    /// Called with the table's write lock held, before the purge that follows.
    fn bump(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
    }

    /// Whether the table knows this key (T14: failures are recorded only against known keys).
    pub fn knows_key(&self, key: &KeyId) -> bool {
        self.table.read().map(|t| t.keys.contains_key(key)).unwrap_or(false)
    }

    /// What `key` may do at `now` as far as the key itself goes, or `None` once it would be
    /// refused: revoked, purged or its member removed, ended (X3, X4), or its team's access
    /// withdrawn. An individual key acts with its member's current roles. A connection admitted
    /// once and kept open (a WebSocket through the gateway) asks this while it lasts.
    pub fn key_standing(&self, key: &KeyId, now: i64) -> Option<Standing> {
        let table = self.table.read().ok()?;
        let entry = table.keys.get(key)?;
        if !table.teams.get(&entry.team_id).is_some_and(|t| t.approved) {
            return None;
        }
        KeyEnd::check(entry.end, now).ok()?;
        let roles = match entry.kind {
            KeyKind::Team => entry.roles,
            KeyKind::Individual => table.members.get(&entry.member_id?)?.roles,
        };
        Some(Standing { kind: entry.kind, roles })
    }

    pub fn key_count(&self) -> usize {
        self.table.read().map(|t| t.keys.len()).unwrap_or(0)
    }

    pub fn cached_tokens(&self) -> usize {
        self.cache.len()
    }

    /// Bytes the cached tokens are counted as (entries and their scopes).
    pub fn cached_bytes(&self) -> usize {
        self.cache.bytes()
    }

    /// Replaces every table at once (start-up, or recovery after the feed was missed).
    pub fn replace_all(&self, table: AuthTable) {
        if let Ok(mut t) = self.table.write() {
            *t = table;
            self.bump();
        }
        self.cache.clear();
    }

    /// A key became usable (downloaded) or changed.
    pub fn upsert_key(&self, entry: KeyEntry) {
        let id = entry.key_id.clone();
        if let Ok(mut t) = self.table.write() {
            t.keys.insert(id.clone(), Arc::new(entry));
            self.bump();
        }
        self.cache.purge_key(&id);
    }

    /// K11: a revoked (or purged) key stops working at once, cached tokens included.
    pub fn remove_key(&self, key: &KeyId) {
        if let Ok(mut t) = self.table.write() {
            t.keys.remove(key);
            self.bump();
        }
        self.cache.purge_key(key);
    }

    /// K1/T4: the team's API access or budget changed.
    pub fn set_team(&self, team: TeamId, entry: Option<TeamEntry>) {
        if let Ok(mut t) = self.table.write() {
            match entry {
                Some(e) => t.teams.insert(team, e),
                None => t.teams.remove(&team),
            };
            self.bump();
        }
        self.cache.purge_team(team);
    }

    /// K14: a member's roles or apps changed, or they left (`None`).
    pub fn set_member(&self, member: MemberId, entry: Option<MemberEntry>) {
        let keys: Vec<KeyId> = match self.table.write() {
            Ok(mut t) => {
                match entry {
                    Some(e) => t.members.insert(member, Arc::new(e)),
                    None => t.members.remove(&member),
                };
                self.bump();
                t.keys.values().filter(|k| k.member_id == Some(member)).map(|k| k.key_id.clone()).collect()
            }
            Err(_) => Vec::new(),
        };
        for k in keys {
            self.cache.purge_key(&k);
        }
    }
}

/// T5: ES256 as JWTs use it: exactly 64 bytes `r||s` (IEEE P1363), never DER.
pub fn check_signature(public: &ParsedPublicKey, message: &[u8], signature: &[u8]) -> Result<(), AuthFailure> {
    if signature.len() != 64 {
        let bytes = signature.len();
        let der = signature.first() == Some(&0x30) && (8..=72).contains(&bytes);
        return Err(if der { AuthFailure::DerSignature { bytes } } else { AuthFailure::SignatureLength { bytes } });
    }
    public.verify_sig(message, signature).map_err(|_| AuthFailure::BadSignature)
}

fn decode_object(segment: &str, part: &'static str) -> Result<serde_json::Map<String, Value>, Rejection> {
    if segment.contains('=') {
        return Err(AuthFailure::BadBase64 { part }.into());
    }
    let bytes = b64::decode(segment).ok_or(AuthFailure::BadBase64 { part })?;
    json::parse_object(&bytes).map_err(|e| match e {
        json::ObjectError::NotObject => AuthFailure::NotJsonObject { part }.into(),
        json::ObjectError::Duplicate(name) => AuthFailure::DuplicateMember { part, name }.into(),
    })
}

fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}
