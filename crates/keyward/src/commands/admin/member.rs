//! `keyward admin member add | set-roles | remove`.

use keyward_core::actor::ActorContext;
use keyward_core::ids::AppId;
use keyward_core::member::Member;
use keyward_core::ports::{MemberStore, NewMember, NewPerson};
use keyward_core::role::RoleSet;
use keyward_store::Store;
use serde_json::{Value, json};

use super::{password_from_stdin, resolve_team};
use crate::cli::MemberCommand;
use crate::error::CliError;
use crate::output::Output;

pub async fn run(store: &Store, command: MemberCommand, out: Output) -> Result<(), CliError> {
    let operator = ActorContext::operator_cli();
    match command {
        MemberCommand::Add(args) => {
            let team = resolve_team(store, &args.team).await?;
            let roles = RoleSet::parse_list(&args.roles)?;
            let visible_apps = match &args.apps {
                Some(list) => list.split(',').map(|id| id.trim().parse::<AppId>()).collect::<Result<Vec<_>, _>>()?,
                None => Vec::new(),
            };
            let password_hash = password_from_stdin(args.password_stdin)?;
            let new = NewMember {
                person: NewPerson {
                    email: args.email,
                    first_name: args.first_name,
                    last_name: args.last_name,
                    password_hash,
                },
                roles,
                individual_keys: !args.no_individual_keys,
                all_apps_visible: args.apps.is_none(),
                visible_apps,
                provisioning_allowed: args.provisioning,
            };
            let member = store.add_member(team.id, new, &operator).await?;
            out.one(&member_json(&member), || {
                format!("Added {} to '{}' with roles {}.", member.email, team.name, member.roles)
            });
        }
        MemberCommand::SetRoles(args) => {
            let team = resolve_team(store, &args.team).await?;
            let roles = RoleSet::parse_list(&args.roles)?;
            let member = store.member_by_email(team.id, &args.email).await?;
            let member = store.set_member_roles(team.id, member.id, roles, &operator).await?;
            out.one(&member_json(&member), || format!("{} now has the roles {}.", member.email, member.roles));
        }
        MemberCommand::Remove(args) => {
            let team = resolve_team(store, &args.team).await?;
            let member = store.member_by_email(team.id, &args.email).await?;
            store.remove_member(team.id, member.id, &operator).await?;
            let value = json!({"member_id": member.id.to_string(), "email": member.email, "removed": true});
            out.one(&value, || {
                format!("Removed {} from '{}'; their individual key, if any, is revoked.", member.email, team.name)
            });
        }
    }
    Ok(())
}

fn member_json(m: &Member) -> Value {
    json!({
        "member_id": m.id.to_string(),
        "person_id": m.person_id.to_string(),
        "email": m.email,
        "first_name": m.first_name,
        "last_name": m.last_name,
        "roles": m.roles.to_vec(),
        "all_apps_visible": m.all_apps_visible,
        "provisioning_allowed": m.provisioning_allowed,
        "visible_apps": m.visible_apps.iter().map(ToString::to_string).collect::<Vec<_>>(),
    })
}
