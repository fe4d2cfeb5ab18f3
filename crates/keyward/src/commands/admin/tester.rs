//! `keyward admin tester move`: a beta tester's own moves (spec F2), the CLI's twin of test
//! mode's `POST /_keyward/testers/{tester}`. A move the tester could not make from their state
//! (accepting before an invitation) is refused and changes nothing.

use keyward_store::Store;
use serde_json::json;

use crate::cli::TesterCommand;
use crate::error::CliError;
use crate::output::Output;

const MOVES: [&str; 3] = ["ACCEPTED", "INSTALLED", "REVOKED"];

pub async fn run(store: &Store, command: TesterCommand, out: Output) -> Result<(), CliError> {
    let TesterCommand::Move(args) = command;
    if !MOVES.contains(&args.to.as_str()) {
        return Err(CliError::Usage(format!("--to is {}, not '{}'", MOVES.join(", "), args.to)));
    }
    let (team, _) = store.move_tester(&args.tester, &args.to).await?;
    let value = json!({"tester": args.tester, "team_id": team.to_string(), "moved": args.to});
    out.one(&value, || format!("Beta tester {} moved to {}.", args.tester, args.to));
    Ok(())
}
