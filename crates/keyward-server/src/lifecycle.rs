//! Key operations shared by the console and the CLI: generation with a fresh Key ID (with an
//! uploaded public key or an expiry, X2–X3), rotation (X4), and the single download that makes the
//! key pair (K9).

use keyward_core::actor::ActorContext;
use keyward_core::change::Change;
use keyward_core::error::{DomainError, StoreError};
use keyward_core::ids::{KeyId, TeamId};
use keyward_core::key::ApiKey;
use keyward_core::ports::{KeyStore, KeyTerms, NewKey, Rotated};
use keyward_token::PrivateKeyPem;
use keyward_token::key_id::generate_key_id;
use keyward_token::keypair;

/// X2: an uploaded public key (PEM) as the key store takes it, canonical SubjectPublicKeyInfo DER;
/// refused with the reason. One reading for the console's forms and the CLI.
pub fn uploaded_public_key(pem: &str) -> Result<Vec<u8>, DomainError> {
    keyward_token::uploaded::p256_public_key_from_pem(pem)
        .map(|key| key.spki_der().to_vec())
        .map_err(|e| DomainError::PublicKeyRefused(e.to_string()))
}

/// K8: draws Key IDs until storage accepts one (a clash is astronomically rare, but possible).
pub async fn generate_key<S: KeyStore>(
    store: &S,
    team: TeamId,
    key: NewKey,
    max_active_team_keys: u32,
    actor: &ActorContext,
) -> Result<ApiKey, StoreError> {
    generate_key_with(store, team, key, KeyTerms::default(), max_active_team_keys, actor).await
}

/// [`generate_key`] with an uploaded public key (X2) or an expiry (X3).
pub async fn generate_key_with<S: KeyStore>(
    store: &S,
    team: TeamId,
    key: NewKey,
    terms: KeyTerms,
    max_active_team_keys: u32,
    actor: &ActorContext,
) -> Result<ApiKey, StoreError> {
    with_fresh_key_id(|id| store.generate_key_with(team, id, key.clone(), terms.clone(), max_active_team_keys, actor))
        .await
}

/// X4: rotates `predecessor` to a successor with a fresh Key ID (see [`KeyStore::rotate_key`]).
/// The caller applies the change to its own verifier (`AppState::written`) when it serves.
#[allow(clippy::too_many_arguments)]
pub async fn rotate_key<S: KeyStore>(
    store: &S,
    team: TeamId,
    predecessor: &KeyId,
    grace: time::Duration,
    terms: KeyTerms,
    max_active_team_keys: u32,
    actor: &ActorContext,
) -> Result<Rotated, StoreError> {
    with_fresh_key_id(|id| store.rotate_key(team, predecessor, id, grace, terms.clone(), max_active_team_keys, actor))
        .await
}

/// K8: runs `attempt` with fresh Key IDs until one is not taken.
async fn with_fresh_key_id<T, F, Fut>(mut attempt: F) -> Result<T, StoreError>
where
    F: FnMut(KeyId) -> Fut,
    Fut: Future<Output = Result<T, StoreError>>,
{
    for _ in 0..5 {
        let id = generate_key_id().map_err(|e| StoreError::Backend(e.to_string()))?;
        match attempt(id).await {
            Err(StoreError::Rule(DomainError::KeyIdTaken(_))) => continue,
            other => return other,
        }
    }
    Err(StoreError::Backend("could not draw an unused Key ID".into()))
}

/// K9: makes the key pair, stores its public half in the conditional update that marks the key
/// downloaded, and hands back the private half, which exists nowhere else. If another download
/// won the race, this key pair is dropped (and zeroized) unused.
pub async fn download_key<S: KeyStore>(
    store: &S,
    team: TeamId,
    key_id: &KeyId,
    actor: &ActorContext,
) -> Result<(ApiKey, PrivateKeyPem), StoreError> {
    let pair = keypair::generate().map_err(|e| StoreError::Backend(e.to_string()))?;
    let key = store.record_download(team, key_id, pair.public.spki_der(), actor).await?;
    Ok((key, pair.private))
}

/// K11, K12: revokes keys in one transaction, then applies the change to this process's verifier
/// before returning, so the next request with any of these keys fails here.
pub async fn revoke_keys(
    state: &crate::AppState,
    team: TeamId,
    keys: &[KeyId],
    actor: &ActorContext,
) -> Result<Vec<ApiKey>, StoreError> {
    let revoked = state.store.revoke_keys(team, keys, actor).await?;
    let changes: Vec<Change> =
        revoked.iter().map(|k| Change::KeyRevoked { team_id: team, key_id: k.id.clone() }).collect();
    state.written(&changes).await;
    Ok(revoked)
}

/// K14: removes a member (revoking their individual key) and applies it here before returning.
pub async fn remove_member(
    state: &crate::AppState,
    team: TeamId,
    member: keyward_core::ids::MemberId,
    actor: &ActorContext,
) -> Result<(), StoreError> {
    keyward_core::ports::MemberStore::remove_member(&state.store, team, member, actor).await?;
    state.written(&[Change::Member { team_id: team, member_id: member }]).await;
    Ok(())
}
