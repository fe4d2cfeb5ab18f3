//! `keyward admin key-webhook add | list | remove`: where a team's key events go (X5), signed as
//! Standard Webhooks with a secret made here and shown once.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use keyward_core::actor::ActorContext;
use keyward_core::key_event;
use keyward_core::ports::ResourceStore;
use keyward_core::webhook;
use keyward_store::Store;
use serde_json::{Value, json};

use super::resolve_team;
use crate::cli::KeyWebhookCommand;
use crate::config::Config;
use crate::error::CliError;
use crate::output::{Output, text, timestamp};

/// 32 random bytes, as Standard Webhooks spells a secret.
fn new_secret() -> Result<String, CliError> {
    let token = keyward_token::session::random_token().map_err(|e| CliError::Refused(e.to_string()))?;
    let bytes = keyward_token::b64::decode(&token).ok_or_else(|| CliError::Refused("no random bytes".into()))?;
    Ok(format!("{}{}", key_event::SECRET_PREFIX, STANDARD.encode(bytes)))
}

fn webhook_json(hook: &keyward_core::resource::Resource) -> Value {
    json!({
        "id": hook.id,
        "url": hook.attributes.get("url"),
        "events": hook.attributes.get("eventTypes"),
        "enabled": hook.attributes.get("enabled"),
        "created_at": timestamp(hook.created_at),
    })
}

pub async fn run(store: &Store, command: KeyWebhookCommand, config: &Config, out: Output) -> Result<(), CliError> {
    match command {
        KeyWebhookCommand::Add(args) => {
            let team = resolve_team(store, &args.team).await?;
            let events = key_event::parse_event_types(&args.events).map_err(|e| CliError::Usage(e.to_string()))?;
            if let Some(problem) = webhook::url_problem(&args.url, config.webhook_allow_private) {
                return Err(CliError::Refused(format!("the URL is not taken: {problem}")));
            }
            let own = config.public_url.as_deref().unwrap_or_default().trim_end_matches('/');
            if !own.is_empty() && args.url.starts_with(own) {
                return Err(CliError::Refused("the URL is not taken: it is Keyward itself".into()));
            }
            let secret = new_secret()?;
            let id = uuid::Uuid::new_v4().to_string();
            let now = time::OffsetDateTime::now_utc();
            let hook = key_event::webhook(team.id, id, &args.url, &secret, &events, now);
            let made = store.add_key_webhook(hook, &ActorContext::operator_cli()).await?;
            let mut value = webhook_json(&made);
            value["secret"] = json!(secret);
            out.one(&value, || {
                format!(
                    "Key webhook {} posts {} to {}.\nIts signing secret, shown this once: {secret}",
                    made.id,
                    events.join(", "),
                    args.url
                )
            });
        }
        KeyWebhookCommand::List(args) => {
            let team = resolve_team(store, &args.team).await?;
            let hooks: Vec<Value> = store
                .all_resources()
                .await?
                .iter()
                .filter(|r| r.team_id == team.id && r.kind == key_event::WEBHOOK_KIND)
                .map(webhook_json)
                .collect();
            out.list(&hooks, &["ID", "URL", "EVENTS", "CREATED"], |v| {
                let events = v["events"].as_array().map(|a| a.iter().map(text).collect::<Vec<_>>().join(","));
                vec![text(&v["id"]), text(&v["url"]), events.unwrap_or_default(), text(&v["created_at"])]
            });
        }
        KeyWebhookCommand::Remove(args) => {
            let team = resolve_team(store, &args.team).await?;
            store.remove_key_webhook(team.id, &args.id, &ActorContext::operator_cli()).await?;
            out.one(&json!({"id": args.id, "removed": true}), || format!("Key webhook {} removed.", args.id));
        }
    }
    Ok(())
}
