//! What Apple's servers add to a write of some families (spec section 13), beyond storing what
//! the body says: values made from the request (a certificate from a CSR, a signed profile),
//! checks of values (a UDID's form), and rules across resources that the store keeps in the
//! write's own transaction under the team's lock (one bundle ID per identifier, a cap per
//! certificate type, profiles going `INVALID` when a certificate or device leaves), so racing
//! requests cannot break them. One file per family; everything else is plain storage.

mod beta_groups;
mod build_uploads;
mod bundle_ids;
mod certificates;
mod deliveries;
mod devices;
mod profiles;
mod responses;
mod review;
mod testflight;
mod webhooks;

use keyward_core::resource::{Link, Resource, ResourceUpdate, WriteRules};
use serde_json::{Map, Value};

use super::Call;
use crate::error::ApiError;

/// Before `POST /v1/{kind}`: fills what the server makes and says which rules the write keeps.
pub(super) async fn before_create(
    call: &Call<'_>,
    kind: &str,
    id: &str,
    attributes: &mut Map<String, Value>,
    links: &mut Vec<(String, Vec<Link>)>,
) -> Result<WriteRules, ApiError> {
    fits(kind, attributes)?;
    match kind {
        "certificates" => certificates::before_create(call, attributes).await,
        "profiles" => profiles::before_create(call, attributes, links).await,
        "devices" => devices::before_create(attributes),
        "bundleIds" => bundle_ids::before_create(call, attributes).await,
        "buildUploads" => Ok(build_uploads::before_create_upload(attributes)),
        "buildUploadFiles" => build_uploads::before_create_file(call, id, attributes, links),
        "reviewSubmissions" => review::before_create_submission(call, attributes, links),
        "reviewSubmissionItems" => review::before_create_item(call, attributes, links),
        "appStoreVersionReleaseRequests" => review::before_create_release(call, links),
        "customerReviewResponses" => responses::before_create_response(call, id, attributes, links),
        "webhooks" => webhooks::before_write_webhook(call, attributes),
        "betaAppReviewSubmissions" => testflight::before_create_beta_submission(call, attributes, links),
        "betaTesterInvitations" => Ok(testflight::before_create_invitation(call, links)),
        "betaTesters" => Ok(testflight::before_create_tester(attributes)),
        "betaGroups" => beta_groups::before_create(attributes, links),
        "betaBuildLocalizations" => Ok(testflight::before_create_localization(attributes, links)),
        "webhookPings" => webhooks::before_create_ping(call, links),
        "webhookDeliveries" => webhooks::before_create_redelivery(call, id, attributes, links),
        _ => Ok(WriteRules::default()),
    }
}

/// What Apple finishes later, once its time has come: builds processed (spec F2), review
/// responses published (F4). The background loop's.
pub(crate) async fn finish_later(state: &crate::AppState) {
    build_uploads::finish_processing(state).await;
    responses::publish(state).await;
}

/// Spec F5: every half second, the webhook deliveries due, sent until `shutdown` flips.
pub(crate) async fn deliver_webhooks(state: crate::AppState, mut shutdown: tokio::sync::watch::Receiver<bool>) {
    let Some(client) = deliveries::client(state.settings.webhook_allow_private) else {
        tracing::error!("webhooks cannot be delivered: TLS could not be set up");
        return;
    };
    loop {
        deliveries::deliver_due(&state, &client).await;
        tokio::select! {
            _ = tokio::time::sleep(std::time::Duration::from_millis(500)) => {}
            _ = shutdown.changed() => return,
        }
    }
}

/// The first link of the relationship `name` among a body's links.
fn linked(links: &[(String, Vec<Link>)], name: &str) -> Option<Link> {
    links.iter().find(|(n, _)| n == name).and_then(|(_, l)| l.first().cloned())
}

/// A write of the background work (what Apple finishes later, webhook deliveries): made, and
/// this node's replica told at once. `None` when a guard refused it (another node did it first).
async fn update_here(
    app: &crate::AppState,
    resource: &Resource,
    update: ResourceUpdate,
    rules: WriteRules,
) -> Result<Option<Resource>, keyward_core::error::StoreError> {
    use keyward_core::ports::ResourceStore;
    match app.store.update_resource(resource.team_id, &resource.kind, &resource.id, update, rules).await {
        Ok((updated, mut changes)) => {
            changes.push(keyward_core::change::Change::Resource {
                team_id: updated.team_id,
                resource_type: updated.kind.clone(),
                id: updated.id.clone(),
            });
            app.written(&changes).await;
            Ok(Some(updated))
        }
        Err(keyward_core::error::StoreError::Rule(_)) => Ok(None),
        Err(e) => Err(e),
    }
}

/// F4: metadata within the lengths App Store Connect allows.
fn fits(kind: &str, attributes: &Map<String, Value>) -> Result<(), ApiError> {
    match keyward_core::metadata::too_long(kind, attributes) {
        Some((name, length, max)) => Err(invalid(
            name,
            format!(
                "An attribute value is invalid: '{name}' is {length} characters; App Store Connect takes at most {max}."
            ),
        )),
        None => Ok(()),
    }
}

/// Before `PATCH /v1/{kind}/{id}` and relationship writes: may change the update itself (a
/// file's `uploaded` flag becomes its delivery state).
pub(super) async fn before_update(
    call: &Call<'_>,
    kind: &str,
    id: &str,
    update: &mut ResourceUpdate,
) -> Result<WriteRules, ApiError> {
    fits(kind, &update.attributes)?;
    match kind {
        "devices" => Ok(devices::before_update(update)),
        "buildUploadFiles" => build_uploads::before_update_file(call, id, update).await,
        "reviewSubmissions" => review::before_update_submission(call, id, update).await,
        "webhooks" => webhooks::before_write_webhook(call, &update.attributes),
        "betaGroups" => beta_groups::before_update(call, id, update),
        "builds" => Ok(beta_groups::before_update_build(call, id, update)),
        _ => Ok(WriteRules::default()),
    }
}

/// Before `DELETE /v1/{kind}/{id}` of `found`.
pub(super) fn before_delete(call: &Call<'_>, kind: &str, found: &Resource) -> Result<WriteRules, ApiError> {
    match kind {
        "certificates" => certificates::before_delete(call, found),
        "devices" => Ok(devices::before_delete()),
        "bundleIds" => Ok(WriteRules {
            guards: vec![],
            cascades: vec![certificates::invalidate_profiles("bundleId")],
            also: vec![],
        }),
        _ => Ok(WriteRules::default()),
    }
}

/// A name the property list of a profile will carry: printable, as Apple's portal requires (a
/// control character would make the plist unreadable to signing tools).
fn printable(attributes: &Map<String, Value>, name: &str) -> Result<(), ApiError> {
    let value = text(attributes, name);
    if value.chars().any(char::is_control) {
        return Err(invalid(
            name,
            format!("An attribute value is invalid: '{name}' may not contain control characters."),
        ));
    }
    Ok(())
}

/// The 409 Apple gives for a value it will not take, at `/data/attributes/{name}`.
fn invalid(name: &str, detail: impl Into<String>) -> ApiError {
    ApiError::entity("ENTITY_ERROR.ATTRIBUTE.INVALID", detail.into(), &format!("/data/attributes/{name}"))
}

/// A string attribute of the body, or `""`.
fn text<'a>(attributes: &'a Map<String, Value>, name: &str) -> &'a str {
    attributes.get(name).and_then(Value::as_str).unwrap_or_default()
}

/// Now, in Apple's date-time form, and `days` from now.
fn dates(days: i64) -> (String, String) {
    let now = time::OffsetDateTime::now_utc().replace_nanosecond(0).unwrap_or_else(|_| time::OffsetDateTime::now_utc());
    (crate::views::timestamp(now), crate::views::timestamp(now + time::Duration::days(days)))
}
