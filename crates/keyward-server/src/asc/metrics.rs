//! `GET /v1/{type}/{id}/metrics/{name}` (R7): figures only Apple has. The parent is checked like
//! any related path; the answer's `data` is what a seed file gave for the path (`[[teams.data]]`,
//! checked against the operation's answer schema when the seed was applied), or none.

use axum::Json;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::{Call, apple_data, list, parent};
use crate::error::ApiError;

pub(super) fn handle(call: &Call<'_>) -> Result<Response, ApiError> {
    parent::of(call)?;
    let seeded = apple_data::seeded(call).and_then(|body| serde_json::from_slice::<Value>(&body).ok());
    match seeded {
        Some(Value::Array(data)) => {
            let n = data.len();
            let paging = json!({ "total": n, "limit": n });
            Ok(Json(json!({ "data": data, "links": { "self": call.self_url() }, "meta": { "paging": paging } }))
                .into_response())
        }
        _ => Ok(list::document(call, Vec::new(), None, 0, None)),
    }
}
