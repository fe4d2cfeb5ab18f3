//! Domain errors: every way a request can be refused because it breaks a rule.
//!
//! Policy: a [`DomainError`] is always the caller's doing (bad input, missing permission, a rule
//! of `spec.md`), so the edges map it to a 4xx response or CLI exit code 1 and show its message
//! verbatim. Faults of the machinery are [`StoreError::Backend`] (a bug, a corrupt row) or
//! [`StoreError::Unavailable`] (the database cannot be reached: a 503, retried by clients) and are
//! never shown in detail to a client.

use thiserror::Error;

use crate::role::{Role, UnknownRole};

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DomainError {
    #[error("'{value}' is not a valid {kind}")]
    InvalidId { kind: &'static str, value: String },
    #[error(transparent)]
    UnknownRole(#[from] UnknownRole),
    #[error("{0}")]
    InvalidInput(String),
    #[error("{what} '{id}' was not found")]
    NotFound { what: Resource, id: String },
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    NotAllowed(String),

    // K1–K2
    #[error("only the team's Account Holder can request API access")]
    NotAccountHolder,
    #[error("API access for this team is {0}; {1}")]
    AccessState(&'static str, &'static str),
    #[error("API access for this team has not been approved, so no API key can be generated")]
    AccessNotApproved,

    // K3–K6
    #[error("a key name must be 1 to 64 visible characters")]
    InvalidKeyName,
    #[error("a team key needs at least one role")]
    NoRoles,
    #[error("a team key cannot have the role {0}")]
    RoleNotForTeamKeys(Role),
    #[error("only the Account Holder or an Admin can generate team keys")]
    CannotGenerateTeamKey,
    #[error("the team already has {max} active team keys, the maximum; revoke one before generating another")]
    TeamKeyLimit { max: u32 },
    #[error("this member does not have the Generate Individual API Keys permission")]
    NoIndividualKeyPermission,
    #[error(
        "an individual key needs one of the roles Account Holder, Admin, App Manager, Customer Support, Developer or Marketing"
    )]
    NoIndividualKeyRole,
    #[error("this member already has an active individual key; revoke it before generating another")]
    IndividualKeyExists,
    /// K8: the randomly drawn Key ID is in use; the caller draws another.
    #[error("the Key ID {0} is taken; draw another")]
    KeyIdTaken(String),

    // K9–K12
    #[error("the private key of {0} was already downloaded; it can be downloaded only once")]
    AlreadyDownloaded(String),
    #[error("key {0} is revoked")]
    KeyRevoked(String),
    #[error("only the person who generated a team key can download it")]
    NotKeyCreator,
    #[error("only the member an individual key belongs to can download it")]
    NotKeyOwner,
    #[error("only the Account Holder, an Admin or the key's own member can revoke this key")]
    CannotRevoke,

    // X2–X4
    #[error(
        "key {0} was made from an uploaded public key: Keyward never had its private key, so there is nothing to download"
    )]
    NoDownload(String),
    #[error("key {0} has expired")]
    KeyExpired(String),
    /// X2: the uploaded public key cannot sign ES256 tokens, or is not a public key at all.
    #[error("the public key is refused: {0}")]
    PublicKeyRefused(String),
    /// X2: one key pair, one key, for ever: a revoked key's pair must not come back under a new ID.
    #[error("this public key belongs to another key, now or in the past; make a new key pair for each key")]
    PublicKeyInUse,
    #[error("an expiry must be in the future")]
    ExpiryNotInFuture,
    /// X3: the team's policy caps new keys' lifetime.
    #[error("this team caps new keys' lifetime at {days} days: choose an expiry no later than {latest}")]
    LifetimeOverCap { days: u32, latest: String },
    /// X4: a key is rotated once; its successor is the one to rotate next.
    #[error("key {0} is already being rotated out; rotate its successor instead")]
    AlreadyRotating(String),
    /// X4: one hand-over at a time per chain of successors.
    #[error("this key's predecessor {key} works until {until}; rotate again after that, or revoke {key} first")]
    PredecessorInGrace { key: String, until: String },
    /// X1: what may hold `KEY_MANAGER`: an active team key with the ADMIN role.
    #[error("only an active team key with the ADMIN role can hold the KEY_MANAGER capability")]
    NotForKeyManager,
    /// X1: the calling key no longer holds `KEY_MANAGER` (withdrawn, revoked or expired meanwhile).
    #[error("this key does not hold the KEY_MANAGER capability")]
    NotKeyManager,
    /// X1: capabilities are a person's decision, so that no key can widen what keys may do.
    #[error("only the Account Holder or an Admin can grant or withdraw a key's capabilities")]
    CannotGrantCapability,

    /// X5: where one team's key activity (members' emails included) may be sent is bounded.
    #[error("the team already has {max} key webhooks, the maximum; remove one before adding another")]
    KeyWebhookLimit { max: u32 },

    // Resources of Apple's wider API (spec section 12)
    /// A resource of `kind` the team does not have (404, naming the type).
    #[error("there is no resource of type '{kind}' with id '{id}'")]
    NoSuchResource { kind: String, id: String },
    /// A write would break a rule across resources (spec section 13: one bundle ID per
    /// identifier, a cap per certificate type): 409, about the body at `pointer`.
    #[error("{detail}")]
    Refused { pointer: String, detail: String, capped: bool },
    /// A body links to a resource the team does not have (409, a relationship error).
    #[error("there is no resource of type '{kind}' with id '{id}' to relate to")]
    UnknownLink { kind: String, id: String },

    // Members
    #[error("nobody can grant the ACCOUNT_HOLDER role")]
    CannotGrantAccountHolder,
    #[error("the Account Holder cannot be removed or demoted")]
    AccountHolderImmutable,
}

/// What a [`DomainError::NotFound`] did not find. Matched by edges (a missing app in a body is a
/// relationship error, not a 404), so it is a type, never a string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    App,
    Team,
    Member,
    Key,
    Invitation,
    AccountHolder,
}

impl Resource {
    /// Its JSON:API resource type, as a 404's detail names it.
    pub fn json_api_type(self) -> &'static str {
        match self {
            Resource::App => "apps",
            Resource::Member => "users",
            Resource::Invitation => "userInvitations",
            other => other.name(),
        }
    }

    /// How messages name it.
    pub fn name(self) -> &'static str {
        match self {
            Resource::App => "app",
            Resource::Team => "team",
            Resource::Member => "member",
            Resource::Key => "key",
            Resource::Invitation => "userInvitations",
            Resource::AccountHolder => "Account Holder of team",
        }
    }
}

impl std::fmt::Display for Resource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// What a storage call can fail with.
#[derive(Debug, Error)]
pub enum StoreError {
    /// The request broke a rule; nothing was written.
    #[error(transparent)]
    Rule(#[from] DomainError),
    /// The database failed (corrupt, a bug in a query). Nothing was written.
    #[error("storage failure: {0}")]
    Backend(String),
    /// The database cannot be reached (D4): refused at once while it is known away, or lost
    /// mid-call. Nothing was written, unless the connection broke during a commit.
    #[error("database unreachable: {0}")]
    Unavailable(String),
}

impl StoreError {
    pub fn rule(&self) -> Option<&DomainError> {
        match self {
            StoreError::Rule(e) => Some(e),
            StoreError::Backend(_) | StoreError::Unavailable(_) => None,
        }
    }
}

impl From<UnknownRole> for StoreError {
    fn from(e: UnknownRole) -> Self {
        StoreError::Rule(e.into())
    }
}
