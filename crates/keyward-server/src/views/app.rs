//! The `apps` resource object, serialized straight from an [`App`].

use std::sync::LazyLock;

use keyward_core::app::App;
use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};
use serde_json::Value;

use super::links::{RelationshipLinks, SelfLink, Url};
use super::{BaseUrl, Fields};

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

/// The relationships in the order a JSON object's keys are written (byte order).
static RELATIONSHIPS_WRITTEN: LazyLock<Vec<&'static str>> = LazyLock::new(|| {
    let mut names = APP_RELATIONSHIPS.to_vec();
    names.sort_unstable();
    names
});

/// Every name `fields[apps]` accepts.
pub(crate) fn app_fields() -> Vec<&'static str> {
    APP_ATTRIBUTES.iter().chain(APP_RELATIONSHIPS.iter()).copied().collect()
}

/// One app as a resource object, with the sparse fieldset asked for.
pub(crate) struct AppResource<'a> {
    pub app: &'a App,
    pub base: &'a BaseUrl,
    pub fields: &'a Fields,
}

impl AppResource<'_> {
    /// `links.self`, which a single-resource document repeats.
    pub fn self_url(&self) -> String {
        self.base.url(&format!("/v1/apps/{}", self.app.id))
    }
}

/// `/v1/apps/{id}`, written where it is used.
struct AppPath(keyward_core::ids::AppId);

impl std::fmt::Display for AppPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "/v1/apps/{}", self.0)
    }
}

impl Serialize for AppResource<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let path = AppPath(self.app.id);
        let with_relationships = RELATIONSHIPS_WRITTEN.iter().any(|n| self.fields.has(n));
        let mut doc = s.serialize_map(None)?;
        doc.serialize_entry("attributes", &Attributes(self))?;
        doc.serialize_entry("id", &self.app.id.to_string())?;
        doc.serialize_entry("links", &SelfLink(Url { base: self.base, pieces: &[&path] }))?;
        if with_relationships {
            doc.serialize_entry("relationships", &Relationships { resource: self, path: &path })?;
        }
        doc.serialize_entry("type", "apps")?;
        doc.end()
    }
}

struct Attributes<'a>(&'a AppResource<'a>);

impl Serialize for Attributes<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let (a, fields) = (self.0.app, self.0.fields);
        let mut map = s.serialize_map(None)?;
        // In byte order of the names, as a `Value` map writes them.
        macro_rules! put {
            ($name:literal, $value:expr) => {
                if fields.has($name) {
                    map.serialize_entry($name, $value)?;
                }
            };
        }
        put!("bundleId", &a.bundle_id);
        put!("contentRightsDeclaration", &a.content_rights_declaration);
        put!("isOrEverWasMadeForKids", &a.is_or_ever_was_made_for_kids);
        put!("name", &a.name);
        put!("primaryLocale", &a.primary_locale);
        put!("sku", &a.sku);
        put!("streamlinedPurchasingEnabled", &a.streamlined_purchasing_enabled);
        put!("subscriptionStatusUrl", &a.subscription_status_url);
        put!("subscriptionStatusUrlForSandbox", &a.subscription_status_url_for_sandbox);
        put!("subscriptionStatusUrlVersion", &a.subscription_status_url_version);
        put!("subscriptionStatusUrlVersionForSandbox", &a.subscription_status_url_version_for_sandbox);
        map.end()
    }
}

struct Relationships<'a> {
    resource: &'a AppResource<'a>,
    path: &'a AppPath,
}

impl Serialize for Relationships<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        for name in RELATIONSHIPS_WRITTEN.iter().filter(|n| self.resource.fields.has(n)) {
            map.serialize_entry(name, &RelationshipLinks { base: self.resource.base, path: self.path, name })?;
        }
        map.end()
    }
}

/// The resource as a `Value`, for documents still assembled as values (users' and invitations'
/// `included`).
pub(crate) fn resource(app: &App, base: &BaseUrl, fields: &Fields) -> Value {
    serde_json::to_value(AppResource { app, base, fields }).unwrap_or(Value::Null)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use keyward_core::ids::AppId;
    use serde_json::json;

    use super::*;

    /// How this resource was rendered before #13, kept as the oracle of "responses do not change":
    /// a `Value` map per resource and a `String` per link.
    fn as_values(app: &App, base: &BaseUrl, fields: &Fields) -> Value {
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
        let attributes: serde_json::Map<String, Value> = APP_ATTRIBUTES
            .iter()
            .zip(values)
            .filter(|(n, _)| fields.has(n))
            .map(|(n, v)| ((*n).to_owned(), v))
            .collect();
        let relationships: serde_json::Map<String, Value> = APP_RELATIONSHIPS
            .iter()
            .filter(|n| fields.has(n))
            .map(|n| ((*n).to_owned(), super::super::relationship(base, &path, n, None)))
            .collect();
        let mut doc = json!({ "type": "apps", "id": app.id.to_string(), "attributes": attributes, "links": { "self": base.url(&path) } });
        if !relationships.is_empty() {
            doc["relationships"] = Value::Object(relationships);
        }
        doc
    }

    fn app(id: i64, text: &str, flags: bool) -> App {
        let maybe = |s: &str| flags.then(|| s.to_owned());
        App {
            id: AppId(id),
            team_id: None,
            name: format!("{text} name"),
            bundle_id: format!("com.{text}"),
            sku: text.to_owned(),
            primary_locale: "en-US".into(),
            is_or_ever_was_made_for_kids: flags,
            subscription_status_url: maybe(&format!("https://x.test/{text}")),
            subscription_status_url_version: maybe("V2"),
            subscription_status_url_for_sandbox: maybe("https://sandbox.test"),
            subscription_status_url_version_for_sandbox: maybe("V1"),
            available_in_new_territories: flags.then_some(true),
            content_rights_declaration: maybe("USES_THIRD_PARTY_CONTENT"),
            streamlined_purchasing_enabled: flags.then_some(false),
            created_at: None,
        }
    }

    #[test]
    fn the_bytes_are_those_a_value_map_gave() {
        let texts = ["plain", "quote \" and \\ backslash", "\u{1F600} emoji, é, \n newline", "</script>"];
        let bases = [BaseUrl("http://localhost:8080".into()), BaseUrl("https://h\"st.test/\u{e9}".into())];
        let all = app_fields();
        let mut field_sets = vec![Fields(None), Fields(Some(vec![])), Fields(Some(vec!["name".into()]))];
        field_sets.push(Fields(Some(vec!["builds".into(), "ciProduct".into()])));
        // Every field alone, and every field but one.
        for (i, f) in all.iter().enumerate() {
            field_sets.push(Fields(Some(vec![(*f).to_owned()])));
            let rest = all.iter().enumerate().filter(|(j, _)| *j != i).map(|(_, f)| (*f).to_owned()).collect();
            field_sets.push(Fields(Some(rest)));
        }
        for (n, text) in texts.iter().enumerate() {
            for flags in [false, true] {
                let app = app(1_000_000_000 + n as i64, text, flags);
                for base in &bases {
                    for fields in &field_sets {
                        let typed = serde_json::to_string(&AppResource { app: &app, base, fields }).unwrap();
                        let old = serde_json::to_string(&as_values(&app, base, fields)).unwrap();
                        assert_eq!(typed, old, "fields {:?}", fields.0);
                        assert_eq!(resource(&app, base, fields), as_values(&app, base, fields));
                    }
                }
            }
        }
    }
}
