//! Webhooks as App Store Connect sends them (spec F5): which events a webhook takes, the payload
//! Apple posts, the delivery Keyward keeps for each (the durable outbox: a `webhookDeliveries`
//! resource written in the same transaction as the change it reports), the signature, and which
//! addresses a webhook may not reach. Pure; sending is the server's.

use std::net::IpAddr;

use serde_json::{Map, Value, json};
use time::OffsetDateTime;

use crate::ids::TeamId;
use crate::resource::{Link, Resource};

/// The header carrying the signature: `hmacsha256=` and the lower-case hex HMAC-SHA256 of the
/// raw body under the webhook's secret.
pub const SIGNATURE_HEADER: &str = "x-apple-signature";
pub const SIGNATURE_PREFIX: &str = "hmacsha256=";

/// Internal attributes of a delivery: never rendered (no schema of Apple's has them).
pub const BODY: &str = "_body";
pub const ATTEMPTS: &str = "_attempts";
pub const NEXT_AT: &str = "_nextAt";
pub const CLAIMED_UNTIL: &str = "_claimedUntil";
/// A delivery is tried this many times, backing off 2^n seconds, then `FAILED`.
pub const MAX_ATTEMPTS: i64 = 6;

/// Apple's payload `type` of an event type (`BUILD_UPLOAD_STATE_UPDATED` →
/// `buildUploadStateUpdated`).
pub fn payload_type(event_type: &str) -> String {
    let mut out = String::new();
    for (i, word) in event_type.split('_').enumerate() {
        let lower = word.to_ascii_lowercase();
        if i == 0 {
            out.push_str(&lower);
        } else {
            let mut chars = lower.chars();
            if let Some(first) = chars.next() {
                out.push(first.to_ascii_uppercase());
                out.push_str(chars.as_str());
            }
        }
    }
    out
}

/// The body Apple posts: `{"data": {type, id, version, attributes, relationships.instance}}`.
pub fn payload(event_id: &str, event_type: &str, attributes: Value, instance: Option<(&str, &str, String)>) -> String {
    let mut data = json!({ "type": payload_type(event_type), "id": event_id, "version": 1, "attributes": attributes });
    if let Some((kind, id, url)) = instance {
        data["relationships"] = json!({ "instance": { "data": { "type": kind, "id": id }, "links": { "self": url } } });
    }
    json!({ "data": data }).to_string()
}

/// Whether `webhook` takes `event_type` for a resource of `app`: enabled, subscribed, and of that
/// app (webhooks are per app).
pub fn takes(webhook: &Resource, event_type: &str, app: Option<crate::ids::AppId>) -> bool {
    let enabled = webhook.attributes.get("enabled").and_then(Value::as_bool).unwrap_or(false);
    let subscribed = webhook
        .attributes
        .get("eventTypes")
        .and_then(Value::as_array)
        .is_some_and(|types| types.iter().any(|t| t.as_str() == Some(event_type)));
    enabled && subscribed && app.is_some() && webhook.app == app
}

/// A pending delivery of `body` to `webhook`, due at once.
pub fn delivery(
    team: TeamId,
    id: String,
    webhook: &Resource,
    body: String,
    now: OffsetDateTime,
    stamp: &str,
    redelivery: bool,
) -> Resource {
    let url = webhook.attributes.get("url").cloned().unwrap_or(Value::Null);
    let mut attributes = Map::new();
    attributes.insert("createdDate".into(), json!(stamp));
    attributes.insert("deliveryState".into(), json!("PENDING"));
    attributes.insert("redelivery".into(), json!(redelivery));
    attributes.insert("request".into(), json!({ "url": url }));
    attributes.insert("response".into(), Value::Null);
    attributes.insert("sentDate".into(), Value::Null);
    attributes.insert("errorMessage".into(), Value::Null);
    attributes.insert(BODY.into(), json!(body));
    attributes.insert(ATTEMPTS.into(), json!(0));
    attributes.insert(NEXT_AT.into(), json!(now.unix_timestamp()));
    attributes.insert(CLAIMED_UNTIL.into(), json!(0));
    Resource {
        team_id: team,
        kind: "webhookDeliveries".into(),
        id,
        app: None,
        attributes,
        relationships: [("webhook".to_owned(), vec![Link { kind: webhook.kind.clone(), id: webhook.id.clone() }])]
            .into_iter()
            .collect(),
        created_at: now,
        updated_at: now,
    }
}

/// Why a webhook may not send to `ip`: link-local and metadata addresses never, private,
/// loopback and unique-local ones unless the installation allows them (`webhook_allow_private`,
/// for local use).
pub fn ip_problem(ip: IpAddr, allow_private: bool) -> Option<&'static str> {
    // Cloud metadata services that sit in private ranges (AWS's IPv6 one, Alibaba's).
    let metadata = ["fd00:ec2::254", "100.100.100.200"].iter().any(|m| m.parse::<IpAddr>().ok() == Some(ip));
    let (link_local, private, unspecified) = match ip {
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            (
                v4.is_link_local() || metadata,
                v4.is_private() || v4.is_loopback() || a == 100 && (b & 0xc0) == 64 || a == 198 && (b & 0xfe) == 18,
                v4.is_unspecified()
                    || v4.is_broadcast()
                    || v4.is_multicast()
                    || a >= 240
                    || a == 192 && b == 0 && c == 0,
            )
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            // Addresses that carry an IPv4 address: mapped, compatible, NAT64 and 6to4.
            let v4 = |hi: u16, lo: u16| std::net::Ipv4Addr::new((hi >> 8) as u8, hi as u8, (lo >> 8) as u8, lo as u8);
            let embedded = if let Some(mapped) = v6.to_ipv4_mapped() {
                Some(mapped)
            } else if (s[..6] == [0; 6] && !v6.is_loopback() && !v6.is_unspecified())
                || s[..6] == [0x64, 0xff9b, 0, 0, 0, 0]
            {
                Some(v4(s[6], s[7]))
            } else if s[0] == 0x2002 {
                Some(v4(s[1], s[2]))
            } else {
                None
            };
            if let Some(inner) = embedded {
                return ip_problem(IpAddr::V4(inner), allow_private);
            }
            (
                (s[0] & 0xffc0) == 0xfe80 || metadata,
                v6.is_loopback() || (s[0] & 0xfe00) == 0xfc00,
                v6.is_unspecified() || v6.is_multicast(),
            )
        }
    };
    if link_local {
        Some("a link-local or cloud metadata address")
    } else if unspecified {
        Some("not an address a request can go to")
    } else if private && !allow_private {
        Some("a private or loopback address (the setting webhook_allow_private allows them for local use)")
    } else {
        None
    }
}

/// A URL's scheme, authority and host (an IPv6 host without its brackets).
fn parts(url: &str) -> Option<(&str, &str, &str)> {
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => authority.rsplit_once(':').map_or(authority, |(h, _)| h),
    };
    Some((scheme, authority, host))
}

/// F5, X5: whether a webhook `url` points at Keyward itself (`own`, its public URL or the base a
/// client reached it at): the same host and port, however spelled (case, a trailing dot, the
/// scheme's default port written out). Keyward would post its own events to itself.
pub fn is_keyward_itself(url: &str, own: &str) -> bool {
    let server = |url: &str| {
        let (scheme, authority, host) = parts(url)?;
        let scheme = scheme.to_ascii_lowercase();
        let port = match authority.rsplit_once(':').filter(|(_, p)| !p.contains(']')) {
            Some((_, p)) => p.parse::<u16>().ok()?,
            None => match scheme.as_str() {
                "https" => 443,
                "http" => 80,
                _ => return None,
            },
        };
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        (!host.is_empty()).then_some((host, port))
    };
    server(url).is_some_and(|s| Some(s) == server(own))
}

/// Why `url` is no webhook URL, before any name is resolved: http or https, a host, no
/// credentials, no metadata host name, and no address [`ip_problem`] refuses.
pub fn url_problem(url: &str, allow_private: bool) -> Option<String> {
    let Some((scheme, authority, host)) = parts(url) else { return Some("not an absolute URL".into()) };
    if scheme != "https" && scheme != "http" {
        return Some(format!("the scheme {scheme} is not http or https"));
    }
    if authority.contains('@') {
        return Some("credentials in a webhook URL are not taken".into());
    }
    if host.is_empty() {
        return Some("no host".into());
    }
    let lower = host.to_ascii_lowercase();
    if lower == "metadata.google.internal"
        || lower == "metadata"
        || lower.ends_with(".internal") && lower.starts_with("metadata")
    {
        return Some("a cloud metadata host".into());
    }
    if lower == "localhost" && !allow_private {
        return Some("a loopback host (the setting webhook_allow_private allows it for local use)".into());
    }
    let path = url.split_once("://").and_then(|(_, rest)| rest.get(authority.len()..)).unwrap_or_default();
    if path.starts_with("/_keyward") || path.starts_with("/keyward") {
        return Some("Keyward's own endpoints".into());
    }
    host.parse::<IpAddr>().ok().and_then(|ip| ip_problem(ip, allow_private)).map(str::to_owned)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn f5_payload_types_are_apples_camel_case() {
        assert_eq!(payload_type("BUILD_UPLOAD_STATE_UPDATED"), "buildUploadStateUpdated");
        assert_eq!(
            payload_type("APP_STORE_VERSION_APP_VERSION_STATE_UPDATED"),
            "appStoreVersionAppVersionStateUpdated"
        );
        let body: Value =
            serde_json::from_str(&payload("e1", "WEBHOOK_PING_CREATED", json!({"timestamp": "t"}), None)).unwrap();
        assert_eq!(body["data"]["type"], "webhookPingCreated");
        assert_eq!(body["data"]["version"], 1);
    }

    #[test]
    fn f5_x5_keyward_itself_is_the_same_host_and_port_however_spelled() {
        let own = "https://keys.example.com/";
        for same in ["https://keys.example.com/hooks", "https://KEYS.Example.COM./h", "https://keys.example.com:443/h"]
        {
            assert!(is_keyward_itself(same, own), "{same}");
        }
        for other in ["https://keys.example.com:8443/h", "https://hooks.example.com/h", "http://keys.example.com/h"] {
            assert!(!is_keyward_itself(other, own), "{other}");
        }
        assert!(is_keyward_itself("http://[::1]:8080/h", "http://[::1]:8080/"));
        assert!(!is_keyward_itself("not a url", own));
    }

    #[test]
    fn f5_metadata_link_local_and_private_addresses_are_refused() {
        for (url, allowed_locally) in [
            ("http://169.254.169.254/latest/meta-data", false),
            ("http://[fe80::1]/x", false),
            ("http://metadata.google.internal/computeMetadata", false),
            ("http://10.0.0.5/hook", true),
            ("http://127.0.0.1:8080/hook", true),
            ("http://[::1]:9/hook", true),
            ("http://localhost:9/hook", true),
            ("http://[::ffff:169.254.169.254]/", false),
            ("http://[64:ff9b::a9fe:a9fe]/", false),
            ("http://[2002:a9fe:a9fe::1]/", false),
            ("http://[::169.254.169.254]/", false),
            ("http://[fd00:ec2::254]/", false),
            ("http://100.100.100.200/", false),
            ("http://198.18.0.1/", true),
            ("http://127.0.0.1:8080/_keyward/reset", false),
            ("http://100.64.0.1/", true),
        ] {
            assert!(url_problem(url, false).is_some(), "{url}");
            assert_eq!(url_problem(url, true).is_none(), allowed_locally, "{url}");
        }
        for bad in
            ["ftp://example.com/", "example.com/hook", "https://user:pw@example.com/", "http:///x", "http://0.0.0.0/"]
        {
            assert!(url_problem(bad, true).is_some(), "{bad}");
        }
        assert_eq!(url_problem("https://hooks.example.com/asc", false), None);
        assert_eq!(url_problem("https://93.184.216.34:8443/asc", false), None);
    }
}
