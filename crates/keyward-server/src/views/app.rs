//! The `apps` resource object, written straight into the response body.
//!
//! An app carries 64 links, and a page of 200 apps is about 1.2 MB, almost all of it links that
//! differ from app to app only by the app's ID. So [`AppWriter`] builds, once per request, the
//! bytes of an app's ID, links and relationships for the request's base URL and fieldset, split at
//! every place the ID goes; writing an app is then copying those pieces around its ID, after its
//! attributes (which serde writes). Building `serde_json::Value` maps with a `String` per link cost
//! as much as everything else a request does together, and serde's per-value dispatch still half
//! as much (#13). The bytes are exactly what the `Value` rendering gave: the test below compares
//! them with it.

use std::sync::LazyLock;

use keyward_core::app::App;
use serde::Serialize;
use serde_json::Value;

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

/// Every name `fields[apps]` accepts (built once: every apps request checks against it).
pub(crate) fn app_fields() -> &'static [&'static str] {
    static FIELDS: LazyLock<Vec<&'static str>> =
        LazyLock::new(|| APP_ATTRIBUTES.iter().chain(APP_RELATIONSHIPS.iter()).copied().collect());
    &FIELDS
}

/// Writes apps as resource objects for one request: its base URL and sparse fieldset.
pub(crate) struct AppWriter<'a> {
    base: &'a BaseUrl,
    fields: &'a Fields,
    /// What follows the attributes, with holes where the app's ID goes.
    tail: Pieces,
}

/// Appends `s` as a JSON string, quoted and escaped.
pub(crate) fn write_str(out: &mut Vec<u8>, s: &str) {
    write_value(out, s);
}

/// Appends `v` as JSON. Writing to a `Vec` cannot fail, and these values (strings, booleans,
/// options and maps with string keys) always serialize.
pub(crate) fn write_value(out: &mut Vec<u8>, v: &(impl Serialize + ?Sized)) {
    serde_json::to_writer(out, v).unwrap_or(());
}

/// Bytes with holes where the app's ID is written: one buffer and the holes' offsets, so a
/// request's template costs two allocations however many links an app has.
#[derive(Default)]
struct Pieces {
    bytes: Vec<u8>,
    holes: Vec<usize>,
}

impl Pieces {
    fn text(&mut self, s: &str) -> &mut Self {
        self.bytes.extend_from_slice(s.as_bytes());
        self
    }

    fn id(&mut self) -> &mut Self {
        self.holes.push(self.bytes.len());
        self
    }

    /// Appends the bytes with `id` in every hole.
    fn fill(&self, id: &[u8], out: &mut Vec<u8>) {
        let mut from = 0;
        for &hole in &self.holes {
            out.extend_from_slice(self.bytes.get(from..hole).unwrap_or_default());
            out.extend_from_slice(id);
            from = hole;
        }
        out.extend_from_slice(self.bytes.get(from..).unwrap_or_default());
    }
}

impl<'a> AppWriter<'a> {
    pub fn new(base: &'a BaseUrl, fields: &'a Fields) -> AppWriter<'a> {
        // The base as it reads inside a JSON string (a Host header may hold a quote).
        let quoted = serde_json::to_string(&base.0).unwrap_or_default();
        let b = quoted.get(1..quoted.len().saturating_sub(1)).unwrap_or_default();
        let mut t = Pieces { bytes: Vec::with_capacity(4096), holes: Vec::with_capacity(80) };
        t.text("},\"id\":\"").id().text("\",\"links\":{\"self\":\"").text(b).text("/v1/apps/").id().text("\"}");
        let mut names = RELATIONSHIPS_WRITTEN.iter().filter(|n| fields.has(n)).peekable();
        if names.peek().is_some() {
            t.text(",\"relationships\":{");
            for (i, name) in names.enumerate() {
                t.text(if i == 0 { "\"" } else { ",\"" }).text(name).text("\":{\"links\":{\"related\":\"");
                t.text(b).text("/v1/apps/").id().text("/").text(name).text("\",\"self\":\"");
                t.text(b).text("/v1/apps/").id().text("/relationships/").text(name).text("\"}}");
            }
            t.text("}");
        }
        t.text(",\"type\":\"apps\"}");
        AppWriter { base, fields, tail: t }
    }

    /// Appends `app` as a resource object.
    pub fn write(&self, app: &App, out: &mut Vec<u8>) {
        out.extend_from_slice(b"{\"attributes\":{");
        self.attributes(app, out);
        self.tail.fill(app.id.to_string().as_bytes(), out);
    }

    /// A single-resource document: the app and `links.self`, its own.
    pub fn document(&self, app: &App) -> Vec<u8> {
        let mut out = Vec::with_capacity(8 * 1024);
        out.extend_from_slice(b"{\"data\":");
        self.write(app, &mut out);
        out.extend_from_slice(b",\"links\":{\"self\":");
        write_str(&mut out, &self.base.url(&format!("/v1/apps/{}", app.id)));
        out.extend_from_slice(b"}}");
        out
    }

    /// A list document of `apps` with its links and paging.
    pub fn list(&self, apps: &[impl AsRef<App>], links: &super::Links, paging: &super::documents::Paging) -> Vec<u8> {
        let mut out = Vec::with_capacity(256 + apps.len() * 7 * 1024);
        out.extend_from_slice(b"{\"data\":[");
        for (i, app) in apps.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            self.write(app.as_ref(), &mut out);
        }
        out.extend_from_slice(b"],\"links\":");
        write_value(&mut out, links);
        out.extend_from_slice(b",\"meta\":{\"paging\":");
        write_value(&mut out, paging);
        out.extend_from_slice(b"}}");
        out
    }

    /// The resource as a `Value`, for documents still assembled as values (users' and
    /// invitations' `included`, the `visibleApps` lists).
    pub fn value(&self, app: &App) -> Value {
        let mut out = Vec::with_capacity(8 * 1024);
        self.write(app, &mut out);
        serde_json::from_slice(&out).unwrap_or(Value::Null)
    }

    fn attributes(&self, a: &App, out: &mut Vec<u8>) {
        let mut first = true;
        let mut put = |name: &str, value: &dyn erased::Json| {
            if self.fields.has(name) {
                out.extend_from_slice(if first { b"\"" } else { b",\"" });
                first = false;
                out.extend_from_slice(name.as_bytes());
                out.extend_from_slice(b"\":");
                value.write(out);
            }
        };
        // In byte order of the names, as a `Value` map writes them.
        put("bundleId", &a.bundle_id);
        put("contentRightsDeclaration", &a.content_rights_declaration);
        put("isOrEverWasMadeForKids", &a.is_or_ever_was_made_for_kids);
        put("name", &a.name);
        put("primaryLocale", &a.primary_locale);
        put("sku", &a.sku);
        put("streamlinedPurchasingEnabled", &a.streamlined_purchasing_enabled);
        put("subscriptionStatusUrl", &a.subscription_status_url);
        put("subscriptionStatusUrlForSandbox", &a.subscription_status_url_for_sandbox);
        put("subscriptionStatusUrlVersion", &a.subscription_status_url_version);
        put("subscriptionStatusUrlVersionForSandbox", &a.subscription_status_url_version_for_sandbox);
    }
}

/// Attribute values of different types behind one `&dyn`.
mod erased {
    use serde::Serialize;

    pub(super) trait Json {
        fn write(&self, out: &mut Vec<u8>);
    }

    impl<T: Serialize> Json for T {
        fn write(&self, out: &mut Vec<u8>) {
            super::write_value(out, self);
        }
    }
}

/// One app as a resource `Value`.
pub(crate) fn resource(app: &App, base: &BaseUrl, fields: &Fields) -> Value {
    AppWriter::new(base, fields).value(app)
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
                        let writer = AppWriter::new(base, fields);
                        let mut written = Vec::new();
                        writer.write(&app, &mut written);
                        let old = serde_json::to_string(&as_values(&app, base, fields)).unwrap();
                        assert_eq!(String::from_utf8(written).unwrap(), old, "fields {:?}", fields.0);
                        assert_eq!(resource(&app, base, fields), as_values(&app, base, fields));
                    }
                }
            }
        }
    }

    #[test]
    fn documents_are_those_the_value_builders_gave() {
        let base = BaseUrl("http://127.0.0.1:9".into());
        let fields = Fields(None);
        let apps: Vec<std::sync::Arc<App>> = (0..3).map(|n| std::sync::Arc::new(app(n, "x\"y", n % 2 == 0))).collect();
        let writer = AppWriter::new(&base, &fields);
        let values: Vec<Value> = apps.iter().map(|a| as_values(a, &base, &fields)).collect();
        for next in [None, Some("http://127.0.0.1:9/v1/apps?cursor=abc".to_owned())] {
            let links = super::super::Links { next: next.clone(), this: "http://127.0.0.1:9/v1/apps".into() };
            let paging = super::super::Paging { limit: 3, total: 7 };
            let mut old_links = json!({ "self": "http://127.0.0.1:9/v1/apps" });
            if let Some(n) = next {
                old_links["next"] = json!(n);
            }
            let old = json!({ "data": values, "links": old_links, "meta": { "paging": { "total": 7, "limit": 3 } } });
            let written = writer.list(&apps, &links, &paging);
            assert_eq!(String::from_utf8(written).unwrap(), serde_json::to_string(&old).unwrap());
        }
        let old = json!({ "data": values[0], "links": { "self": values[0]["links"]["self"] } });
        assert_eq!(String::from_utf8(writer.document(&apps[0])).unwrap(), serde_json::to_string(&old).unwrap());
    }
}
