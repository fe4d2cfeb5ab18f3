//! `keyward admin key-webhook add | list | remove`: where a team's key events go (X5), signed as
//! Standard Webhooks with a secret made here and shown once.

use keyward_core::actor::ActorContext;
use keyward_server::key_webhooks::{self, AddError};
use keyward_store::Store;
use serde_json::{Value, json};

use super::resolve_team;
use crate::cli::KeyWebhookCommand;
use crate::config::Config;
use crate::error::CliError;
use crate::output::{Output, text, timestamp};

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
            let events: Vec<String> = args.events.split(',').map(str::to_owned).collect();
            let own = config.public_url.as_deref();
            let added = key_webhooks::add(
                store,
                team.id,
                &args.url,
                &events,
                config.webhook_allow_private,
                own,
                &ActorContext::operator_cli(),
            )
            .await
            .map_err(|e| match e {
                AddError::Events(why) => CliError::Usage(why),
                AddError::Url(_) => CliError::Refused(e.to_string()),
                AddError::Store(e) => e.into(),
            })?;
            let mut value = webhook_json(&added.hook);
            value["secret"] = json!(added.secret);
            out.one(&value, || {
                format!(
                    "Key webhook {} posts {} to {}.\nIts signing secret, shown this once: {}",
                    added.hook.id,
                    key_webhooks::events_of(&added.hook).join(", "),
                    args.url,
                    added.secret
                )
            });
        }
        KeyWebhookCommand::List(args) => {
            let team = resolve_team(store, &args.team).await?;
            let hooks: Vec<Value> = store.key_webhooks(team.id).await?.iter().map(webhook_json).collect();
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
