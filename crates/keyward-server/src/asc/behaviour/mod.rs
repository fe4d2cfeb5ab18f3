//! What Apple's servers add to a write of some families (spec section 13), beyond storing what
//! the body says: values made from the request (a certificate from a CSR, a signed profile),
//! checks of values (a UDID's form), and rules across resources that the store keeps in the
//! write's own transaction under the team's lock (one bundle ID per identifier, a cap per
//! certificate type, profiles going `INVALID` when a certificate or device leaves), so racing
//! requests cannot break them. One file per family; everything else is plain storage.

mod bundle_ids;
mod certificates;
mod devices;
mod profiles;

use keyward_core::resource::{Link, Resource, ResourceUpdate, WriteRules};
use serde_json::{Map, Value};

use super::Call;
use crate::error::ApiError;

/// Before `POST /v1/{kind}`: fills what the server makes and says which rules the write keeps.
pub(super) async fn before_create(
    call: &Call<'_>,
    kind: &str,
    attributes: &mut Map<String, Value>,
    links: &[(String, Vec<Link>)],
) -> Result<WriteRules, ApiError> {
    match kind {
        "certificates" => certificates::before_create(call, attributes).await,
        "profiles" => profiles::before_create(call, attributes, links).await,
        "devices" => devices::before_create(attributes),
        "bundleIds" => bundle_ids::before_create(call, attributes).await,
        _ => Ok(WriteRules::default()),
    }
}

/// Before `PATCH /v1/{kind}/{id}`.
pub(super) fn before_update(kind: &str, found: &Resource, update: &ResourceUpdate) -> Result<WriteRules, ApiError> {
    match kind {
        "devices" => devices::before_update(found, update),
        _ => Ok(WriteRules::default()),
    }
}

/// Before `DELETE /v1/{kind}/{id}`.
pub(super) fn before_delete(kind: &str) -> WriteRules {
    match kind {
        "certificates" => certificates::before_delete(),
        "devices" => devices::before_delete(),
        _ => WriteRules::default(),
    }
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
