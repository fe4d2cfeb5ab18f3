//! Every resource family of Apple's App Store Connect API (spec R6): the group of features it
//! belongs to, and so the area and the roles that may read and write it. One table, generated
//! once from Apple's document (its 195 path families) and checked against it by a test in
//! `keyward-server`, so a family Apple adds cannot go unassigned.
//!
//! The roles come from Apple's "Role permissions" page
//! (<https://developer.apple.com/help/app-store-connect/reference/role-permissions>), section by
//! section as [`Group::source`] names it. Where that page is silent about a family, it follows
//! the documented feature it belongs to, which [`Group::source`] says too.

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
    /// The section of Apple's "Role permissions" page the roles come from, or the documented
    /// feature followed where the page is silent.
    pub fn source(self) -> &'static str {
        match self {
            Group::Apps
            | Group::Users
            | Group::Provisioning
            | Group::SalesReports
            | Group::FinanceReports
            | Group::CustomerReviews
            | Group::Testflight => "spec section 5 (Role permissions: the feature of the same name)",
            Group::AppMetadata => "Role permissions: App Store information, app metadata and App Review submissions",
            Group::Commerce => "Role permissions: in-app purchases, subscriptions, pricing and availability",
            Group::GameCenter => "Role permissions: Game Center",
            Group::XcodeCloud => "Role permissions: Xcode Cloud",
            Group::Analytics => "Role permissions: App Analytics (diagnostics follow App Analytics)",
            Group::Distribution => "silent; follows the account-level Agreements and Users and Access settings (Admin)",
        }
    }

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

/// Every family of Apple's document 4.4.1 and its group.
pub const FAMILIES: [(&str, Group); 195] = [
    ("accessibilityDeclarations", Group::AppMetadata),
    ("actors", Group::Users),
    ("ageRatingDeclarations", Group::AppMetadata),
    ("alternativeDistributionDomains", Group::Distribution),
    ("alternativeDistributionKeys", Group::Distribution),
    ("alternativeDistributionPackageDeltas", Group::Distribution),
    ("alternativeDistributionPackageVariants", Group::Distribution),
    ("alternativeDistributionPackageVersions", Group::Distribution),
    ("alternativeDistributionPackages", Group::Distribution),
    ("analyticsReportInstances", Group::Analytics),
    ("analyticsReportRequests", Group::Analytics),
    ("analyticsReportSegments", Group::Analytics),
    ("analyticsReports", Group::Analytics),
    ("androidToIosAppMappingDetails", Group::AppMetadata),
    ("appAvailabilities", Group::Commerce),
    ("appCategories", Group::AppMetadata),
    ("appClipAdvancedExperienceImages", Group::AppMetadata),
    ("appClipAdvancedExperiences", Group::AppMetadata),
    ("appClipAppStoreReviewDetails", Group::AppMetadata),
    ("appClipDefaultExperienceLocalizations", Group::AppMetadata),
    ("appClipDefaultExperiences", Group::AppMetadata),
    ("appClipHeaderImages", Group::AppMetadata),
    ("appClips", Group::AppMetadata),
    ("appCustomProductPageLocalizations", Group::AppMetadata),
    ("appCustomProductPageVersions", Group::AppMetadata),
    ("appCustomProductPages", Group::AppMetadata),
    ("appEncryptionDeclarationDocuments", Group::Testflight),
    ("appEncryptionDeclarations", Group::Testflight),
    ("appEventLocalizations", Group::AppMetadata),
    ("appEventScreenshots", Group::AppMetadata),
    ("appEventVideoClips", Group::AppMetadata),
    ("appEvents", Group::AppMetadata),
    ("appInfoLocalizations", Group::AppMetadata),
    ("appInfos", Group::AppMetadata),
    ("appPreviewSets", Group::AppMetadata),
    ("appPreviews", Group::AppMetadata),
    ("appPricePoints", Group::Commerce),
    ("appPriceSchedules", Group::Commerce),
    ("appScreenshotSets", Group::AppMetadata),
    ("appScreenshots", Group::AppMetadata),
    ("appStoreReviewAttachments", Group::AppMetadata),
    ("appStoreReviewDetails", Group::AppMetadata),
    ("appStoreVersionExperimentTreatmentLocalizations", Group::AppMetadata),
    ("appStoreVersionExperimentTreatments", Group::AppMetadata),
    ("appStoreVersionExperiments", Group::AppMetadata),
    ("appStoreVersionLocalizations", Group::AppMetadata),
    ("appStoreVersionPhasedReleases", Group::AppMetadata),
    ("appStoreVersionPromotions", Group::AppMetadata),
    ("appStoreVersionReleaseRequests", Group::AppMetadata),
    ("appStoreVersionSubmissions", Group::AppMetadata),
    ("appStoreVersions", Group::AppMetadata),
    ("appTags", Group::AppMetadata),
    ("apps", Group::Apps),
    ("backgroundAssetUploadFiles", Group::AppMetadata),
    ("backgroundAssetVersionAppStoreReleases", Group::AppMetadata),
    ("backgroundAssetVersionExternalBetaReleases", Group::AppMetadata),
    ("backgroundAssetVersionInternalBetaReleases", Group::AppMetadata),
    ("backgroundAssetVersions", Group::AppMetadata),
    ("backgroundAssets", Group::AppMetadata),
    ("betaAppClipInvocationLocalizations", Group::Testflight),
    ("betaAppClipInvocations", Group::Testflight),
    ("betaAppLocalizations", Group::Testflight),
    ("betaAppReviewDetails", Group::Testflight),
    ("betaAppReviewSubmissions", Group::Testflight),
    ("betaBuildLocalizations", Group::Testflight),
    ("betaCrashLogs", Group::Testflight),
    ("betaFeedbackCrashSubmissions", Group::Testflight),
    ("betaFeedbackScreenshotSubmissions", Group::Testflight),
    ("betaGroups", Group::Testflight),
    ("betaLicenseAgreements", Group::Testflight),
    ("betaRecruitmentCriteria", Group::Testflight),
    ("betaRecruitmentCriterionOptions", Group::Testflight),
    ("betaTesterInvitations", Group::Testflight),
    ("betaTesters", Group::Testflight),
    ("buildBetaDetails", Group::Testflight),
    ("buildBetaNotifications", Group::Testflight),
    ("buildBundles", Group::Testflight),
    ("buildUploadFiles", Group::Testflight),
    ("buildUploads", Group::Testflight),
    ("builds", Group::Testflight),
    ("bundleIdCapabilities", Group::Provisioning),
    ("bundleIds", Group::Provisioning),
    ("certificates", Group::Provisioning),
    ("ciArtifacts", Group::XcodeCloud),
    ("ciBuildActions", Group::XcodeCloud),
    ("ciBuildRuns", Group::XcodeCloud),
    ("ciIssues", Group::XcodeCloud),
    ("ciMacOsVersions", Group::XcodeCloud),
    ("ciProducts", Group::XcodeCloud),
    ("ciTestResults", Group::XcodeCloud),
    ("ciWorkflows", Group::XcodeCloud),
    ("ciXcodeVersions", Group::XcodeCloud),
    ("customerReviewResponses", Group::CustomerReviews),
    ("customerReviews", Group::CustomerReviews),
    ("devices", Group::Provisioning),
    ("diagnosticSignatures", Group::Analytics),
    ("endAppAvailabilityPreOrders", Group::Commerce),
    ("endUserLicenseAgreements", Group::AppMetadata),
    ("financeReports", Group::FinanceReports),
    ("gameCenterAchievementImages", Group::GameCenter),
    ("gameCenterAchievementLocalizations", Group::GameCenter),
    ("gameCenterAchievementReleases", Group::GameCenter),
    ("gameCenterAchievementVersions", Group::GameCenter),
    ("gameCenterAchievements", Group::GameCenter),
    ("gameCenterActivities", Group::GameCenter),
    ("gameCenterActivityImages", Group::GameCenter),
    ("gameCenterActivityLocalizations", Group::GameCenter),
    ("gameCenterActivityVersionReleases", Group::GameCenter),
    ("gameCenterActivityVersions", Group::GameCenter),
    ("gameCenterAppVersions", Group::GameCenter),
    ("gameCenterChallengeImages", Group::GameCenter),
    ("gameCenterChallengeLocalizations", Group::GameCenter),
    ("gameCenterChallengeVersionReleases", Group::GameCenter),
    ("gameCenterChallengeVersions", Group::GameCenter),
    ("gameCenterChallenges", Group::GameCenter),
    ("gameCenterDetails", Group::GameCenter),
    ("gameCenterEnabledVersions", Group::GameCenter),
    ("gameCenterGroups", Group::GameCenter),
    ("gameCenterLeaderboardEntrySubmissions", Group::GameCenter),
    ("gameCenterLeaderboardImages", Group::GameCenter),
    ("gameCenterLeaderboardLocalizations", Group::GameCenter),
    ("gameCenterLeaderboardReleases", Group::GameCenter),
    ("gameCenterLeaderboardSetImages", Group::GameCenter),
    ("gameCenterLeaderboardSetLocalizations", Group::GameCenter),
    ("gameCenterLeaderboardSetMemberLocalizations", Group::GameCenter),
    ("gameCenterLeaderboardSetReleases", Group::GameCenter),
    ("gameCenterLeaderboardSetVersions", Group::GameCenter),
    ("gameCenterLeaderboardSets", Group::GameCenter),
    ("gameCenterLeaderboardVersions", Group::GameCenter),
    ("gameCenterLeaderboards", Group::GameCenter),
    ("gameCenterMatchmakingQueues", Group::GameCenter),
    ("gameCenterMatchmakingRuleSetTests", Group::GameCenter),
    ("gameCenterMatchmakingRuleSets", Group::GameCenter),
    ("gameCenterMatchmakingRules", Group::GameCenter),
    ("gameCenterMatchmakingTeams", Group::GameCenter),
    ("gameCenterPlayerAchievementSubmissions", Group::GameCenter),
    ("inAppPurchaseAppStoreReviewScreenshots", Group::Commerce),
    ("inAppPurchaseAvailabilities", Group::Commerce),
    ("inAppPurchaseContents", Group::Commerce),
    ("inAppPurchaseImages", Group::Commerce),
    ("inAppPurchaseLocalizations", Group::Commerce),
    ("inAppPurchaseOfferCodeCustomCodes", Group::Commerce),
    ("inAppPurchaseOfferCodeOneTimeUseCodes", Group::Commerce),
    ("inAppPurchaseOfferCodes", Group::Commerce),
    ("inAppPurchasePricePoints", Group::Commerce),
    ("inAppPurchasePriceSchedules", Group::Commerce),
    ("inAppPurchaseSubmissions", Group::Commerce),
    ("inAppPurchaseVersions", Group::Commerce),
    ("inAppPurchases", Group::Commerce),
    ("marketplaceSearchDetails", Group::Distribution),
    ("marketplaceWebhooks", Group::Distribution),
    ("merchantIds", Group::Provisioning),
    ("nominations", Group::AppMetadata),
    ("passTypeIds", Group::Provisioning),
    ("preReleaseVersions", Group::Testflight),
    ("profiles", Group::Provisioning),
    ("promotedPurchases", Group::Commerce),
    ("reviewSubmissionItems", Group::AppMetadata),
    ("reviewSubmissions", Group::AppMetadata),
    ("routingAppCoverages", Group::AppMetadata),
    ("salesReports", Group::SalesReports),
    ("sandboxTesters", Group::Testflight),
    ("sandboxTestersClearPurchaseHistoryRequest", Group::Testflight),
    ("scmGitReferences", Group::XcodeCloud),
    ("scmProviders", Group::XcodeCloud),
    ("scmPullRequests", Group::XcodeCloud),
    ("scmRepositories", Group::XcodeCloud),
    ("subscriptionAppStoreReviewScreenshots", Group::Commerce),
    ("subscriptionAvailabilities", Group::Commerce),
    ("subscriptionGracePeriods", Group::Commerce),
    ("subscriptionGroupLocalizations", Group::Commerce),
    ("subscriptionGroupSubmissions", Group::Commerce),
    ("subscriptionGroupVersions", Group::Commerce),
    ("subscriptionGroups", Group::Commerce),
    ("subscriptionImages", Group::Commerce),
    ("subscriptionIntroductoryOffers", Group::Commerce),
    ("subscriptionLocalizations", Group::Commerce),
    ("subscriptionOfferCodeCustomCodes", Group::Commerce),
    ("subscriptionOfferCodeOneTimeUseCodes", Group::Commerce),
    ("subscriptionOfferCodes", Group::Commerce),
    ("subscriptionPlanAvailabilities", Group::Commerce),
    ("subscriptionPricePoints", Group::Commerce),
    ("subscriptionPrices", Group::Commerce),
    ("subscriptionPromotionalOffers", Group::Commerce),
    ("subscriptionSubmissions", Group::Commerce),
    ("subscriptionVersions", Group::Commerce),
    ("subscriptions", Group::Commerce),
    ("territories", Group::Commerce),
    ("territoryAvailabilities", Group::Commerce),
    ("userInvitations", Group::Users),
    ("users", Group::Users),
    ("webhookDeliveries", Group::Distribution),
    ("webhookPings", Group::Distribution),
    ("webhooks", Group::Distribution),
    ("winBackOffers", Group::Commerce),
];

/// The group of a family (`betaGroups`), if the table has it.
pub fn group_of(family: &str) -> Option<Group> {
    FAMILIES.iter().find(|(f, _)| *f == family).map(|(_, g)| *g)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r6_every_family_is_listed_once_in_order() {
        let names: Vec<&str> = FAMILIES.iter().map(|(f, _)| *f).collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(names, sorted, "one row per family, in order");
        assert_eq!(group_of("betaGroups"), Some(Group::Testflight));
        assert_eq!(group_of("appStoreVersions"), Some(Group::AppMetadata));
        assert_eq!(group_of("nothing"), None);
    }
}
