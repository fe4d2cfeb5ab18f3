//! API key rows, written one way by every writer: key generation (console, CLI, API) and seeds
//! insert through [`insert`]. No column can hold a private key (K9).

use keyward_core::error::{DomainError, Resource, StoreError};
use keyward_core::ids::{KeyId, MemberId, TeamId};
use keyward_core::key::{ApiKey, KeyKind};
use keyward_core::role::RoleSet;
use time::OffsetDateTime;

use crate::convert;
use crate::error::{Inserted, backend_error, inserted};
use crate::tx::Tx;

/// A key row about to be written.
pub(crate) struct NewRow<'a> {
    pub id: &'a KeyId,
    pub team: TeamId,
    pub kind: KeyKind,
    /// A team key's name; an individual key's member's name.
    pub name: &'a str,
    /// A team key's roles (K3); empty for individual keys, which act with their member's.
    pub roles: RoleSet,
    pub member: Option<MemberId>,
    /// Who generated it (K10: only they may download a team key), and how the audit log names them.
    pub created_by_member: Option<MemberId>,
    /// X1: the key manager that generated it through the key API.
    pub created_by_key: Option<&'a KeyId>,
    pub created_by_label: &'a str,
    /// The public half, for a key whose pair exists already (a seed's, or one uploaded, X2): it
    /// counts as downloaded. `None` for a generated key, whose pair is made at its single download
    /// (K9).
    pub public_key: Option<&'a [u8]>,
    /// X3.
    pub expires_at: Option<OffsetDateTime>,
    /// X4: the predecessor of a rotation's successor.
    pub replaces: Option<&'a KeyId>,
    /// X2: `public_key` was uploaded by the key's owner (no download, ever).
    pub uploaded: bool,
    /// X1: a rotation's successor keeping its predecessor's `KEY_MANAGER`.
    pub key_manager: bool,
}

/// Inserts the key. [`Inserted::Taken`] when its Key ID is in use (K8) or its member has an active
/// individual key (K6's partial unique index). An uploaded public key that belongs, or belonged, to
/// another key is refused (X2): one pair, one key, so a revocation cannot be undone by re-uploading.
/// (Seeds are the operator's own word and keep what they had: several keys may share a pair.)
pub(crate) async fn insert(tx: &mut Tx, row: NewRow<'_>, at: OffsetDateTime) -> Result<Inserted, StoreError> {
    if let (Some(public), true) = (row.public_key, row.uploaded) {
        let in_use = sqlx::query(
            "SELECT 1 AS one FROM api_keys WHERE public_key = $1 \
             UNION ALL SELECT 1 AS one FROM retired_public_keys WHERE public_key = $1",
        )
        .bind(public.to_vec())
        .fetch_optional(&mut **tx)
        .await
        .map_err(backend_error)?;
        if in_use.is_some() {
            return Err(DomainError::PublicKeyInUse.into());
        }
    }
    let downloaded_at = row.public_key.map(|_| at.unix_timestamp());
    let result = sqlx::query(
        "INSERT INTO api_keys (id, team_id, kind, name, roles, member_id, created_by_member, created_by_label, \
         created_at, public_key, downloaded_at, expires_at, replaces, uploaded, key_manager, created_by_key) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
    )
    .bind(row.id.to_string())
    .bind(row.team.to_string())
    .bind(row.kind.as_str())
    .bind(row.name.to_owned())
    .bind(row.roles.to_list())
    .bind(row.member.map(|m| m.to_string()))
    .bind(row.created_by_member.map(|m| m.to_string()))
    .bind(row.created_by_label.to_owned())
    .bind(at.unix_timestamp())
    .bind(row.public_key.map(<[u8]>::to_vec))
    .bind(downloaded_at)
    .bind(row.expires_at.map(OffsetDateTime::unix_timestamp))
    .bind(row.replaces.map(ToString::to_string))
    .bind(row.uploaded)
    .bind(row.key_manager)
    .bind(row.created_by_key.map(ToString::to_string))
    .execute(&mut **tx)
    .await;
    inserted(result)
}

/// A key of `team` by ID, read in the caller's transaction; another team's is `NotFound`.
pub(crate) async fn key_in_tx(tx: &mut Tx, team: TeamId, id: &KeyId) -> Result<ApiKey, StoreError> {
    let row = sqlx::query(select_key!("WHERE id = $1 AND team_id = $2"))
        .bind(id.to_string())
        .bind(team.to_string())
        .fetch_optional(&mut **tx)
        .await
        .map_err(backend_error)?
        .ok_or_else(|| DomainError::NotFound { what: Resource::Key, id: id.to_string() })?;
    convert::key(&row)
}
