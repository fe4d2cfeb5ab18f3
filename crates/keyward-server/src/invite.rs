//! Inviting someone (I1), shared by `POST /v1/userInvitations` and the console: a fresh 256-bit
//! acceptance secret per invitation (or per renewal), of which storage keeps only the SHA-256, and
//! its delivery. With mail configured the link goes only to the invitee; without, the console
//! shows it once to the inviter, and the API (which never shows it) leaves it to a renewal from the
//! console.

use axum::http::HeaderMap;
use keyward_core::actor::ActorContext;
use keyward_core::error::StoreError;
use keyward_core::ids::{InvitationId, TeamId};
use keyward_core::invitation::{Invitation, NewInvitation};
use keyward_core::ports::{InvitationStore, TeamStore};
use keyward_token::session::SessionToken;

use crate::AppState;
use crate::views::BaseUrl;

/// What became of the link.
#[derive(Debug)]
pub enum Delivery {
    /// Mailed to the invitee.
    Mailed,
    /// Mail is configured but the server refused it; the invitation stays valid and can be renewed.
    MailFailed(String),
    /// No mail configured: the link, to be shown once to the inviter and never again.
    Link(String),
}

fn secret() -> Result<SessionToken, StoreError> {
    SessionToken::generate().map_err(|e| StoreError::Backend(format!("no randomness for an invitation secret: {e}")))
}

pub async fn create(
    state: &AppState,
    headers: &HeaderMap,
    team: TeamId,
    new: NewInvitation,
    actor: &ActorContext,
) -> Result<(Invitation, Delivery), StoreError> {
    let secret = secret()?;
    let invitation = state.store.create_invitation(team, new, &secret.hash(), actor).await?;
    let delivery = deliver(state, headers, &invitation, &secret, actor).await;
    Ok((invitation, delivery))
}

/// A new secret for a pending invitation; the previous link stops working.
pub async fn renew(
    state: &AppState,
    headers: &HeaderMap,
    team: TeamId,
    id: InvitationId,
    actor: &ActorContext,
) -> Result<(Invitation, Delivery), StoreError> {
    let secret = secret()?;
    let invitation = state.store.renew_invitation_secret(team, id, &secret.hash(), actor).await?;
    let delivery = deliver(state, headers, &invitation, &secret, actor).await;
    Ok((invitation, delivery))
}

async fn deliver(
    state: &AppState,
    headers: &HeaderMap,
    invitation: &Invitation,
    secret: &SessionToken,
    actor: &ActorContext,
) -> Delivery {
    let base = BaseUrl::from_request(state.public_url.as_deref(), headers, state.https);
    let link = base.url(&format!("/invitations/{}", secret.expose()));
    if !state.mailer.enabled() {
        return Delivery::Link(link);
    }
    let team = state.store.team_by_id(invitation.team_id).await.map(|t| t.name).unwrap_or_default();
    let roles = invitation.roles.iter().map(keyward_core::role::Role::title).collect::<Vec<_>>().join(", ");
    let expires = crate::views::human_date(invitation.expires_at);
    let mail = crate::mail::invitation(&invitation.email, &team, &actor.label, &roles, &link, &expires);
    match state.mailer.send(mail).await {
        Ok(()) => Delivery::Mailed,
        Err(e) => Delivery::MailFailed(e.to_string()),
    }
}
