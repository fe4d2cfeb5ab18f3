//! The `apps` resource object.

use keyward_core::app::App;
use serde_json::{Value, json};

use super::{BaseUrl, Fields, relationship};

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

pub(crate) const APP_ATTRIBUTES: [&str; 11] = [
    "name",
    "bundleId",
    "sku",
    "primaryLocale",
    "isOrEverWasMadeForKids",
    "subscriptionStatusUrl",
    "subscriptionStatusUrlVersion",
    "subscriptionStatusUrlForSandbox",
    "subscriptionStatusUrlVersionForSandbox",
    "contentRightsDeclaration",
    "streamlinedPurchasingEnabled",
];

/// Every name `fields[apps]` accepts.
pub(crate) fn app_fields() -> Vec<&'static str> {
    APP_ATTRIBUTES.iter().chain(APP_RELATIONSHIPS.iter()).copied().collect()
}

pub(crate) fn resource(app: &App, base: &BaseUrl, fields: &Fields) -> Value {
    let path = format!("/v1/apps/{}", app.id);
    let values = [
        json!(app.name),
        json!(app.bundle_id),
        json!(app.sku),
        json!(app.primary_locale),
        json!(app.is_or_ever_was_made_for_kids),
        json!(app.subscription_status_url),
        json!(app.subscription_status_url_version),
        json!(app.subscription_status_url_for_sandbox),
        json!(app.subscription_status_url_version_for_sandbox),
        json!(app.content_rights_declaration),
        json!(app.streamlined_purchasing_enabled),
    ];
    let attributes: serde_json::Map<String, Value> =
        APP_ATTRIBUTES.iter().zip(values).filter(|(n, _)| fields.has(n)).map(|(n, v)| ((*n).to_owned(), v)).collect();
    let relationships: serde_json::Map<String, Value> = APP_RELATIONSHIPS
        .iter()
        .filter(|n| fields.has(n))
        .map(|n| ((*n).to_owned(), relationship(base, &path, n, None)))
        .collect();
    let mut doc = json!({ "type": "apps", "id": app.id.to_string(), "attributes": attributes, "links": { "self": base.url(&path) } });
    if !relationships.is_empty() {
        doc["relationships"] = Value::Object(relationships);
    }
    doc
}
