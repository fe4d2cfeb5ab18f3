//! The change feed (K11): one row for every write that changes who may authenticate or what the
//! read model serves, appended in the same transaction as the write. Serving processes tail it to
//! keep their in-memory key tables and read model true, whichever process made the change.

use serde::{Deserialize, Serialize};

use crate::ids::{AppId, KeyId, MemberId, TeamId};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Change {
    /// A key was downloaded: its public key now exists and tokens may be verified with it. Also
    /// written when a key's capabilities change (X1): every node re-reads the key either way, and
    /// nodes of earlier releases, which know no other key change, do so too.
    KeyDownloaded { team_id: TeamId, key_id: KeyId },
    /// A key was revoked (K11) or purged (K13).
    KeyRevoked { team_id: TeamId, key_id: KeyId },
    /// The team's API access state changed (K1–K2).
    TeamAccess { team_id: TeamId },
    /// A member joined, their roles, apps or name changed, or they were removed (K14).
    Member { team_id: TeamId, member_id: MemberId },
    /// An app was created or changed: the read model of `GET /v1/apps…` takes it (#13).
    App { team_id: TeamId, app_id: AppId },
    /// A resource of Apple's wider API (spec R2) was created, changed or deleted.
    Resource { team_id: TeamId, resource_type: String, id: String },
}

impl Change {
    pub fn kind(&self) -> &'static str {
        match self {
            Change::KeyDownloaded { .. } => "key_downloaded",
            Change::KeyRevoked { .. } => "key_revoked",
            Change::TeamAccess { .. } => "team_access",
            Change::Member { .. } => "member",
            Change::App { .. } => "app",
            Change::Resource { .. } => "resource",
        }
    }
}

/// A change as read back from the feed, with its position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedEntry {
    pub seq: i64,
    pub change: Change,
}
