//! `keyWebhooks`: where the team's key events go (X5), as the key API manages them beside
//! `apiKeys`. A hook's signing secret appears once, in the answer to the `POST` that made it; the
//! CLI (`admin key-webhook`) and the console's API page manage the same hooks.

pub(crate) mod create;
pub(crate) mod delete;
pub(crate) mod get;
pub(crate) mod list;

use keyward_core::resource::Resource;
use serde_json::{Value, json};

use super::PREFIX;
use crate::key_webhooks::{events_of, url_of};
use crate::views::{BaseUrl, timestamp};

pub(crate) const TYPE: &str = "keyWebhooks";

/// The resource; `secret` only in the creating `POST`'s answer.
pub(crate) fn resource(hook: &Resource, base: &BaseUrl, secret: Option<&str>) -> Value {
    let mut attributes = json!({
        "url": url_of(hook),
        "eventTypes": events_of(hook),
        "enabled": hook.attributes.get("enabled").and_then(Value::as_bool).unwrap_or(false),
        "createdDate": timestamp(hook.created_at),
    });
    if let Some(secret) = secret {
        attributes["secret"] = Value::String(secret.to_owned());
    }
    json!({
        "type": TYPE,
        "id": hook.id,
        "attributes": attributes,
        "links": { "self": base.url(&format!("{PREFIX}/{TYPE}/{}", hook.id)) },
    })
}
