//! One module per command of spec section 9.

mod admin;
mod api;
mod demo;
mod demo_resources;
mod migrate;
mod policy;
mod serve;
mod signing;
mod tls;
mod token;

use keyward_store::Store;

use crate::cli::Command;
use crate::config::Config;
use crate::error::CliError;

pub async fn run(command: Command, config: Config) -> Result<(), CliError> {
    match command {
        Command::Serve(args) => serve::run(&config, &args).await,
        Command::Migrate => migrate::run(&config).await,
        Command::Admin(args) => admin::run(args, &config).await,
        Command::Token(args) => token::run(args),
        Command::Api(args) => api::run(args).await,
        Command::Tls(crate::cli::TlsCommand::Init(args)) => tls::init(&config, args),
        Command::Policy(crate::cli::PolicyCommand::Check(args)) => policy::check(&args),
        Command::Signing(crate::cli::SigningCommand::Ca(args)) => signing::ca(&config, args).await,
    }
}

/// Opens the configured database and brings its schema up to date.
pub async fn open_store(config: &Config) -> Result<Store, CliError> {
    let url = config.database_url()?;
    Ok(Store::open_and_migrate(&url).await?)
}
