//! `keyward admin seed FILE`: applies a seed file (see `examples/seed.toml`). Applying the same
//! file twice changes nothing; a file that breaks a rule is refused whole, naming the entry.

use keyward_core::ports::SeedStore;
use keyward_store::Store;
use serde_json::json;

use crate::cli::SeedArgs;
use crate::config::Config;
use crate::error::CliError;
use crate::output::Output;

pub async fn run(store: &Store, args: SeedArgs, config: &Config, out: Output) -> Result<(), CliError> {
    let (spec, pending) = crate::seed::load(&args.file, store, config.max_active_team_keys).await?;
    let outcome = store
        .apply_seed(&spec.file, &spec.public_keys, false)
        .await
        .map_err(|e| CliError::Refused(format!("{} is refused: {}", args.file.display(), crate::error::message(e))))?;
    let written = pending.write()?;
    let files: Vec<String> = written.iter().map(|p| p.display().to_string()).collect();
    let value = json!({ "changes": outcome.changes, "teams": spec.file.teams.len(), "files": files });
    out.one(&value, || {
        let mut s = if outcome.changes == 0 {
            format!("{} is already applied; nothing changed.", args.file.display())
        } else {
            format!("Applied {} ({} changes).", args.file.display(), outcome.changes)
        };
        for f in &files {
            s.push_str(&format!("\nWrote {f}"));
        }
        s
    });
    Ok(())
}
