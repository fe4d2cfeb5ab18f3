//! `keyward admin review move`: App Review's moves of a review submission (spec F3), the CLI's
//! twin of test mode's `POST /_keyward/review/{submission}`. The submission's items and App Store
//! versions follow in the same transaction; a move App Review would not make is refused.

use keyward_core::review::Move;
use keyward_store::Store;
use serde_json::json;

use crate::cli::ReviewCommand;
use crate::config::Config;
use crate::error::CliError;
use crate::output::Output;

pub async fn run(store: &Store, command: ReviewCommand, config: &Config, out: Output) -> Result<(), CliError> {
    let ReviewCommand::Move(args) = command;
    let step = Move::parse(&args.to)
        .ok_or_else(|| CliError::Usage(format!("--to is IN_REVIEW, REJECTED or APPROVED, not '{}'", args.to)))?;
    let now = time::OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .unwrap_or_else(|_| time::OffsetDateTime::now_utc())
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    // Events link to the instance under the public URL when one is set, as the server's do.
    let base = config.public_url.as_deref().unwrap_or_default().trim_end_matches('/');
    let (team, changes) = store.move_review(&args.submission, step, &now, base).await?;
    let value =
        json!({"submission": args.submission, "team_id": team.to_string(), "moved": args.to, "changes": changes.len()});
    out.one(&value, || {
        format!("Review submission {} moved to {} ({} changes).", args.submission, args.to, changes.len())
    });
    Ok(())
}
