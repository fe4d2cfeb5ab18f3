//! Every resource family of Apple's App Store Connect API (spec R6): the group of features it
//! belongs to, and so the area and the roles that may read and write it. One table, generated
//! once from Apple's document (its 195 path families) and checked against it by a test in
//! `keyward-server`, so a family Apple adds cannot go unassigned.
//!
//! Each row cites where its roles come from ([`Cite`]): the feature's row on Apple's "Role
//! permissions" page, or for Certificates, Identifiers & Profiles Apple's "Program Roles" page.
//! Where Apple is silent about a family, the row names the documented family it follows.
//! `docs/roles.md` renders the table with each family's areas and roles (`role_table.rs`).

use crate::role::{Role, RoleSet};

/// A group of features with one set of roles.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Group {
    /// Section 5's own areas; their roles are `policy::Area`'s.
    Apps,
    Users,
    Provisioning,
    SalesReports,
    FinanceReports,
    CustomerReviews,
    Testflight,
    /// App Store information, versions, localizations, screenshots, previews, events, App Clips,
    /// custom product pages, experiments, review submissions.
    AppMetadata,
    /// In-app purchases, subscriptions, offers, pricing and availability.
    Commerce,
    GameCenter,
    XcodeCloud,
    /// App analytics reports and diagnostics.
    Analytics,
    /// Alternative distribution, marketplace and webhooks: account-level settings.
    Distribution,
}

impl Group {
    /// Who may read (GET) and who may write (anything else) in the group; `None` for section 5's
    /// groups, whose areas the policy table holds.
    pub fn roles(self) -> Option<(RoleSet, RoleSet)> {
        use Role::*;
        let both = |read: &[Role], write: &[Role]| Some((RoleSet::of(read), RoleSet::of(write)));
        match self {
            Group::AppMetadata => {
                both(&[Admin, AppManager, Developer, Marketing, CustomerSupport], &[Admin, AppManager, Marketing])
            }
            Group::Commerce => both(&[Admin, AppManager, Finance, Sales], &[Admin, AppManager]),
            Group::GameCenter => both(&[Admin, AppManager, Developer, Marketing], &[Admin, AppManager]),
            Group::XcodeCloud => both(&[Admin, AppManager, Developer], &[Admin, AppManager, Developer]),
            Group::Analytics => both(&[Admin, AppManager, Finance, Sales, Marketing], &[Admin, AppManager]),
            Group::Distribution => both(&[Admin, AppManager], &[Admin]),
            _ => None,
        }
    }
}

/// Where a row's roles come from.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Cite {
    /// The feature of this name on Apple's "Role permissions" page ([`ROLE_PERMISSIONS`]).
    RolePermissions(&'static str),
    /// The task of this name on Apple's "Program Roles" page ([`PROGRAM_ROLES`]).
    ProgramRoles(&'static str),
    /// Apple is silent about the family; its roles follow the documented family named here.
    Follows(&'static str),
}

/// Apple's page of App Store Connect features and the roles that may use them.
pub const ROLE_PERMISSIONS: &str = "https://developer.apple.com/help/app-store-connect/reference/role-permissions";
/// Apple's page of Apple Developer Program roles (Certificates, Identifiers & Profiles).
pub const PROGRAM_ROLES: &str = "https://developer.apple.com/support/roles/";

impl Cite {
    /// The citation as one line of prose, with the page's address.
    pub fn describe(self) -> String {
        match self {
            Cite::RolePermissions(feature) => format!("[Role permissions]({ROLE_PERMISSIONS}): {feature}"),
            Cite::ProgramRoles(task) => format!("[Program Roles]({PROGRAM_ROLES}): {task}"),
            Cite::Follows(family) => format!("Apple is silent; follows {family}"),
        }
    }
}

/// Every family of Apple's document 4.4.1, its group and where its roles come from.
pub const FAMILIES: [(&str, Group, Cite); 195] = [
    ("accessibilityDeclarations", Group::AppMetadata, Cite::Follows("appInfos (App information)")),
    ("actors", Group::Users, Cite::Follows("users (Users and Access)")),
    ("ageRatingDeclarations", Group::AppMetadata, Cite::RolePermissions("App information")),
    (
        "alternativeDistributionDomains",
        Group::Distribution,
        Cite::Follows("users (Admin-only account settings; Apple does not list alternative distribution)"),
    ),
    (
        "alternativeDistributionKeys",
        Group::Distribution,
        Cite::Follows("users (Admin-only account settings; Apple does not list alternative distribution)"),
    ),
    (
        "alternativeDistributionPackageDeltas",
        Group::Distribution,
        Cite::Follows("users (Admin-only account settings; Apple does not list alternative distribution)"),
    ),
    (
        "alternativeDistributionPackageVariants",
        Group::Distribution,
        Cite::Follows("users (Admin-only account settings; Apple does not list alternative distribution)"),
    ),
    (
        "alternativeDistributionPackageVersions",
        Group::Distribution,
        Cite::Follows("users (Admin-only account settings; Apple does not list alternative distribution)"),
    ),
    (
        "alternativeDistributionPackages",
        Group::Distribution,
        Cite::Follows("users (Admin-only account settings; Apple does not list alternative distribution)"),
    ),
    ("analyticsReportInstances", Group::Analytics, Cite::RolePermissions("App Analytics")),
    ("analyticsReportRequests", Group::Analytics, Cite::RolePermissions("App Analytics")),
    ("analyticsReportSegments", Group::Analytics, Cite::RolePermissions("App Analytics")),
    ("analyticsReports", Group::Analytics, Cite::RolePermissions("App Analytics")),
    ("androidToIosAppMappingDetails", Group::AppMetadata, Cite::Follows("appInfos (App information)")),
    ("appAvailabilities", Group::Commerce, Cite::RolePermissions("Pricing and availability")),
    ("appCategories", Group::AppMetadata, Cite::RolePermissions("App information")),
    ("appClipAdvancedExperienceImages", Group::AppMetadata, Cite::RolePermissions("App Clip experiences")),
    ("appClipAdvancedExperiences", Group::AppMetadata, Cite::RolePermissions("App Clip experiences")),
    ("appClipAppStoreReviewDetails", Group::AppMetadata, Cite::RolePermissions("App Clip experiences")),
    ("appClipDefaultExperienceLocalizations", Group::AppMetadata, Cite::RolePermissions("App Clip experiences")),
    ("appClipDefaultExperiences", Group::AppMetadata, Cite::RolePermissions("App Clip experiences")),
    ("appClipHeaderImages", Group::AppMetadata, Cite::RolePermissions("App Clip experiences")),
    ("appClips", Group::AppMetadata, Cite::RolePermissions("App Clip experiences")),
    ("appCustomProductPageLocalizations", Group::AppMetadata, Cite::RolePermissions("Custom product pages")),
    ("appCustomProductPageVersions", Group::AppMetadata, Cite::RolePermissions("Custom product pages")),
    ("appCustomProductPages", Group::AppMetadata, Cite::RolePermissions("Custom product pages")),
    ("appEncryptionDeclarationDocuments", Group::Testflight, Cite::RolePermissions("Export compliance")),
    ("appEncryptionDeclarations", Group::Testflight, Cite::RolePermissions("Export compliance")),
    ("appEventLocalizations", Group::AppMetadata, Cite::RolePermissions("In-app events")),
    ("appEventScreenshots", Group::AppMetadata, Cite::RolePermissions("In-app events")),
    ("appEventVideoClips", Group::AppMetadata, Cite::RolePermissions("In-app events")),
    ("appEvents", Group::AppMetadata, Cite::RolePermissions("In-app events")),
    ("appInfoLocalizations", Group::AppMetadata, Cite::RolePermissions("App information")),
    ("appInfos", Group::AppMetadata, Cite::RolePermissions("App information")),
    ("appPreviewSets", Group::AppMetadata, Cite::RolePermissions("App Store screenshots and previews")),
    ("appPreviews", Group::AppMetadata, Cite::RolePermissions("App Store screenshots and previews")),
    ("appPricePoints", Group::Commerce, Cite::RolePermissions("Pricing and availability")),
    ("appPriceSchedules", Group::Commerce, Cite::RolePermissions("Pricing and availability")),
    ("appScreenshotSets", Group::AppMetadata, Cite::RolePermissions("App Store screenshots and previews")),
    ("appScreenshots", Group::AppMetadata, Cite::RolePermissions("App Store screenshots and previews")),
    ("appStoreReviewAttachments", Group::AppMetadata, Cite::RolePermissions("Submit apps for review")),
    ("appStoreReviewDetails", Group::AppMetadata, Cite::RolePermissions("Submit apps for review")),
    (
        "appStoreVersionExperimentTreatmentLocalizations",
        Group::AppMetadata,
        Cite::RolePermissions("Product page optimization"),
    ),
    ("appStoreVersionExperimentTreatments", Group::AppMetadata, Cite::RolePermissions("Product page optimization")),
    ("appStoreVersionExperiments", Group::AppMetadata, Cite::RolePermissions("Product page optimization")),
    ("appStoreVersionLocalizations", Group::AppMetadata, Cite::RolePermissions("App Store versions")),
    ("appStoreVersionPhasedReleases", Group::AppMetadata, Cite::RolePermissions("Release versions")),
    ("appStoreVersionPromotions", Group::AppMetadata, Cite::RolePermissions("App Store versions")),
    ("appStoreVersionReleaseRequests", Group::AppMetadata, Cite::RolePermissions("Release versions")),
    ("appStoreVersionSubmissions", Group::AppMetadata, Cite::RolePermissions("Submit apps for review")),
    ("appStoreVersions", Group::AppMetadata, Cite::RolePermissions("App Store versions")),
    ("appTags", Group::AppMetadata, Cite::Follows("appInfos (App information)")),
    ("apps", Group::Apps, Cite::RolePermissions("Apps")),
    ("backgroundAssetUploadFiles", Group::AppMetadata, Cite::Follows("appStoreVersions (App Store versions)")),
    (
        "backgroundAssetVersionAppStoreReleases",
        Group::AppMetadata,
        Cite::Follows("appStoreVersions (App Store versions)"),
    ),
    (
        "backgroundAssetVersionExternalBetaReleases",
        Group::AppMetadata,
        Cite::Follows("appStoreVersions (App Store versions)"),
    ),
    (
        "backgroundAssetVersionInternalBetaReleases",
        Group::AppMetadata,
        Cite::Follows("appStoreVersions (App Store versions)"),
    ),
    ("backgroundAssetVersions", Group::AppMetadata, Cite::Follows("appStoreVersions (App Store versions)")),
    ("backgroundAssets", Group::AppMetadata, Cite::Follows("appStoreVersions (App Store versions)")),
    ("betaAppClipInvocationLocalizations", Group::Testflight, Cite::RolePermissions("TestFlight")),
    ("betaAppClipInvocations", Group::Testflight, Cite::RolePermissions("TestFlight")),
    ("betaAppLocalizations", Group::Testflight, Cite::RolePermissions("TestFlight")),
    ("betaAppReviewDetails", Group::Testflight, Cite::RolePermissions("TestFlight")),
    ("betaAppReviewSubmissions", Group::Testflight, Cite::RolePermissions("TestFlight")),
    ("betaBuildLocalizations", Group::Testflight, Cite::RolePermissions("TestFlight")),
    ("betaCrashLogs", Group::Testflight, Cite::RolePermissions("TestFlight")),
    ("betaFeedbackCrashSubmissions", Group::Testflight, Cite::RolePermissions("TestFlight")),
    ("betaFeedbackScreenshotSubmissions", Group::Testflight, Cite::RolePermissions("TestFlight")),
    ("betaGroups", Group::Testflight, Cite::RolePermissions("TestFlight")),
    ("betaLicenseAgreements", Group::Testflight, Cite::RolePermissions("TestFlight")),
    ("betaRecruitmentCriteria", Group::Testflight, Cite::RolePermissions("TestFlight")),
    ("betaRecruitmentCriterionOptions", Group::Testflight, Cite::RolePermissions("TestFlight")),
    ("betaTesterInvitations", Group::Testflight, Cite::RolePermissions("TestFlight")),
    ("betaTesters", Group::Testflight, Cite::RolePermissions("TestFlight")),
    ("buildBetaDetails", Group::Testflight, Cite::RolePermissions("TestFlight")),
    ("buildBetaNotifications", Group::Testflight, Cite::RolePermissions("TestFlight")),
    ("buildBundles", Group::Testflight, Cite::RolePermissions("Upload builds")),
    ("buildUploadFiles", Group::Testflight, Cite::RolePermissions("Upload builds")),
    ("buildUploads", Group::Testflight, Cite::RolePermissions("Upload builds")),
    ("builds", Group::Testflight, Cite::RolePermissions("TestFlight")),
    ("bundleIdCapabilities", Group::Provisioning, Cite::ProgramRoles("Register and configure App IDs")),
    ("bundleIds", Group::Provisioning, Cite::ProgramRoles("Register and configure App IDs")),
    (
        "certificates",
        Group::Provisioning,
        Cite::ProgramRoles("Create and revoke development and distribution certificates"),
    ),
    ("ciArtifacts", Group::XcodeCloud, Cite::RolePermissions("Xcode Cloud")),
    ("ciBuildActions", Group::XcodeCloud, Cite::RolePermissions("Xcode Cloud")),
    ("ciBuildRuns", Group::XcodeCloud, Cite::RolePermissions("Xcode Cloud")),
    ("ciIssues", Group::XcodeCloud, Cite::RolePermissions("Xcode Cloud")),
    ("ciMacOsVersions", Group::XcodeCloud, Cite::RolePermissions("Xcode Cloud")),
    ("ciProducts", Group::XcodeCloud, Cite::RolePermissions("Xcode Cloud")),
    ("ciTestResults", Group::XcodeCloud, Cite::RolePermissions("Xcode Cloud")),
    ("ciWorkflows", Group::XcodeCloud, Cite::RolePermissions("Xcode Cloud")),
    ("ciXcodeVersions", Group::XcodeCloud, Cite::RolePermissions("Xcode Cloud")),
    ("customerReviewResponses", Group::CustomerReviews, Cite::RolePermissions("Customer reviews")),
    ("customerReviews", Group::CustomerReviews, Cite::RolePermissions("Customer reviews")),
    ("devices", Group::Provisioning, Cite::ProgramRoles("Add UDIDs; disable UDIDs")),
    ("diagnosticSignatures", Group::Analytics, Cite::Follows("analyticsReports (App Analytics)")),
    ("endAppAvailabilityPreOrders", Group::Commerce, Cite::RolePermissions("Pricing and availability")),
    ("endUserLicenseAgreements", Group::AppMetadata, Cite::RolePermissions("App information")),
    ("financeReports", Group::FinanceReports, Cite::RolePermissions("Payments and Financial Reports")),
    ("gameCenterAchievementImages", Group::GameCenter, Cite::RolePermissions("Game Center")),
    ("gameCenterAchievementLocalizations", Group::GameCenter, Cite::RolePermissions("Game Center")),
    ("gameCenterAchievementReleases", Group::GameCenter, Cite::RolePermissions("Game Center")),
    ("gameCenterAchievementVersions", Group::GameCenter, Cite::RolePermissions("Game Center")),
    ("gameCenterAchievements", Group::GameCenter, Cite::RolePermissions("Game Center")),
    ("gameCenterActivities", Group::GameCenter, Cite::RolePermissions("Game Center")),
    ("gameCenterActivityImages", Group::GameCenter, Cite::RolePermissions("Game Center")),
    ("gameCenterActivityLocalizations", Group::GameCenter, Cite::RolePermissions("Game Center")),
    ("gameCenterActivityVersionReleases", Group::GameCenter, Cite::RolePermissions("Game Center")),
    ("gameCenterActivityVersions", Group::GameCenter, Cite::RolePermissions("Game Center")),
    ("gameCenterAppVersions", Group::GameCenter, Cite::RolePermissions("Game Center")),
    ("gameCenterChallengeImages", Group::GameCenter, Cite::RolePermissions("Game Center")),
    ("gameCenterChallengeLocalizations", Group::GameCenter, Cite::RolePermissions("Game Center")),
    ("gameCenterChallengeVersionReleases", Group::GameCenter, Cite::RolePermissions("Game Center")),
    ("gameCenterChallengeVersions", Group::GameCenter, Cite::RolePermissions("Game Center")),
    ("gameCenterChallenges", Group::GameCenter, Cite::RolePermissions("Game Center")),
    ("gameCenterDetails", Group::GameCenter, Cite::RolePermissions("Game Center")),
    ("gameCenterEnabledVersions", Group::GameCenter, Cite::RolePermissions("Game Center")),
    ("gameCenterGroups", Group::GameCenter, Cite::RolePermissions("Game Center")),
    ("gameCenterLeaderboardEntrySubmissions", Group::GameCenter, Cite::RolePermissions("Game Center")),
    ("gameCenterLeaderboardImages", Group::GameCenter, Cite::RolePermissions("Game Center")),
    ("gameCenterLeaderboardLocalizations", Group::GameCenter, Cite::RolePermissions("Game Center")),
    ("gameCenterLeaderboardReleases", Group::GameCenter, Cite::RolePermissions("Game Center")),
    ("gameCenterLeaderboardSetImages", Group::GameCenter, Cite::RolePermissions("Game Center")),
    ("gameCenterLeaderboardSetLocalizations", Group::GameCenter, Cite::RolePermissions("Game Center")),
    ("gameCenterLeaderboardSetMemberLocalizations", Group::GameCenter, Cite::RolePermissions("Game Center")),
    ("gameCenterLeaderboardSetReleases", Group::GameCenter, Cite::RolePermissions("Game Center")),
    ("gameCenterLeaderboardSetVersions", Group::GameCenter, Cite::RolePermissions("Game Center")),
    ("gameCenterLeaderboardSets", Group::GameCenter, Cite::RolePermissions("Game Center")),
    ("gameCenterLeaderboardVersions", Group::GameCenter, Cite::RolePermissions("Game Center")),
    ("gameCenterLeaderboards", Group::GameCenter, Cite::RolePermissions("Game Center")),
    ("gameCenterMatchmakingQueues", Group::GameCenter, Cite::RolePermissions("Game Center")),
    ("gameCenterMatchmakingRuleSetTests", Group::GameCenter, Cite::RolePermissions("Game Center")),
    ("gameCenterMatchmakingRuleSets", Group::GameCenter, Cite::RolePermissions("Game Center")),
    ("gameCenterMatchmakingRules", Group::GameCenter, Cite::RolePermissions("Game Center")),
    ("gameCenterMatchmakingTeams", Group::GameCenter, Cite::RolePermissions("Game Center")),
    ("gameCenterPlayerAchievementSubmissions", Group::GameCenter, Cite::RolePermissions("Game Center")),
    ("inAppPurchaseAppStoreReviewScreenshots", Group::Commerce, Cite::RolePermissions("In-app purchases")),
    ("inAppPurchaseAvailabilities", Group::Commerce, Cite::RolePermissions("In-app purchases")),
    ("inAppPurchaseContents", Group::Commerce, Cite::RolePermissions("In-app purchases")),
    ("inAppPurchaseImages", Group::Commerce, Cite::RolePermissions("In-app purchases")),
    ("inAppPurchaseLocalizations", Group::Commerce, Cite::RolePermissions("In-app purchases")),
    ("inAppPurchaseOfferCodeCustomCodes", Group::Commerce, Cite::RolePermissions("In-app purchases")),
    ("inAppPurchaseOfferCodeOneTimeUseCodes", Group::Commerce, Cite::RolePermissions("In-app purchases")),
    ("inAppPurchaseOfferCodes", Group::Commerce, Cite::RolePermissions("In-app purchases")),
    ("inAppPurchasePricePoints", Group::Commerce, Cite::RolePermissions("In-app purchases")),
    ("inAppPurchasePriceSchedules", Group::Commerce, Cite::RolePermissions("In-app purchases")),
    ("inAppPurchaseSubmissions", Group::Commerce, Cite::RolePermissions("In-app purchases")),
    ("inAppPurchaseVersions", Group::Commerce, Cite::RolePermissions("In-app purchases")),
    ("inAppPurchases", Group::Commerce, Cite::RolePermissions("In-app purchases")),
    (
        "marketplaceSearchDetails",
        Group::Distribution,
        Cite::Follows("users (Admin-only account settings; Apple does not list marketplaces)"),
    ),
    (
        "marketplaceWebhooks",
        Group::Distribution,
        Cite::Follows("users (Admin-only account settings; Apple does not list marketplaces)"),
    ),
    ("merchantIds", Group::Provisioning, Cite::ProgramRoles("Register and configure App IDs")),
    ("nominations", Group::AppMetadata, Cite::Follows("appEvents (In-app events)")),
    ("passTypeIds", Group::Provisioning, Cite::ProgramRoles("Register and configure App IDs")),
    ("preReleaseVersions", Group::Testflight, Cite::RolePermissions("TestFlight")),
    ("profiles", Group::Provisioning, Cite::ProgramRoles("Create and delete provisioning profiles")),
    ("promotedPurchases", Group::Commerce, Cite::RolePermissions("In-app purchases")),
    ("reviewSubmissionItems", Group::AppMetadata, Cite::RolePermissions("Submit apps for review")),
    ("reviewSubmissions", Group::AppMetadata, Cite::RolePermissions("Submit apps for review")),
    ("routingAppCoverages", Group::AppMetadata, Cite::RolePermissions("App information")),
    ("salesReports", Group::SalesReports, Cite::RolePermissions("Sales and Trends")),
    ("sandboxTesters", Group::Testflight, Cite::RolePermissions("Sandbox testers")),
    ("sandboxTestersClearPurchaseHistoryRequest", Group::Testflight, Cite::RolePermissions("Sandbox testers")),
    ("scmGitReferences", Group::XcodeCloud, Cite::RolePermissions("Xcode Cloud")),
    ("scmProviders", Group::XcodeCloud, Cite::RolePermissions("Xcode Cloud")),
    ("scmPullRequests", Group::XcodeCloud, Cite::RolePermissions("Xcode Cloud")),
    ("scmRepositories", Group::XcodeCloud, Cite::RolePermissions("Xcode Cloud")),
    ("subscriptionAppStoreReviewScreenshots", Group::Commerce, Cite::RolePermissions("Subscriptions")),
    ("subscriptionAvailabilities", Group::Commerce, Cite::RolePermissions("Subscriptions")),
    ("subscriptionGracePeriods", Group::Commerce, Cite::RolePermissions("Subscriptions")),
    ("subscriptionGroupLocalizations", Group::Commerce, Cite::RolePermissions("Subscriptions")),
    ("subscriptionGroupSubmissions", Group::Commerce, Cite::RolePermissions("Subscriptions")),
    ("subscriptionGroupVersions", Group::Commerce, Cite::RolePermissions("Subscriptions")),
    ("subscriptionGroups", Group::Commerce, Cite::RolePermissions("Subscriptions")),
    ("subscriptionImages", Group::Commerce, Cite::RolePermissions("Subscriptions")),
    ("subscriptionIntroductoryOffers", Group::Commerce, Cite::RolePermissions("Subscriptions")),
    ("subscriptionLocalizations", Group::Commerce, Cite::RolePermissions("Subscriptions")),
    ("subscriptionOfferCodeCustomCodes", Group::Commerce, Cite::RolePermissions("Subscriptions")),
    ("subscriptionOfferCodeOneTimeUseCodes", Group::Commerce, Cite::RolePermissions("Subscriptions")),
    ("subscriptionOfferCodes", Group::Commerce, Cite::RolePermissions("Subscriptions")),
    ("subscriptionPlanAvailabilities", Group::Commerce, Cite::RolePermissions("Subscriptions")),
    ("subscriptionPricePoints", Group::Commerce, Cite::RolePermissions("Subscriptions")),
    ("subscriptionPrices", Group::Commerce, Cite::RolePermissions("Subscriptions")),
    ("subscriptionPromotionalOffers", Group::Commerce, Cite::RolePermissions("Subscriptions")),
    ("subscriptionSubmissions", Group::Commerce, Cite::RolePermissions("Subscriptions")),
    ("subscriptionVersions", Group::Commerce, Cite::RolePermissions("Subscriptions")),
    ("subscriptions", Group::Commerce, Cite::RolePermissions("Subscriptions")),
    ("territories", Group::Commerce, Cite::RolePermissions("Pricing and availability")),
    ("territoryAvailabilities", Group::Commerce, Cite::RolePermissions("Pricing and availability")),
    ("userInvitations", Group::Users, Cite::RolePermissions("Users and Access")),
    ("users", Group::Users, Cite::RolePermissions("Users and Access")),
    ("webhookDeliveries", Group::Distribution, Cite::Follows("webhooks")),
    ("webhookPings", Group::Distribution, Cite::Follows("webhooks")),
    (
        "webhooks",
        Group::Distribution,
        Cite::Follows("users (Admin-only account settings; Apple does not list webhooks)"),
    ),
    ("winBackOffers", Group::Commerce, Cite::RolePermissions("Subscriptions")),
];

/// The group of a family (`betaGroups`), if the table has it.
pub fn group_of(family: &str) -> Option<Group> {
    FAMILIES.iter().find(|(f, _, _)| *f == family).map(|(_, g, _)| *g)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r6_every_family_is_listed_once_in_order() {
        let names: Vec<&str> = FAMILIES.iter().map(|(f, _, _)| *f).collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(names, sorted, "one row per family, in order");
        assert_eq!(group_of("betaGroups"), Some(Group::Testflight));
        assert_eq!(group_of("appStoreVersions"), Some(Group::AppMetadata));
        assert_eq!(group_of("nothing"), None);
    }

    #[test]
    fn r6_a_row_that_follows_names_a_family_of_the_table() {
        for (family, _, cite) in FAMILIES {
            if let Cite::Follows(followed) = cite {
                let named = followed.split(' ').next().unwrap_or_default();
                assert!(group_of(named).is_some(), "{family} follows {named}, which is no family");
                assert_ne!(named, family, "{family} cannot follow itself");
            }
        }
    }
}
