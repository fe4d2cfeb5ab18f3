//! The role table of spec R6 as a document: every family of Apple's API with the area its reads
//! and writes fall in, the roles each allows and where those roles come from. `docs/roles.md` is
//! this rendering, kept in step by a test, so the table users read is the table Keyward enforces.

use crate::families::FAMILIES;
use crate::policy::{Area, area_of};

/// The whole table as Markdown.
pub fn markdown() -> String {
    let mut out = String::from(
        "# Who may do what: every family of Apple's API\n\n\
         Generated from `crates/keyward-core/src/families.rs` and `policy.rs` (spec R6); a test \
         fails when this file and the code disagree. Regenerate with \
         `KEYWARD_WRITE_ROLES=1 cargo test -p keyward-core role_table`.\n\n\
         Reads are `GET`; writes are every other method. A key needs one of the listed roles \
         (Admin keys pass everywhere, A2). Areas marked *team keys only* refuse individual keys \
         whatever the member's roles (A3). An individual key limited to some apps sees and \
         creates only resources of those apps (A4).\n\n\
         | Family | Read | Write | Source |\n|---|---|---|---|\n",
    );
    for (family, _, cite) in FAMILIES {
        let path = format!("/v1/{family}");
        let read = area_of("GET", &path);
        let write = area_of("POST", &path);
        out.push_str(&format!("| `{family}` | {} | {} | {} |\n", cell(read), cell(write), cite.describe()));
    }
    out
}

fn cell(area: Area) -> String {
    let roles = area.allowed_roles().iter().map(|r| r.as_str()).collect::<Vec<_>>().join(", ");
    let only = if area.team_keys_only() { "; team keys only" } else { "" };
    format!("{} ({roles}{only})", area.as_str())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// R6: `docs/roles.md` is the table the code enforces.
    #[test]
    fn r6_role_table_document_matches_the_code() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/roles.md");
        let rendered = markdown();
        if std::env::var_os("KEYWARD_WRITE_ROLES").is_some() {
            std::fs::write(path, &rendered).unwrap();
        }
        let on_disk = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            on_disk == rendered,
            "docs/roles.md is out of date: run `KEYWARD_WRITE_ROLES=1 cargo test -p keyward-core role_table`"
        );
        assert_eq!(rendered.lines().filter(|l| l.starts_with("| `")).count(), FAMILIES.len());
    }
}
