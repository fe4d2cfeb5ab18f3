//! `keyward policy check FILE`: reads a gateway policy (spec section 10) as `serve` will, and names
//! every problem with its line, so a policy can be written and reviewed before it is deployed.

use serde_json::json;

use crate::cli::PolicyCheckArgs;
use crate::error::CliError;

pub fn check(args: &PolicyCheckArgs) -> Result<(), CliError> {
    let name = args.file.display().to_string();
    let text = std::fs::read_to_string(&args.file).map_err(|e| CliError::Usage(format!("cannot read {name}: {e}")))?;
    let policy = crate::policy::parse(&name, &text).map_err(CliError::Usage)?;
    if args.json {
        let routes: Vec<_> = policy
            .routes
            .iter()
            .map(|r| {
                let rules = policy.areas.get(&r.area);
                json!({
                    "prefix": r.prefix,
                    "area": r.area,
                    "read": rules.map(|a| a.read.to_vec()),
                    "write": rules.map(|a| a.write.to_vec()),
                    "individual_keys": rules.map(|a| a.individual_keys),
                    "websockets": rules.map(|a| a.websockets),
                })
            })
            .collect();
        println!("{}", json!({"audience": policy.audience, "upstream": policy.upstream, "routes": routes}));
        return Ok(());
    }
    println!("{name}: audience {}, upstream {}", policy.audience, policy.upstream.as_deref().unwrap_or("none"));
    for r in &policy.routes {
        if let Some(a) = policy.areas.get(&r.area) {
            let keys = if a.individual_keys { "team and individual keys" } else { "team keys only" };
            let sockets = if a.websockets { ", WebSockets" } else { "" };
            println!("  {} → area {}: read {}, write {}, {keys}{sockets}", r.prefix, r.area, a.read, a.write);
        }
    }
    Ok(())
}
