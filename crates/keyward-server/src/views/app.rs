//! The `apps` resource object.

use keyward_core::app::App;
use serde_json::{Value, json};

use super::{BaseUrl, relationships};

/// Apple's documented relationships of `App` (schema 3.7.0), each listed with its links.
pub(crate) const APP_RELATIONSHIPS: [&str; 32] = [
    "appEncryptionDeclarations",
    "ciProduct",
    "betaTesters",
    "betaGroups",
    "appStoreVersions",
    "preReleaseVersions",
    "betaAppLocalizations",
    "builds",
    "betaLicenseAgreement",
    "betaAppReviewDetail",
    "appInfos",
    "appClips",
    "appPricePoints",
    "endUserLicenseAgreement",
    "appPriceSchedule",
    "appAvailabilityV2",
    "inAppPurchases",
    "subscriptionGroups",
    "gameCenterEnabledVersions",
    "perfPowerMetrics",
    "appCustomProductPages",
    "inAppPurchasesV2",
    "promotedPurchases",
    "appEvents",
    "reviewSubmissions",
    "subscriptionGracePeriod",
    "customerReviews",
    "gameCenterDetail",
    "appStoreVersionExperimentsV2",
    "alternativeDistributionKey",
    "analyticsReportRequests",
    "marketplaceSearchDetail",
];

pub(crate) fn resource(app: &App, base: &BaseUrl) -> Value {
    let path = format!("/v1/apps/{}", app.id);
    json!({
        "type": "apps",
        "id": app.id.to_string(),
        "attributes": {
            "name": app.name,
            "bundleId": app.bundle_id,
            "sku": app.sku,
            "primaryLocale": app.primary_locale,
            "isOrEverWasMadeForKids": app.is_or_ever_was_made_for_kids,
            "subscriptionStatusUrl": app.subscription_status_url,
            "subscriptionStatusUrlVersion": app.subscription_status_url_version,
            "subscriptionStatusUrlForSandbox": app.subscription_status_url_for_sandbox,
            "subscriptionStatusUrlVersionForSandbox": app.subscription_status_url_version_for_sandbox,
            "contentRightsDeclaration": app.content_rights_declaration,
            "streamlinedPurchasingEnabled": app.streamlined_purchasing_enabled,
        },
        "relationships": relationships(base, &path, &APP_RELATIONSHIPS),
        "links": { "self": base.url(&path) },
    })
}
