//! `keyward admin init`: the first run.

use keyward_core::actor::ActorContext;
use keyward_core::ports::{NewPerson, NewTeam, TeamStore};
use keyward_store::Store;
use serde_json::json;

use super::password_from_stdin;
use crate::cli::InitArgs;
use crate::error::CliError;
use crate::output::Output;

pub async fn run(store: &Store, args: InitArgs, out: Output) -> Result<(), CliError> {
    let password_hash = password_from_stdin(args.password_stdin)?;
    let person = NewPerson { email: args.email, first_name: args.first_name, last_name: args.last_name, password_hash };
    let new = NewTeam { name: args.team, account_holder: person, holder_is_operator: true };
    let created = store.create_team(new, &ActorContext::operator_cli()).await?;
    let value = json!({
        "team_id": created.team.id.to_string(),
        "issuer_id": created.team.issuer_id.to_string(),
        "person_id": created.person_id.to_string(),
        "member_id": created.member_id.to_string(),
    });
    out.one(&value, || {
        format!(
            "Created team '{}' (Issuer ID {}).\nIts Account Holder is also this installation's operator.\n\
             Next: request API access with `keyward admin access request --team {}`.",
            created.team.name, created.team.issuer_id, created.team.issuer_id
        )
    });
    Ok(())
}
