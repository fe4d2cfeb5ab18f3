//! App Store Connect's words for what the console shows: role titles, messages as sentences, dates.

use keyward_core::role::Role;

/// A role's title as pages show it ([`Role::title`]).
pub(crate) fn title(role: Role) -> String {
    role.title().to_owned()
}

/// A rule's message as a sentence: capitalised, one full stop.
pub(crate) fn sentence(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(first) => format!("{}{}.", first.to_uppercase(), c.as_str().trim_end_matches('.')),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_role_has_app_store_connects_title() {
        let titles: Vec<String> = Role::ALL.iter().map(|r| title(*r)).collect();
        assert_eq!(titles[2], "App Manager");
        assert_eq!(title(Role::AccessToReports), "Access to Reports");
        assert_eq!(title(Role::GenerateIndividualKeys), "Generate Individual API Keys");
        let mut unique = titles.clone();
        unique.dedup();
        assert_eq!(unique.len(), Role::ALL.len(), "{titles:?}");
    }

    #[test]
    fn rule_messages_read_as_sentences() {
        assert_eq!(sentence("a key needs a name."), "A key needs a name.");
        assert_eq!(sentence(""), "");
    }
}

/// A date as people read it in App Store Connect (`Nov 30, 2026`, with the time where it matters),
/// inside `<time datetime="…">` carrying the ISO 8601 value for machines and assistive technology.
/// The API and `--json` keep ISO 8601; this is only for pages.
#[derive(Debug, Clone, Default)]
pub(crate) struct When {
    iso: String,
    text: String,
}

impl When {
    fn of(t: time::OffsetDateTime, with_time: bool) -> When {
        let t = t.to_offset(time::UtcOffset::UTC);
        let text = if with_time {
            let fmt = time::macros::format_description!(
                "[month repr:short] [day padding:none], [year] at [hour repr:12 padding:none]:[minute] [period] UTC"
            );
            t.format(&fmt).unwrap_or_default()
        } else {
            crate::views::human_date(t)
        };
        When { iso: crate::views::timestamp(t), text }
    }

    /// The day: created, revoked, expires.
    pub(crate) fn date(t: time::OffsetDateTime) -> When {
        When::of(t, true).date_only()
    }

    fn date_only(self) -> When {
        When { text: self.text.split(" at ").next().unwrap_or_default().to_owned(), ..self }
    }

    /// The day and the time: last used, audit events, authentication failures.
    pub(crate) fn date_time(t: time::OffsetDateTime) -> When {
        When::of(t, true)
    }

    /// No date, in words ("Never").
    pub(crate) fn words(text: &str) -> When {
        When { iso: String::new(), text: text.to_owned() }
    }
}

impl std::fmt::Display for When {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Both parts come from time's formatters (digits, letters, `:`, `,`, `+`, spaces) or from
        // our own words, so nothing here needs escaping.
        if self.iso.is_empty() {
            f.write_str(&self.text)
        } else {
            write!(f, "<time datetime=\"{}\">{}</time>", self.iso, self.text)
        }
    }
}

impl askama::filters::HtmlSafe for When {}

#[cfg(test)]
mod when_tests {
    use super::When;

    #[test]
    fn dates_read_as_app_store_connect_writes_them() {
        let t = time::macros::datetime!(2026-11-30 16:40:25 UTC);
        assert_eq!(When::date(t).to_string(), r#"<time datetime="2026-11-30T16:40:25+00:00">Nov 30, 2026</time>"#);
        assert_eq!(
            When::date_time(t).to_string(),
            r#"<time datetime="2026-11-30T16:40:25+00:00">Nov 30, 2026 at 4:40 PM UTC</time>"#
        );
        assert_eq!(When::words("Never").to_string(), "Never");
    }
}
