//! `keyward admin app create`.

use keyward_core::actor::ActorContext;
use keyward_core::app::NewApp;
use keyward_core::ports::AppStore;
use keyward_store::Store;
use serde_json::json;

use super::resolve_team;
use crate::cli::AppCommand;
use crate::error::CliError;
use crate::output::Output;

pub async fn run(store: &Store, command: AppCommand, out: Output) -> Result<(), CliError> {
    let AppCommand::Create(args) = command;
    let team = resolve_team(store, &args.team).await?;
    let new = NewApp { name: args.name, bundle_id: args.bundle_id, sku: args.sku, primary_locale: args.primary_locale };
    let app = store.create_app(team.id, new, &ActorContext::operator_cli()).await?;
    let value = json!({
        "id": app.id.to_string(),
        "name": app.name,
        "bundle_id": app.bundle_id,
        "sku": app.sku,
        "primary_locale": app.primary_locale,
    });
    out.one(&value, || format!("Created app '{}' ({}) with ID {}.", app.name, app.bundle_id, app.id));
    Ok(())
}
