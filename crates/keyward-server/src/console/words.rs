//! App Store Connect's words for what the console shows: role titles, messages as sentences.

use keyward_core::role::Role;

/// App Store Connect's names of roles: `APP_MANAGER` → "App Manager".
pub(crate) fn title(role: Role) -> String {
    let word = |w: &str| {
        let mut chars = w.chars();
        chars.next().map(|first| first.to_string() + &chars.as_str().to_lowercase()).unwrap_or_default()
    };
    role.as_str().split('_').map(word).collect::<Vec<_>>().join(" ")
}

/// A rule's message as a sentence: capitalised, one full stop.
pub(crate) fn sentence(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(first) => format!("{}{}.", first.to_uppercase(), c.as_str().trim_end_matches('.')),
        None => String::new(),
    }
}
