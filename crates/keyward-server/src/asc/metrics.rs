//! `GET /v1/{type}/{id}/metrics/{name}` (R7): figures only Apple has. The parent is checked like
//! any related path; the answer is the documented shape with the figures Keyward has: none yet.

use axum::response::Response;

use super::{Call, list, parent};
use crate::error::ApiError;

pub(super) fn handle(call: &Call<'_>) -> Result<Response, ApiError> {
    parent::of(call)?;
    Ok(list::document(call, Vec::new(), None, 0, None))
}
