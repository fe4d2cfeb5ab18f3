//! `/v1/userInvitations`: one file per endpoint.

pub(crate) mod create;
pub(crate) mod delete;
pub(crate) mod get;
pub(crate) mod list;
pub(crate) mod visible_apps;

use keyward_core::ids::InvitationId;

use crate::error::ApiError;

/// An invitation ID from the path; anything that is not one is a 404, like an unknown ID.
pub(crate) fn invitation_id(id: &str) -> Result<InvitationId, ApiError> {
    id.parse().map_err(|_| ApiError::not_found("userInvitations", id))
}
