//! `keyward admin access request | approve | reject` (K1, K2).

use keyward_core::actor::{Actor, ActorContext};
use keyward_core::ports::{MemberStore, TeamStore};
use keyward_store::Store;
use serde_json::json;

use super::resolve_team;
use crate::cli::AccessCommand;
use crate::config::Config;
use crate::error::CliError;
use crate::output::Output;

pub async fn run(store: &Store, command: AccessCommand, config: &Config, out: Output) -> Result<(), CliError> {
    let (team, state) = match command {
        AccessCommand::Request(a) => {
            let team = resolve_team(store, &a.team).await?;
            // K1: the request is the Account Holder's act, so it is audited under their name.
            let holder = store.account_holder(team.id).await?;
            let actor = ActorContext { actor: Actor::Member(holder.id), label: holder.email.clone(), ip: None };
            let state = store.request_access(team.id, &actor, config.auto_approve_api_access).await?;
            (team, state)
        }
        AccessCommand::Approve(a) => {
            let team = resolve_team(store, &a.team).await?;
            let state = store.review_access(team.id, true, &ActorContext::operator_cli()).await?;
            (team, state)
        }
        AccessCommand::Reject(a) => {
            let team = resolve_team(store, &a.team).await?;
            let state = store.review_access(team.id, false, &ActorContext::operator_cli()).await?;
            (team, state)
        }
    };
    let value =
        json!({"team_id": team.id.to_string(), "issuer_id": team.issuer_id.to_string(), "api_access": state.as_str()});
    out.one(&value, || format!("API access for team '{}' is now {}.", team.name, state));
    Ok(())
}
