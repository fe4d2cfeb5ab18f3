//! X5's key webhooks as every door adds them (`admin key-webhook`, the console's API page, the key
//! API's `keyWebhooks`): one check of the URL and the event types, one secret format. Storage
//! caps a team's hooks and audits each change in its transaction.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use keyward_core::actor::ActorContext;
use keyward_core::error::StoreError;
use keyward_core::ids::TeamId;
use keyward_core::key_event;
use keyward_core::resource::Resource;
use keyward_core::webhook;
use keyward_store::Store;

/// Why a key webhook was not added.
#[derive(Debug, thiserror::Error)]
pub enum AddError {
    /// An event type Keyward does not send.
    #[error("{0}")]
    Events(String),
    /// The URL is not one Keyward posts to (see [`url_problem`]).
    #[error("the URL is not taken: {0}")]
    Url(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A hook just added, with its signing secret: shown this once, never again.
pub struct Added {
    pub hook: Resource,
    pub secret: String,
}

impl std::fmt::Debug for Added {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Added").field("hook", &self.hook.id).field("secret", &"[redacted]").finish()
    }
}

/// Where a key webhook may not post: what F5 refuses for Apple's webhooks (not http(s), link-local
/// or metadata addresses, private ones unless `allow_private`, Keyward itself at `own_url`).
pub fn url_problem(url: &str, allow_private: bool, own_url: Option<&str>) -> Option<String> {
    if let Some(problem) = webhook::url_problem(url, allow_private) {
        return Some(problem);
    }
    own_url.is_some_and(|own| webhook::is_keyward_itself(url, own)).then(|| "it is Keyward itself".to_owned())
}

/// Adds a hook of `team` posting `events` (every event type when empty) to `url`.
pub async fn add(
    store: &Store,
    team: TeamId,
    url: &str,
    events: &[String],
    allow_private: bool,
    own_url: Option<&str>,
    actor: &ActorContext,
) -> Result<Added, AddError> {
    let events = key_event::parse_event_types(&events.join(",")).map_err(|e| AddError::Events(e.to_string()))?;
    if let Some(problem) = url_problem(url, allow_private, own_url) {
        return Err(AddError::Url(problem));
    }
    let secret = new_secret()?;
    let now = time::OffsetDateTime::now_utc().replace_nanosecond(0).unwrap_or_else(|_| time::OffsetDateTime::now_utc());
    let hook = key_event::webhook(team, uuid::Uuid::new_v4().to_string(), url, &secret, &events, now);
    let hook = store.add_key_webhook(hook, actor).await?;
    Ok(Added { hook, secret })
}

/// 32 random bytes, as Standard Webhooks spells a secret (`whsec_` and base64).
fn new_secret() -> Result<String, StoreError> {
    let token = keyward_token::session::random_token().map_err(|e| StoreError::Backend(e.to_string()))?;
    let bytes = keyward_token::b64::decode(&token).ok_or_else(|| StoreError::Backend("no random bytes".into()))?;
    Ok(format!("{}{}", key_event::SECRET_PREFIX, STANDARD.encode(bytes)))
}

/// A hook's event types, as stored.
pub fn events_of(hook: &Resource) -> Vec<String> {
    hook.attributes
        .get("eventTypes")
        .and_then(serde_json::Value::as_array)
        .map(|types| types.iter().filter_map(|t| t.as_str().map(str::to_owned)).collect())
        .unwrap_or_default()
}

/// A hook's URL, as stored.
pub fn url_of(hook: &Resource) -> &str {
    hook.attributes.get("url").and_then(serde_json::Value::as_str).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn x5_keyward_itself_and_metadata_addresses_are_refused() {
        let own = Some("https://keys.example.com/");
        for spelled in
            ["https://keys.example.com/hooks", "https://KEYS.Example.COM./hooks", "https://keys.example.com:443/h"]
        {
            assert_eq!(url_problem(spelled, false, own).as_deref(), Some("it is Keyward itself"), "{spelled}");
        }
        assert_eq!(
            url_problem("https://keys.example.com:8443/hooks", false, own),
            None,
            "another port, another server"
        );
        assert!(
            url_problem("http://169.254.169.254/latest", true, own).is_some(),
            "metadata, even with private allowed"
        );
        assert!(url_problem("ftp://hooks.example.com/", false, own).is_some());
        assert_eq!(url_problem("https://hooks.example.com/keys", false, own), None);
    }
}
