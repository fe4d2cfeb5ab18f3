//! `keyward admin …`: acts as the installation's operator (audited as `operator (cli)`), except
//! `access request`, which acts as the team's Account Holder.

mod access;
mod activation;
mod app;
mod audit;
mod backup;
mod build;
mod init;
mod key;
mod key_webhook;
mod member;
mod review;
mod seed;
mod team;
mod tester;

use std::io::BufRead;

use keyward_core::ports::{TeamRef, TeamStore};
use keyward_core::secret::PasswordHash;
use keyward_core::team::Team;
use keyward_store::Store;

use crate::cli::{AdminArgs, AdminCommand};
use crate::config::Config;
use crate::error::CliError;
use crate::output::Output;

pub async fn run(args: AdminArgs, config: &Config) -> Result<(), CliError> {
    let out = Output { json: args.json };
    // A backup and a restore must not open the configured database as the others do: opening
    // it would create it, and migrating it would change it under a running `serve`.
    let command = match args.command {
        AdminCommand::Backup(a) => return backup::backup(config, a, out).await,
        AdminCommand::Restore(a) => return backup::restore(config, a, out).await,
        command => command,
    };
    let store = super::open_store(config).await?;
    let result = match command {
        AdminCommand::Init(a) => init::run(&store, a, out).await,
        AdminCommand::Team(c) => team::run(&store, c, out).await,
        AdminCommand::Access(c) => access::run(&store, c, config, out).await,
        AdminCommand::Member(c) => member::run(&store, c, out).await,
        AdminCommand::App(c) => app::run(&store, c, out).await,
        AdminCommand::Build(c) => build::run(&store, c, config, out).await,
        AdminCommand::Tester(c) => tester::run(&store, c, out).await,
        AdminCommand::Review(c) => review::run(&store, c, config, out).await,
        AdminCommand::Key(c) => key::run(&store, c, config, out).await,
        AdminCommand::KeyWebhook(c) => key_webhook::run(&store, c, config, out).await,
        AdminCommand::Audit(a) => audit::run(&store, a, out).await,
        AdminCommand::Seed(a) => seed::run(&store, a, config, out).await,
        AdminCommand::ActivationLink(a) => activation::run(&store, a, config, out).await,
        AdminCommand::Backup(_) | AdminCommand::Restore(_) => Ok(()), // answered above
    };
    store.close().await;
    result
}

/// `TEAM` is an Issuer ID or an exact team name.
async fn resolve_team(store: &Store, team: &str) -> Result<Team, CliError> {
    Ok(store.team(&TeamRef::parse(team)).await?)
}

/// `--password-stdin`: the first line of standard input, hashed at once.
fn password_from_stdin(wanted: bool) -> Result<Option<PasswordHash>, CliError> {
    if !wanted {
        return Ok(None);
    }
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| CliError::Usage(format!("cannot read the password from standard input: {e}")))?;
    let password = line.trim_end_matches(['\r', '\n']);
    if password.chars().count() < 8 {
        return Err(CliError::Usage("the password read from standard input must have at least 8 characters".into()));
    }
    keyward_token::password::hash_password(password)
        .map(Some)
        .map_err(|e| CliError::Refused(format!("cannot hash the password: {e}")))
}
