//! Storage traits (ports). `keyward-store` implements them for SQLite and PostgreSQL; the server
//! and the CLI see only these.
//!
//! Rule-bearing writes take the acting [`ActorContext`] and run the rules of this crate inside the
//! storage transaction, so a check and the write it guards cannot be separated by a concurrent
//! request. Each such write also appends its audit event (K15) and, where it changes who may
//! authenticate, its change-feed row (K11), in the same transaction.

use std::future::Future;

use time::OffsetDateTime;

use crate::access::AccessState;
use crate::actor::ActorContext;
use crate::app::{App, NewApp};
use crate::audit::AuditEvent;
use crate::auth::{AuthFailureRecord, AuthKeyRecord, AuthSnapshot, AuthTeamRecord};
use crate::change::{Change, FeedEntry};
use crate::error::StoreError;
use crate::ids::{AppId, InvitationId, IssuerId, KeyId, MemberId, PersonId, TeamId};
use crate::invitation::{Invitation, NewInvitation};
use crate::key::ApiKey;
use crate::member::Member;
use crate::paging::{AppFilter, AppSort, InvitationFilter, InvitationSort, MemberFilter, Page, PageRequest, UserSort};
use crate::resource::{Resource, ResourceUpdate, WriteRules};
use crate::role::RoleSet;
use crate::secret::PasswordHash;
use crate::team::Team;

/// How the CLI and operators name a team: its Issuer ID or its exact name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TeamRef {
    Issuer(IssuerId),
    Name(String),
}

impl TeamRef {
    pub fn parse(s: &str) -> TeamRef {
        match s.parse::<IssuerId>() {
            Ok(id) => TeamRef::Issuer(id),
            Err(_) => TeamRef::Name(s.to_owned()),
        }
    }
}

impl std::fmt::Display for TeamRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TeamRef::Issuer(id) => write!(f, "{id}"),
            TeamRef::Name(n) => f.write_str(n),
        }
    }
}

#[derive(Debug, Clone)]
pub struct NewPerson {
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub password_hash: Option<PasswordHash>,
}

#[derive(Debug, Clone)]
pub struct NewTeam {
    pub name: String,
    pub account_holder: NewPerson,
    /// `admin init`: the Account Holder is also the installation's operator.
    pub holder_is_operator: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamCreated {
    pub team: Team,
    pub person_id: PersonId,
    pub member_id: MemberId,
}

#[derive(Debug, Clone)]
pub struct NewMember {
    pub person: NewPerson,
    pub roles: RoleSet,
    /// K6: grant *Generate Individual API Keys* (the default when joining).
    pub individual_keys: bool,
    pub all_apps_visible: bool,
    pub visible_apps: Vec<AppId>,
    pub provisioning_allowed: bool,
}

/// What kind of key to generate. The Key ID is chosen by the caller (random, K8); storage refuses a
/// duplicate and the caller draws again.
#[derive(Debug, Clone)]
pub enum NewKey {
    Team { name: String, roles: RoleSet },
    Individual { member_id: MemberId },
}

/// What a new key is made with besides its kind (X2, X3). The default is Keyward's: a key pair made
/// at the single download, and the team's cap (if any) as expiry.
#[derive(Debug, Clone, Default)]
pub struct KeyTerms {
    /// X2: the owner's P-256 public key (SubjectPublicKeyInfo DER, checked by
    /// `keyward_token::uploaded`): the key works at once and has no download.
    pub public_key: Option<Vec<u8>>,
    /// X3: the requested expiry; settled against the team's cap by storage, in the transaction.
    pub expires_at: Option<OffsetDateTime>,
    /// X1: `public_key` is the half of a pair Keyward made for this request, whose private half
    /// goes to the caller in the answer: the key is stored downloaded (K9: the pair is made at the
    /// single download, here the creation itself), in the creating transaction, so a failure
    /// cannot leave a key nobody can download. Not an upload (X2): nothing refuses it as reused.
    pub handed_over: bool,
}

/// X4: a rotation's outcome.
#[derive(Debug, Clone)]
pub struct Rotated {
    /// The predecessor, revoked (grace 0) or with its `revoke_at` set.
    pub predecessor: ApiKey,
    pub successor: ApiKey,
}

pub trait TeamStore: Send + Sync {
    /// True before the first `admin init`: no team and no operator exist.
    fn is_empty(&self) -> impl Future<Output = Result<bool, StoreError>> + Send;
    fn create_team(
        &self,
        team: NewTeam,
        actor: &ActorContext,
    ) -> impl Future<Output = Result<TeamCreated, StoreError>> + Send;
    fn teams(&self) -> impl Future<Output = Result<Vec<Team>, StoreError>> + Send;
    fn team_by_id(&self, team: TeamId) -> impl Future<Output = Result<Team, StoreError>> + Send;
    fn team(&self, team: &TeamRef) -> impl Future<Output = Result<Team, StoreError>> + Send;
    /// K1: the actor must be the team's Account Holder.
    fn request_access(
        &self,
        team: TeamId,
        actor: &ActorContext,
        auto_approve: bool,
    ) -> impl Future<Output = Result<AccessState, StoreError>> + Send;
    /// X3: the team's cap on new keys' lifetime in days (`None`: no cap).
    fn set_key_lifetime_cap(
        &self,
        team: TeamId,
        days: Option<u32>,
        actor: &ActorContext,
    ) -> impl Future<Output = Result<Team, StoreError>> + Send;
    /// L1: the team's hourly budget per key (`None`: the installation's default). As operator.
    fn set_rate_limit(
        &self,
        team: TeamId,
        per_hour: Option<u32>,
        actor: &ActorContext,
    ) -> impl Future<Output = Result<Team, StoreError>> + Send;
    /// K2: as an operator.
    fn review_access(
        &self,
        team: TeamId,
        approve: bool,
        actor: &ActorContext,
    ) -> impl Future<Output = Result<AccessState, StoreError>> + Send;
}

pub trait MemberStore: Send + Sync {
    fn add_member(
        &self,
        team: TeamId,
        member: NewMember,
        actor: &ActorContext,
    ) -> impl Future<Output = Result<Member, StoreError>> + Send;
    fn member_by_email(&self, team: TeamId, email: &str) -> impl Future<Output = Result<Member, StoreError>> + Send;
    fn account_holder(&self, team: TeamId) -> impl Future<Output = Result<Member, StoreError>> + Send;
    fn members(&self, team: TeamId) -> impl Future<Output = Result<Vec<Member>, StoreError>> + Send;
    /// `GET /v1/users`: one keyset page.
    fn list_members(
        &self,
        team: TeamId,
        filter: &MemberFilter,
        page: &PageRequest<UserSort>,
    ) -> impl Future<Output = Result<Page<Member>, StoreError>> + Send;
    /// One member of the team; another team's member is `NotFound`.
    fn member(&self, team: TeamId, member: MemberId) -> impl Future<Output = Result<Member, StoreError>> + Send;
    /// `PATCH /v1/users/{id}` and the `visibleApps` relationship: one transaction (K14: from the
    /// next request on, the member's individual key acts with the result).
    fn update_member(
        &self,
        team: TeamId,
        member: MemberId,
        update: MemberUpdate,
        actor: &ActorContext,
    ) -> impl Future<Output = Result<Member, StoreError>> + Send;
    /// K7, K14: never revokes; the member's individual key acts with the new roles from the next request.
    fn set_member_roles(
        &self,
        team: TeamId,
        member: MemberId,
        roles: RoleSet,
        actor: &ActorContext,
    ) -> impl Future<Output = Result<Member, StoreError>> + Send;
    /// K14: revokes the member's individual key in the same transaction.
    fn remove_member(
        &self,
        team: TeamId,
        member: MemberId,
        actor: &ActorContext,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}

pub trait AppStore: Send + Sync {
    fn create_app(
        &self,
        team: TeamId,
        app: NewApp,
        actor: &ActorContext,
    ) -> impl Future<Output = Result<App, StoreError>> + Send;
    fn apps(&self, team: TeamId) -> impl Future<Output = Result<Vec<App>, StoreError>> + Send;
    /// `GET /v1/apps`: one keyset page.
    fn list_apps(
        &self,
        team: TeamId,
        filter: &AppFilter,
        page: &PageRequest<AppSort>,
    ) -> impl Future<Output = Result<Page<App>, StoreError>> + Send;
    /// `PATCH /v1/apps/{id}`.
    fn update_app(
        &self,
        team: TeamId,
        app: AppId,
        update: AppUpdate,
        actor: &ActorContext,
    ) -> impl Future<Output = Result<App, StoreError>> + Send;
    /// One app of the team; another team's app is `NotFound`.
    fn app(&self, team: TeamId, app: AppId) -> impl Future<Output = Result<App, StoreError>> + Send;
}

pub trait KeyStore: Send + Sync {
    /// K1, K3, K5, K6: generates the record only; no key pair exists yet (K9).
    fn generate_key(
        &self,
        team: TeamId,
        key_id: KeyId,
        key: NewKey,
        max_active_team_keys: u32,
        actor: &ActorContext,
    ) -> impl Future<Output = Result<ApiKey, StoreError>> + Send {
        self.generate_key_with(team, key_id, key, KeyTerms::default(), max_active_team_keys, actor)
    }
    /// [`KeyStore::generate_key`] with an uploaded public key (X2) or an expiry (X3).
    fn generate_key_with(
        &self,
        team: TeamId,
        key_id: KeyId,
        key: NewKey,
        terms: KeyTerms,
        max_active_team_keys: u32,
        actor: &ActorContext,
    ) -> impl Future<Output = Result<ApiKey, StoreError>> + Send;
    /// X4: a successor for `predecessor` (same name, roles, kind and member), made with `terms`
    /// under `successor_id`; the predecessor revoked after `grace` (at once for zero). One
    /// transaction: both or neither.
    #[allow(clippy::too_many_arguments)]
    fn rotate_key(
        &self,
        team: TeamId,
        predecessor: &KeyId,
        successor_id: KeyId,
        grace: time::Duration,
        terms: KeyTerms,
        max_active_team_keys: u32,
        actor: &ActorContext,
    ) -> impl Future<Output = Result<Rotated, StoreError>> + Send;
    /// X4: records the revocation of every key whose grace period ended by `now`, once across nodes;
    /// returns them.
    fn revoke_rotated_out(&self, now: OffsetDateTime) -> impl Future<Output = Result<Vec<ApiKey>, StoreError>> + Send;
    /// K9, K10: stores the public half and marks the key downloaded in one conditional update.
    /// Exactly one of several concurrent calls succeeds; the others get `AlreadyDownloaded`.
    fn record_download(
        &self,
        team: TeamId,
        key_id: &KeyId,
        public_key_spki_der: &[u8],
        actor: &ActorContext,
    ) -> impl Future<Output = Result<ApiKey, StoreError>> + Send;
    /// A key by ID across the installation (the operator's `key show` and, later, the verifier).
    fn key(&self, key_id: &KeyId) -> impl Future<Output = Result<ApiKey, StoreError>> + Send;
    /// The stored public key (SubjectPublicKeyInfo DER) of a downloaded, active key.
    fn public_key(&self, key_id: &KeyId) -> impl Future<Output = Result<Option<Vec<u8>>, StoreError>> + Send;
    /// K13: active keys, then revoked keys still within retention.
    fn keys(
        &self,
        team: TeamId,
        now: OffsetDateTime,
        retention_days: u32,
    ) -> impl Future<Output = Result<Vec<ApiKey>, StoreError>> + Send;
    /// K11, K12: all or nothing, one transaction. A key of another team is `NotFound`.
    fn revoke_keys(
        &self,
        team: TeamId,
        keys: &[KeyId],
        actor: &ActorContext,
    ) -> impl Future<Output = Result<Vec<ApiKey>, StoreError>> + Send;
    /// K16: records uses, written behind in batches; each time is kept to the minute.
    fn record_last_used(&self, uses: &[(KeyId, OffsetDateTime)])
    -> impl Future<Output = Result<(), StoreError>> + Send;
    /// K13: deletes keys revoked (or, X3, expired) at or before `cutoff`; returns how many. Their
    /// public keys are kept (X2: a pair never comes back under a new ID).
    fn purge_revoked(&self, cutoff: OffsetDateTime) -> impl Future<Output = Result<u64, StoreError>> + Send;
    /// X1: grants or withdraws a capability; only people do (see [`crate::capability`]).
    /// Idempotent. Changes who may call the key API, so it is on the change feed.
    fn set_key_capability(
        &self,
        team: TeamId,
        key_id: &KeyId,
        capability: crate::capability::Capability,
        grant: bool,
        actor: &ActorContext,
    ) -> impl Future<Output = Result<ApiKey, StoreError>> + Send;
}

/// What `PATCH /v1/users/{id}` may change; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemberUpdate {
    pub roles: Option<RoleSet>,
    /// How `roles` are meant (K6b): as the REST API lists them, or as held (console, CLI).
    pub roles_as: crate::member::RolesAs,
    pub all_apps_visible: Option<bool>,
    pub provisioning_allowed: Option<bool>,
    pub visible_apps: Option<VisibleAppsChange>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VisibleAppsChange {
    Replace(Vec<AppId>),
    Add(Vec<AppId>),
    Remove(Vec<AppId>),
}

/// What `PATCH /v1/apps/{id}` may change (Apple's `AppUpdateRequest` attributes).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AppUpdate {
    pub primary_locale: Option<String>,
    pub bundle_id: Option<String>,
    pub subscription_status_url: Option<Option<String>>,
    pub subscription_status_url_version: Option<Option<String>>,
    pub subscription_status_url_for_sandbox: Option<Option<String>>,
    pub subscription_status_url_version_for_sandbox: Option<Option<String>>,
    pub content_rights_declaration: Option<Option<String>>,
    pub streamlined_purchasing_enabled: Option<bool>,
}

/// How an invitee accepts (I2). Accepting never sets or changes the password of a person who
/// already exists: they accept while signed in as themselves; only a new person brings one.
#[derive(Debug, Clone)]
pub enum Acceptance {
    /// Nobody has this email yet: the person is created with the password they chose.
    NewPerson(NewPerson),
    /// The signed-in person, whose email must be the invitation's.
    SignedIn(PersonId),
}

pub trait InvitationStore: Send + Sync {
    /// `secret_hash` is the SHA-256 of the acceptance secret (I1), which only the invitee receives.
    fn create_invitation(
        &self,
        team: TeamId,
        invitation: NewInvitation,
        secret_hash: &str,
        actor: &ActorContext,
    ) -> impl Future<Output = Result<Invitation, StoreError>> + Send;
    /// Replaces a pending invitation's acceptance secret (re-sending it); the old link stops working.
    fn renew_invitation_secret(
        &self,
        team: TeamId,
        id: InvitationId,
        secret_hash: &str,
        actor: &ActorContext,
    ) -> impl Future<Output = Result<Invitation, StoreError>> + Send;
    /// Pending (unexpired) invitations only.
    fn invitation(&self, team: TeamId, id: InvitationId)
    -> impl Future<Output = Result<Invitation, StoreError>> + Send;
    fn list_invitations(
        &self,
        team: TeamId,
        filter: &InvitationFilter,
        page: &PageRequest<InvitationSort>,
    ) -> impl Future<Output = Result<Page<Invitation>, StoreError>> + Send;
    /// The pending invitation whose acceptance secret hashes to `secret_hash` (the invitee's link).
    fn invitation_by_secret(&self, secret_hash: &str) -> impl Future<Output = Result<Invitation, StoreError>> + Send;
    fn delete_invitation(
        &self,
        team: TeamId,
        id: InvitationId,
        actor: &ActorContext,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Turns the invitation into a member and deletes it, once: a second use of the secret finds
    /// nothing.
    fn accept_invitation(
        &self,
        secret_hash: &str,
        acceptance: Acceptance,
    ) -> impl Future<Output = Result<Member, StoreError>> + Send;
}

/// M2: a slice of a key's rolling-hour budget, leased by one node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BudgetLease {
    /// `None` when nothing was granted.
    pub id: Option<i64>,
    /// Requests this node may accept with it, for `valid_for` seconds (by the database's clock).
    pub granted: u64,
    pub valid_for: i64,
    /// What is left of the budget for everyone once this slice is taken (as of the lease).
    pub remaining_after: u64,
    /// When nothing was granted: seconds until the budget frees up (L3).
    pub retry_after: u64,
}

/// M2: one budget per key across the nodes of an installation.
pub trait BudgetStore: Send + Sync {
    /// Whether budgets are shared through the database (several nodes can serve it); otherwise
    /// each process counts them in memory.
    fn shares_budgets(&self) -> bool;
    /// Settles `previous` (lease ID and its final use count) and leases a new slice of `key`'s
    /// budget `limit` (`crate::rate_limit::lease_slice` of what is left and `wanted`), in one
    /// transaction serialized per key. Time is the database's, so the nodes' clocks do not matter.
    fn lease_budget(
        &self,
        key: &KeyId,
        node: &str,
        limit: u64,
        previous: Option<(i64, u64)>,
        wanted: u64,
    ) -> impl Future<Output = Result<BudgetLease, StoreError>> + Send;
    /// Reports uses of leases (ID, uses so far, whether the lease is finished), written behind.
    fn report_budget_use(&self, uses: &[(i64, u64, bool)]) -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// What applying a seed did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SeedOutcome {
    /// Rows created or changed; 0 when the database already matched the file.
    pub changes: u64,
}

pub trait SeedStore: Send + Sync {
    /// Applies a validated seed in one transaction: creates what is missing, brings what exists
    /// in line, leaves what matches untouched (so applying twice changes nothing). `public_keys`
    /// holds the SubjectPublicKeyInfo DER of every seeded key by Key ID. With `wipe`, everything
    /// is deleted first, in the same transaction.
    fn apply_seed(
        &self,
        seed: &crate::seed::SeedFile,
        public_keys: &std::collections::HashMap<String, Vec<u8>>,
        wipe: bool,
    ) -> impl Future<Output = Result<SeedOutcome, StoreError>> + Send;
}

/// A signed-in person (console).
#[derive(Clone, PartialEq, Eq)]
pub struct SessionRecord {
    pub person: crate::team::Person,
    /// The session's CSRF token, echoed by every state-changing form.
    pub csrf: String,
}

/// The CSRF token stays out of logs.
impl std::fmt::Debug for SessionRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionRecord").field("person", &self.person).finish_non_exhaustive()
    }
}

pub trait SessionStore: Send + Sync {
    /// The person with this email and their password hash (none for people without a password).
    fn login_identity(
        &self,
        email: &str,
    ) -> impl Future<Output = Result<Option<(crate::team::Person, Option<PasswordHash>)>, StoreError>> + Send;
    fn create_session(
        &self,
        person: PersonId,
        token_hash: &str,
        csrf: &str,
        expires_at: OffsetDateTime,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// The session of this token hash, if it exists and has not expired.
    fn session(
        &self,
        token_hash: &str,
        now: OffsetDateTime,
    ) -> impl Future<Output = Result<Option<SessionRecord>, StoreError>> + Send;
    fn delete_session(&self, token_hash: &str) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// A one-time link for a person without a password to set one (an Account Holder created by
    /// an operator). Replaces any earlier link.
    fn set_activation(
        &self,
        person: PersonId,
        token_hash: &str,
        expires_at: OffsetDateTime,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// The person an unexpired activation link belongs to.
    fn activation(
        &self,
        token_hash: &str,
        now: OffsetDateTime,
    ) -> impl Future<Output = Result<Option<crate::team::Person>, StoreError>> + Send;
    /// Uses the link: sets names and password and ends the link; `None` when it was not valid.
    fn activate(
        &self,
        token_hash: &str,
        first_name: &str,
        last_name: &str,
        password: PasswordHash,
        now: OffsetDateTime,
    ) -> impl Future<Output = Result<Option<PersonId>, StoreError>> + Send;
    /// The teams a person belongs to, with their membership.
    fn memberships(&self, person: PersonId) -> impl Future<Output = Result<Vec<(Team, Member)>, StoreError>> + Send;
}

pub trait AuditStore: Send + Sync {
    fn audit(&self, team: TeamId) -> impl Future<Output = Result<Vec<AuditEvent>, StoreError>> + Send;
}

pub trait ChangeFeed: Send + Sync {
    /// Entries with a sequence number greater than `after`, oldest first.
    fn changes_since(&self, after: i64) -> impl Future<Output = Result<Vec<FeedEntry>, StoreError>> + Send;
    fn last_change(&self) -> impl Future<Output = Result<i64, StoreError>> + Send;
}

/// What the verifier reads (its tables) and writes behind (T14 failures, K16 last use).
pub trait AuthStore: Send + Sync {
    fn auth_snapshot(&self) -> impl Future<Output = Result<AuthSnapshot, StoreError>> + Send;
    /// The key, when it is active and downloaded.
    fn auth_key(&self, key: &KeyId) -> impl Future<Output = Result<Option<AuthKeyRecord>, StoreError>> + Send;
    fn auth_team(&self, team: TeamId) -> impl Future<Output = Result<Option<AuthTeamRecord>, StoreError>> + Send;
    /// These members, whichever their team, as the read model holds them; those that no longer
    /// exist are absent. One batch of the change feed is re-read with one call.
    fn auth_members(&self, ids: &[MemberId]) -> impl Future<Output = Result<Vec<Member>, StoreError>> + Send;
    /// These apps, whichever their team, as the read model holds them; missing ones are absent.
    fn auth_apps(&self, ids: &[AppId]) -> impl Future<Output = Result<Vec<App>, StoreError>> + Send;
    /// T14: appends failures, keeping the last [`crate::auth::FAILURES_KEPT_PER_KEY`] per key.
    fn record_auth_failures(
        &self,
        failures: &[AuthFailureRecord],
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Adds requests per key and Unix hour (seconds / 3600); keeps two days.
    fn record_usage(&self, usage: &[(KeyId, i64, u64)]) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Requests per hour of a key from `since_hour` on, oldest first.
    fn usage(&self, key: &KeyId, since_hour: i64) -> impl Future<Output = Result<Vec<(i64, u64)>, StoreError>> + Send;
    /// Adds requests per key, gateway route area and Unix hour; keeps two days.
    fn record_area_usage(
        &self,
        usage: &[(KeyId, String, i64, u64)],
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Requests of a key per gateway route area from `since_hour` on, by area name.
    fn area_usage(
        &self,
        key: &KeyId,
        since_hour: i64,
    ) -> impl Future<Output = Result<Vec<(String, u64)>, StoreError>> + Send;
    /// T14: the most recent failures of a key, newest first.
    fn auth_failures(&self, key: &KeyId) -> impl Future<Output = Result<Vec<AuthFailureRecord>, StoreError>> + Send;
}

/// The resources of Apple's wider API (spec R2): one writer, every write serialized per team and
/// appended to the change feed in its transaction; reads fill each node's replica.
/// The installation's code-signing CA (spec F1).
pub trait SigningStore: Send + Sync {
    /// The CA's certificate and key PEM: the stored one, or `offer` stored first if there is
    /// none yet (the first node to start makes it; the others read it).
    fn signing_ca(&self, offer: (String, String)) -> impl Future<Output = Result<(String, String), StoreError>> + Send;
}

pub trait ResourceStore: Send + Sync {
    /// Creates `resource` (its ID made by the caller). Every link must name a resource of the
    /// team (or one of its apps): otherwise `DomainError::UnknownLink` naming it, and nothing is
    /// written. The app it belongs to (A4) is decided from its links, whatever `resource.app` says.
    /// `rules`' guards are checked against the team's resources of the same type in the same
    /// transaction (`DomainError::Refused`); answers the resource and the changes of the writes
    /// `rules` carry along.
    fn create_resource(
        &self,
        resource: Resource,
        rules: WriteRules,
    ) -> impl Future<Output = Result<(Resource, Vec<Change>), StoreError>> + Send;
    /// Changes one resource of `team`; `NotFound` when the team has no such resource. Answers the
    /// resource and the changes `rules`' cascades made to others.
    fn update_resource(
        &self,
        team: TeamId,
        kind: &str,
        id: &str,
        update: ResourceUpdate,
        rules: WriteRules,
    ) -> impl Future<Output = Result<(Resource, Vec<Change>), StoreError>> + Send;
    /// Deletes one resource of `team`; `NotFound` when there is none. Answers the changes
    /// `rules`' cascades made to others.
    fn delete_resource(
        &self,
        team: TeamId,
        kind: &str,
        id: &str,
        rules: WriteRules,
    ) -> impl Future<Output = Result<Vec<Change>, StoreError>> + Send;
    /// Every resource, for a node's replica at start.
    fn all_resources(&self) -> impl Future<Output = Result<Vec<Resource>, StoreError>> + Send;
    /// At most `limit` resources after (type, ID) `after`, in that order: a replica loads them a
    /// page at a time, so loading never holds every raw row at once.
    fn resources_after(
        &self,
        after: Option<(String, String)>,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<Resource>, StoreError>> + Send;
    /// These resources, those that exist.
    fn resources(&self, keys: &[(String, String)]) -> impl Future<Output = Result<Vec<Resource>, StoreError>> + Send;
}
