//! `certificates` (spec F1): `POST` takes a CSR and answers a real certificate for its public
//! key, signed by the installation's signing CA; the CSR itself is not kept. Apple's caps per
//! certificate type hold under racing creates (the store checks them in the write's
//! transaction). `DELETE` revokes: the certificate leaves, and every profile carrying it goes
//! `INVALID`, in the same transaction. Distribution and Developer ID certificates are Admins' and
//! App Managers' to create and revoke, as on Apple's "Program Roles" page.

use base64::Engine;
use keyward_core::ports::TeamStore;
use keyward_core::resource::{Cascade, Guard, Resource, WriteRules};
use keyward_core::role::Role;
use keyward_token::codesign::{certificate, csr};
use serde_json::{Map, Value, json};

use super::{Call, invalid, text};
use crate::error::ApiError;

/// Types that share one cap, and the cap: Apple lets a team hold three distribution
/// certificates and five Developer ID ones at a time; development certificates are per person
/// at Apple and uncapped here.
const CAPS: [(&[&str], usize); 3] = [
    (&["DISTRIBUTION", "IOS_DISTRIBUTION"], 3),
    (&["MAC_APP_DISTRIBUTION", "MAC_INSTALLER_DISTRIBUTION"], 3),
    (&["DEVELOPER_ID_APPLICATION", "DEVELOPER_ID_APPLICATION_G2"], 5),
];

fn platform(certificate_type: &str) -> Option<&'static str> {
    if certificate_type.starts_with("IOS_") {
        Some("IOS")
    } else if certificate_type.starts_with("MAC_") || certificate_type.starts_with("DEVELOPER_ID") {
        Some("MAC_OS")
    } else {
        None
    }
}

/// Developers make and revoke development certificates; every other type needs an Admin or an
/// App Manager key.
fn may_manage(call: &Call<'_>, certificate_type: &str) -> Result<(), ApiError> {
    let roles = call.key.roles;
    let manager = roles.contains(Role::Admin) || roles.contains(Role::AppManager);
    if certificate_type.ends_with("DEVELOPMENT") || manager {
        return Ok(());
    }
    Err(ApiError::forbidden_because(&format!(
        "{certificate_type} certificates are created and revoked by Admins and App Managers"
    )))
}

pub(super) async fn before_create(
    call: &Call<'_>,
    attributes: &mut Map<String, Value>,
) -> Result<WriteRules, ApiError> {
    let kind = text(attributes, "certificateType").to_owned();
    may_manage(call, &kind)?;
    let checked = csr::check(text(attributes, "csrContent")).map_err(|e| invalid("csrContent", e.to_string()))?;
    let team = call.state.store.team_by_id(call.key.team_id).await?;
    let team_id = keyward_core::team::team_identifier(team.id);
    let subject = certificate::Subject { team_name: &team.name, team_id: &team_id, certificate_type: &kind };
    let issued = certificate::issue(&call.state.signing, &checked, &subject).map_err(|e| {
        tracing::error!(error = %e, "the signing CA could not sign a certificate");
        ApiError::internal()
    })?;
    let expires =
        time::OffsetDateTime::from(issued.not_after).replace_nanosecond(0).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    // Apple answers `csrContent: null`: the CSR is not kept.
    attributes.remove("csrContent");
    attributes.insert("name".into(), json!(issued.name));
    attributes.insert("displayName".into(), json!(team.name));
    attributes.insert("serialNumber".into(), json!(issued.serial));
    attributes.insert("expirationDate".into(), json!(crate::views::timestamp(expires)));
    let content = base64::engine::general_purpose::STANDARD.encode(&issued.der);
    attributes.insert("certificateContent".into(), json!(content));
    attributes.insert("platform".into(), platform(&kind).map_or(Value::Null, |p| json!(p)));
    attributes.insert("activated".into(), json!(true));
    let mut rules = WriteRules::default();
    if let Some((types, max)) = CAPS.iter().find(|(types, _)| types.contains(&kind.as_str())) {
        rules.guards.push(Guard::AtMost {
            attribute: "certificateType".into(),
            values: types.iter().map(|t| json!(t)).collect(),
            max: *max,
            detail: format!(
                "There is a problem with the request entity: You already have a current {} certificate or a pending certificate request.",
                certificate::type_name(&kind)
            ),
        });
    }
    Ok(rules)
}

pub(super) fn before_delete(call: &Call<'_>, found: &Resource) -> Result<WriteRules, ApiError> {
    may_manage(call, found.attributes.get("certificateType").and_then(Value::as_str).unwrap_or_default())?;
    Ok(WriteRules { guards: vec![], cascades: vec![invalidate_profiles("certificates")], also: vec![] })
}

/// Every profile linking to the written resource through `relationship` goes `INVALID`.
pub(super) fn invalidate_profiles(relationship: &str) -> Cascade {
    Cascade {
        kind: "profiles".into(),
        relationship: relationship.into(),
        attribute: "profileState".into(),
        value: json!("INVALID"),
    }
}
