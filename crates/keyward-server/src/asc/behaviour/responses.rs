//! Reviews and metadata for ASO tools (spec F4): a response to a customer review replaces the
//! team's earlier response to it, as at Apple, and is `PENDING_PUBLISH` until Apple would have
//! published it (`build_processing_seconds`; at once in test mode), then `PUBLISHED`. The lengths
//! App Store Connect allows for metadata are `keyward_core::metadata`'s, checked for every type.

use keyward_core::resource::{AlsoWrite, Guard, Link, Resource, ResourceUpdate, WriteRules};
use serde_json::{Map, Value, json};

use super::Call;
use super::build_uploads::PROCESSED_AT;
use crate::error::ApiError;

pub(super) fn before_create_response(
    call: &Call<'_>,
    id: &str,
    attributes: &mut Map<String, Value>,
    links: &[(String, Vec<Link>)],
) -> Result<WriteRules, ApiError> {
    let review = links.iter().find(|(n, _)| n == "review").and_then(|(_, l)| l.first()).ok_or_else(|| {
        ApiError::entity(
            "ENTITY_ERROR.RELATIONSHIP.INVALID",
            "A response answers a customer review.".into(),
            "/data/relationships/review",
        )
    })?;
    let now = time::OffsetDateTime::now_utc().replace_nanosecond(0).unwrap_or_else(|_| time::OffsetDateTime::now_utc());
    let delay =
        if call.state.test_mode.is_some() { 0 } else { i64::from(call.state.settings.build_processing_seconds) };
    attributes.insert("lastModifiedDate".into(), json!(crate::views::timestamp(now)));
    attributes.insert("state".into(), json!(if delay == 0 { "PUBLISHED" } else { "PENDING_PUBLISH" }));
    attributes.insert(PROCESSED_AT.into(), json!((now + time::Duration::seconds(delay)).unix_timestamp()));
    // The earlier responses are found in the write's transaction: two nodes answering the same
    // review at once leave one response, not two.
    let also = vec![AlsoWrite::DeleteLinking {
        kind: "customerReviewResponses".into(),
        relationship: "review".into(),
        target: review.clone(),
        keep: id.to_owned(),
    }];
    Ok(WriteRules { also, ..WriteRules::default() })
}

/// Responses whose time has come are `PUBLISHED`; guarded on `PENDING_PUBLISH`, so a response
/// another node published meanwhile is left alone.
pub(crate) async fn publish(app: &crate::AppState) {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let due: Vec<Resource> = app
        .replica
        .resources()
        .of_kind_everywhere("customerReviewResponses")
        .into_iter()
        .filter(|r| r.attributes.get("state").and_then(Value::as_str) == Some("PENDING_PUBLISH"))
        .filter(|r| r.attributes.get(PROCESSED_AT).and_then(Value::as_i64).is_some_and(|at| at <= now))
        .map(|r| (*r).clone())
        .collect();
    for response in due {
        let mut update = ResourceUpdate::default();
        update.attributes.insert("state".into(), json!("PUBLISHED"));
        let guard = Guard::Was {
            attribute: "state".into(),
            values: vec![json!("PENDING_PUBLISH")],
            detail: "published elsewhere".into(),
        };
        let rules = WriteRules { guards: vec![guard], ..WriteRules::default() };
        if let Err(e) = super::update_here(app, &response, update, rules).await {
            tracing::warn!(response = %response.id, error = %e, "a review response could not be published");
        }
    }
}
