//! Gateway policies (spec section 10): any draft (routes and areas named by the input's lines) is
//! checked whole; a policy that passes routes any path and authorizes any key without a panic, and
//! never routes a path that `check_request_path` refuses onto one it accepts differently.
#![no_main]

use keyward_core::gateway::{Draft, DraftArea, DraftRoute, check_request_path};
use keyward_core::key::KeyKind;
use keyward_core::role::RoleSet;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    // Lines: "route PREFIX AREA", "area NAME READ,ROLES WRITE,ROLES [team]", "path PATH", others ignored.
    let mut draft = Draft::default();
    let mut paths = Vec::new();
    for line in text.lines().take(64) {
        let words: Vec<&str> = line.split(' ').collect();
        match words.as_slice() {
            ["route", prefix, area] => draft.routes.push(DraftRoute { prefix: (*prefix).into(), area: (*area).into() }),
            ["area", name, read, write, rest @ ..] => draft.areas.push(DraftArea {
                name: (*name).into(),
                read: read.split(',').map(str::to_owned).collect(),
                write: write.split(',').map(str::to_owned).collect(),
                individual_keys: rest.first().map(|w| *w != "team"),
            }),
            ["path", path] => paths.push((*path).to_owned()),
            ["audience", a] => draft.audience = Some((*a).into()),
            _ => {}
        }
    }
    let Ok(policy) = draft.check() else { return };
    for path in paths {
        let form = check_request_path(&path);
        if let Some((route, rules)) = policy.route_for(&path) {
            for kind in [KeyKind::Team, KeyKind::Individual] {
                for method in ["GET", "POST", "DELETE"] {
                    let _ = policy.authorize(route, rules, kind, RoleSet::EMPTY, method);
                }
            }
            assert!(path.starts_with(&route.prefix), "{path} routed by {}", route.prefix);
        }
        let _ = form;
    }
});
