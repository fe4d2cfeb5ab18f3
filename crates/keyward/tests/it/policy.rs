//! `keyward policy check` through the real binary (spec section 10, G4): a policy is read whole,
//! every problem is named with its file and line and the exit code is 2; a good one lists its
//! routes, with `--json` for scripts.
#![allow(clippy::unwrap_used)]

use keyward_store::Backend;

#[tokio::test]
async fn g4_policy_check_names_every_problem_with_its_line() {
    let kw = crate::common::Keyward::new(Backend::Sqlite).await;
    let good = kw.path("policy.toml");
    std::fs::write(
        &good,
        "audience = \"acme-api-v1\"\n\n[[routes]]\nprefix = \"/widgets\"\narea = \"widgets\"\n\n[areas.widgets]\nread = [\"ADMIN\", \"DEVELOPER\"]\nwrite = [\"ADMIN\"]\nindividual_keys = false\n",
    )
    .unwrap();
    let out = kw.ok(&["policy", "check", good.to_str().unwrap(), "--json"]).json();
    assert_eq!(out["audience"], "acme-api-v1");
    assert_eq!(out["routes"][0]["prefix"], "/widgets");
    assert_eq!(out["routes"][0]["write"], serde_json::json!(["ADMIN"]));
    assert_eq!(out["routes"][0]["individual_keys"], false);
    assert_eq!(out["routes"][0]["websockets"], false, "WebSockets are off unless an area opts in");

    let bad = kw.path("bad.toml");
    std::fs::write(
        &bad,
        "upstream = \"ftp://nowhere\"\n\n[[routes]]\nprefix = \"/_keyward/x\"\narea = \"widgets\"\n\n[areas.widgets]\nread = [\"ADMIN\", \"DEVELOPPER\"]\n",
    )
    .unwrap();
    let run = kw.run(&["policy", "check", bad.to_str().unwrap()]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    let name = bad.display().to_string();
    for line in [
        format!("{name}:1: 'ftp://nowhere'"),
        format!("{name}:4: '/_keyward/x' would take over"),
        format!("{name}:8: unknown role 'DEVELOPPER'"),
    ] {
        assert!(run.stderr.contains(&line), "{line} missing from {}", run.stderr);
    }
}
