//! App Store Connect's words for what the console shows: role titles, messages as sentences.

use keyward_core::role::Role;

/// App Store Connect's names of roles (`APP_MANAGER` → "App Manager"), spelled out because some
/// are not the enum's words ("Access to Reports", "Generate Individual API Keys").
pub(crate) fn title(role: Role) -> String {
    match role {
        Role::AccountHolder => "Account Holder",
        Role::Admin => "Admin",
        Role::AppManager => "App Manager",
        Role::Developer => "Developer",
        Role::Marketing => "Marketing",
        Role::Sales => "Sales",
        Role::Finance => "Finance",
        Role::CustomerSupport => "Customer Support",
        Role::AccessToReports => "Access to Reports",
        Role::CreateApps => "Create Apps",
        Role::CloudManagedAppDistribution => "Cloud Managed App Distribution",
        Role::CloudManagedDeveloperId => "Cloud Managed Developer ID",
        Role::GenerateIndividualKeys => "Generate Individual API Keys",
    }
    .to_owned()
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
