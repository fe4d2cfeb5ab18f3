//! `keyward admin team create | list | set-rate-limit | set-key-lifetime`.

use keyward_core::actor::ActorContext;
use keyward_core::ports::{NewPerson, NewTeam, TeamStore};
use keyward_store::Store;
use serde_json::json;

use super::password_from_stdin;
use crate::cli::TeamCommand;
use crate::error::CliError;
use crate::output::{Output, text, timestamp};

pub async fn run(store: &Store, command: TeamCommand, out: Output) -> Result<(), CliError> {
    match command {
        TeamCommand::Create(args) => {
            let password_hash = password_from_stdin(args.password_stdin)?;
            let person = NewPerson {
                email: args.account_holder,
                first_name: String::new(),
                last_name: String::new(),
                password_hash,
            };
            let new = NewTeam { name: args.name, account_holder: person, holder_is_operator: false };
            let created = store.create_team(new, &ActorContext::operator_cli()).await?;
            let value = json!({
                "team_id": created.team.id.to_string(),
                "issuer_id": created.team.issuer_id.to_string(),
                "person_id": created.person_id.to_string(),
                "member_id": created.member_id.to_string(),
            });
            out.one(&value, || format!("Created team '{}' (Issuer ID {}).", created.team.name, created.team.issuer_id));
        }
        TeamCommand::SetRateLimit(args) => {
            let team = super::resolve_team(store, &args.team).await?;
            let per_hour = if args.default { None } else { args.per_hour };
            let updated = store.set_rate_limit(team.id, per_hour, &ActorContext::operator_cli()).await?;
            let value = json!({"team_id": updated.id.to_string(), "issuer_id": updated.issuer_id.to_string(), "rate_limit_per_hour": updated.rate_limit_per_hour});
            out.one(&value, || match updated.rate_limit_per_hour {
                Some(n) => format!("Each key of '{}' may now make {n} requests per rolling hour.", updated.name),
                None => format!("Keys of '{}' use the installation's hourly budget again.", updated.name),
            });
        }
        TeamCommand::SetKeyLifetime(args) => {
            let team = super::resolve_team(store, &args.team).await?;
            let days = if args.none { None } else { args.max_days };
            let updated = store.set_key_lifetime_cap(team.id, days, &ActorContext::operator_cli()).await?;
            let value = json!({"team_id": updated.id.to_string(), "issuer_id": updated.issuer_id.to_string(), "max_key_lifetime_days": updated.max_key_lifetime_days});
            out.one(&value, || match updated.max_key_lifetime_days {
                Some(n) => format!("New keys of '{}' now expire within {n} days.", updated.name),
                None => format!("New keys of '{}' may live for ever again.", updated.name),
            });
        }
        TeamCommand::List => {
            let teams = store.teams().await?;
            let values: Vec<_> = teams
                .iter()
                .map(|t| {
                    json!({
                        "team_id": t.id.to_string(),
                        "issuer_id": t.issuer_id.to_string(),
                        "team_identifier": keyward_core::team::team_identifier(t.id),
                        "name": t.name,
                        "api_access": t.access.as_str(),
                        "rate_limit_per_hour": t.rate_limit_per_hour,
                        "max_key_lifetime_days": t.max_key_lifetime_days,
                        "created_at": timestamp(t.created_at),
                    })
                })
                .collect();
            out.list(&values, &["NAME", "ISSUER ID", "TEAM ID", "API ACCESS", "CREATED"], |v| {
                vec![
                    text(&v["name"]),
                    text(&v["issuer_id"]),
                    text(&v["team_identifier"]),
                    text(&v["api_access"]),
                    text(&v["created_at"]),
                ]
            });
        }
    }
    Ok(())
}
