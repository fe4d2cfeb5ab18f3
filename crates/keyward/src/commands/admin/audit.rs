//! `keyward admin audit --team TEAM` (K15).

use keyward_core::ports::AuditStore;
use keyward_store::Store;
use serde_json::json;

use super::resolve_team;
use crate::cli::TeamOnly;
use crate::error::CliError;
use crate::output::{Output, text, timestamp};

pub async fn run(store: &Store, args: TeamOnly, out: Output) -> Result<(), CliError> {
    let team = resolve_team(store, &args.team).await?;
    let events = store.audit(team.id).await?;
    let values: Vec<_> = events
        .iter()
        .map(|e| {
            json!({
                "seq": e.seq,
                "at": timestamp(e.at),
                "event": e.event.as_str(),
                "actor": e.actor,
                "actor_ip": e.actor_ip,
                "subject": e.subject,
                "detail": e.detail,
            })
        })
        .collect();
    out.list(&values, &["TIME", "EVENT", "ACTOR", "SUBJECT", "DETAIL"], |v| {
        vec![text(&v["at"]), text(&v["event"]), text(&v["actor"]), text(&v["subject"]), text(&v["detail"])]
    });
    Ok(())
}
