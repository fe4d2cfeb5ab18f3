//! Who performs an action: the installation's operator or a member of the team.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::ids::{KeyId, MemberId};
use crate::role::RoleSet;

#[derive(Clone, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Actor {
    /// The operator acting through the `keyward admin` CLI (audited as `operator (cli)`).
    Operator,
    /// A member of the team acting in the console or through the API (with an individual key).
    Member(MemberId),
    /// A team key acting through the API, with its fixed roles.
    TeamKey { key_id: KeyId, roles: RoleSet },
    /// X1: a team key acting through the key API (`/keyward/v1/apiKeys`). Whether it still holds
    /// `KEY_MANAGER`, is still live and its roles are read by storage inside each write's
    /// transaction, never taken from here: a revocation or a withdrawn grant that committed first
    /// wins.
    KeyManager { key_id: KeyId },
}

/// An actor with the context the audit log records (K15).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct ActorContext {
    pub actor: Actor,
    /// Human-readable name, e.g. `operator (cli)` or a member's email.
    pub label: String,
    pub ip: Option<String>,
}

impl ActorContext {
    pub fn operator_cli() -> Self {
        Self { actor: Actor::Operator, label: "operator (cli)".into(), ip: None }
    }
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Actor::Operator => f.write_str("operator"),
            Actor::Member(id) => write!(f, "member {id}"),
            Actor::TeamKey { key_id, .. } => write!(f, "API key {key_id}"),
            Actor::KeyManager { key_id } => write!(f, "key manager {key_id}"),
        }
    }
}
