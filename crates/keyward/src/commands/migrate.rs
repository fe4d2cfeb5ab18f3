//! `keyward migrate`: applies pending migrations (also done by every other command at start).

use crate::config::Config;
use crate::error::CliError;

pub async fn run(config: &Config) -> Result<(), CliError> {
    let store = super::open_store(config).await?;
    println!("{} database at {} is up to date", store.backend(), config.database_url()?.redacted());
    store.close().await;
    Ok(())
}
