//! X5: the deliveries of a key event to each of the team's key webhooks that takes it, written in
//! the transaction of the change they report (the outbox of F5): an event is never lost to a
//! crash, nor sent for a change that rolled back.

use keyward_core::change::Change;
use keyward_core::error::StoreError;
use keyward_core::ids::TeamId;
use keyward_core::key::ApiKey;
use keyward_core::{key_event, webhook};
use time::OffsetDateTime;

use crate::resource_rows;
use crate::tx::{self, Tx};

/// Writes the deliveries of `event` about `key`, done by `actor` (the audit log's name).
pub(crate) async fn emit(
    tx: &mut Tx,
    team: TeamId,
    event: &str,
    key: &ApiKey,
    actor: &str,
    at: OffsetDateTime,
) -> Result<(), StoreError> {
    let hooks = resource_rows::of_kind(tx, team, key_event::WEBHOOK_KIND).await?;
    let stamp = at.format(&time::format_description::well_known::Rfc3339).unwrap_or_default();
    for hook in hooks.iter().filter(|h| key_event::takes(h, event)) {
        let body = key_event::payload(event, key, actor, at);
        // The delivery's ID is the message's `webhook-id`, the same on every retry.
        let id = format!("msg_{}", uuid::Uuid::new_v4().simple());
        let delivery = webhook::delivery(team, id, hook, body, at, &stamp, false);
        // Not through `insert_in`: a team at its cap of resources must still be able to revoke a
        // key, and the hook this links to was read in this transaction.
        resource_rows::insert(tx, &delivery)
            .await?
            .or_taken(|| StoreError::Backend(format!("delivery {} exists", delivery.id)))?;
        let made = delivery;
        let change = Change::Resource { team_id: team, resource_type: made.kind.clone(), id: made.id.clone() };
        tx::change(tx, &change, at).await?;
    }
    Ok(())
}
